import { describe, expect, it } from 'vitest';
import { decideContact, describeDuration, type ContactDecisionInput } from '../../src/domain/contact';
import { customerTimeZone, instantOfWallTime, type WallTime } from '../../src/domain/time-zone';
import { ZContactRules } from '../../src/domain/contact-schema';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Monday 10 June 2024, 12:00 UTC. */
const NOW = Date.UTC(2024, 5, 10, 12, 0);
const PROGRAM = 'store-nps';

/** Throttles that never bite, so that one rule at a time can be tested. */
const relaxed = {
  minIntervalAnyProgram: '0s',
  minIntervalSameProgram: '0s',
  maxPerWindow: { count: 99, window: '1d' },
};

interface Scenario {
  now?: number;
  eventAt?: number;
  delay?: string;
  rules?: Record<string, unknown>;
  customer?: Partial<ContactDecisionInput['customer']>;
  contacts?: { programId?: string; at: number }[];
  transactions?: number[];
}

function decide(s: Scenario = {}) {
  const now = s.now ?? NOW;
  const eventAt = s.eventAt ?? now;
  return decideContact({
    now,
    eventAt,
    program: { id: PROGRAM, delay: s.delay ?? '0s', contactRules: ZContactRules.parse(s.rules ?? {}) },
    customer: { unsubscribed: false, hasOpenCase: false, ...s.customer },
    contacts: (s.contacts ?? []).map((contact) => ({ programId: contact.programId ?? 'other', at: contact.at })),
    transactions: s.transactions ?? [eventAt],
  });
}

describe('describeDuration', () => {
  it.each([
    [0, '0 seconds'],
    [SECOND, '1 second'],
    [MINUTE - 1, '59 seconds'],
    [MINUTE, '1 minute'],
    [2 * HOUR + 59 * MINUTE, '2 hours'],
    [DAY, '1 day'],
    [DAY + 23 * HOUR, '1 day'],
    [14 * DAY, '14 days'],
    [365 * DAY, '365 days'],
  ])('when the duration is %i ms, then it reads %j', (ms, text) => {
    expect(describeDuration(ms)).toBe(text);
  });
});

describe('customerTimeZone', () => {
  it.each([
    [undefined, 'UTC'],
    ['', 'UTC'],
    ['Mars/Olympus_Mons', 'UTC'],
    ['not a zone', 'UTC'],
    ['Europe/Berlin', 'Europe/Berlin'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
  ])('when the customer timezone is %j, then quiet hours use %s', (timezone, zone) => {
    expect(customerTimeZone(timezone)).toBe(zone);
  });
});

describe('decideContact: customer and frequent-transactor rules', () => {
  it('when the customer unsubscribed, then the survey is skipped even if other rules would also stop it', () => {
    expect(decide({ customer: { unsubscribed: true, hasOpenCase: true } })).toEqual({
      action: 'skip',
      rule: 'unsubscribed',
      reason: 'customer has unsubscribed from surveys',
    });
  });

  it('when the customer has an open case, then the survey is skipped', () => {
    expect(decide({ customer: { hasOpenCase: true } })).toEqual({
      action: 'skip',
      rule: 'open_case',
      reason: 'customer has an open case; no surveys until it is closed',
    });
  });

  const frequent = { ...relaxed, frequentTransactor: { maxTransactions: 3, window: '30d' } };
  const fourInWindow = [NOW - 29 * DAY, NOW - 10 * DAY, NOW - DAY, NOW];

  it.each<[string, Scenario, boolean]>([
    [
      'more transactions than allowed and this program surveyed 10 days ago',
      { transactions: fourInWindow, contacts: [{ programId: PROGRAM, at: NOW - 10 * DAY }] },
      true,
    ],
    [
      'as many transactions as allowed',
      { transactions: fourInWindow.slice(1), contacts: [{ programId: PROGRAM, at: NOW - 10 * DAY }] },
      false,
    ],
    [
      'the oldest transaction exactly one window before the event',
      {
        transactions: [NOW - 30 * DAY, ...fourInWindow.slice(1)],
        contacts: [{ programId: PROGRAM, at: NOW - 10 * DAY }],
      },
      false,
    ],
    [
      'a later transaction after the event',
      {
        eventAt: NOW - DAY,
        transactions: [NOW - 29 * DAY, NOW - 10 * DAY, NOW - DAY, NOW],
        contacts: [{ programId: PROGRAM, at: NOW - 10 * DAY }],
      },
      false,
    ],
    [
      'only another program surveyed them',
      { transactions: fourInWindow, contacts: [{ programId: 'web-csat', at: NOW - 10 * DAY }] },
      false,
    ],
    [
      'this program surveyed them before the window',
      { transactions: fourInWindow, contacts: [{ programId: PROGRAM, at: NOW - 31 * DAY }] },
      false,
    ],
    [
      'this program already scheduled a survey after the event',
      { transactions: fourInWindow, contacts: [{ programId: PROGRAM, at: NOW + 2 * HOUR }] },
      true,
    ],
    ['this program never surveyed them', { transactions: fourInWindow }, false],
  ])('when a customer has %s, then frequent-transactor skip is %s', (_, scenario, skipped) => {
    const decision = decide({ rules: frequent, ...scenario });
    expect(decision.action === 'skip' && decision.rule === 'frequent_transactor').toBe(skipped);
  });

  it('when the program has no frequent-transactor rule, then many transactions do not matter', () => {
    const decision = decide({
      rules: relaxed,
      transactions: fourInWindow,
      contacts: [{ programId: PROGRAM, at: NOW - 10 * DAY }],
    });
    expect(decision.action).toBe('send');
  });

  it('when a frequent transactor is skipped, then the reason gives the numbers', () => {
    expect(
      decide({ rules: frequent, transactions: fourInWindow, contacts: [{ programId: PROGRAM, at: NOW - 10 * DAY }] }),
    ).toEqual({
      action: 'skip',
      rule: 'frequent_transactor',
      reason: '4 transactions in the last 30 days (frequent above 3); already surveyed by this program 10 days ago',
    });
  });
});

describe('decideContact: target time', () => {
  it.each<[string, Scenario, number, string]>([
    ['there is no delay', { rules: relaxed }, NOW, 'contact rules allow it'],
    [
      'the program waits a day after the transaction',
      { rules: relaxed, delay: '1d' },
      NOW + DAY,
      'contact rules allow it; sending 1 day after the transaction (program delay)',
    ],
    [
      'the delay already passed when the trigger arrives',
      { rules: relaxed, delay: '1d', eventAt: NOW - 3 * DAY },
      NOW,
      'contact rules allow it',
    ],
    [
      'the transaction is stamped a minute ahead of the clock and there is no delay',
      { rules: relaxed, eventAt: NOW + MINUTE },
      NOW + MINUTE,
      'contact rules allow it',
    ],
    [
      'the delay ends in 2 hours',
      { rules: relaxed, delay: '1d', eventAt: NOW - 22 * HOUR },
      NOW + 2 * HOUR,
      'contact rules allow it; sending 1 day after the transaction (program delay)',
    ],
  ])('when %s, then the survey is sent at the target', (_, scenario, sendAt, reason) => {
    expect(decide(scenario)).toEqual({ action: 'send', sendAt, reason });
  });
});

describe('decideContact: throttles when throttled surveys are skipped', () => {
  it.each<[string, Scenario, string | null]>([
    ['the last survey was 3 days ago', { contacts: [{ at: NOW - 3 * DAY }] }, 'min_interval_any'],
    ['the last survey was exactly 14 days ago', { contacts: [{ at: NOW - 14 * DAY }] }, null],
    ['the last survey was 1 ms short of 14 days ago', { contacts: [{ at: NOW - 14 * DAY + 1 }] }, 'min_interval_any'],
    ['another survey is scheduled in 5 days', { contacts: [{ at: NOW + 5 * DAY }] }, 'min_interval_any'],
    ['another survey is scheduled in exactly 14 days', { contacts: [{ at: NOW + 14 * DAY }] }, null],
    [
      'this program surveyed 20 days ago',
      { contacts: [{ programId: PROGRAM, at: NOW - 20 * DAY }] },
      'min_interval_program',
    ],
    ['this program surveyed exactly 30 days ago', { contacts: [{ programId: PROGRAM, at: NOW - 30 * DAY }] }, null],
    ['another program surveyed 20 days ago', { contacts: [{ at: NOW - 20 * DAY }] }, null],
    [
      'four surveys in the last year',
      { contacts: [100, 150, 200, 300].map((days) => ({ at: NOW - days * DAY })) },
      'max_per_window',
    ],
    [
      'three surveys in the last year and one exactly a year ago',
      { contacts: [100, 150, 200, 365].map((days) => ({ at: NOW - days * DAY })) },
      null,
    ],
    [
      'two past and two scheduled surveys within a year',
      { contacts: [-100, -150, 200, 210].map((days) => ({ at: NOW - days * DAY })) },
      'max_per_window',
    ],
    [
      'the delay moves the send 14 days past the last survey',
      { delay: '4d', contacts: [{ at: NOW - 10 * DAY }] },
      null,
    ],
  ])('when %s, then the skip rule is %s', (_, scenario, rule) => {
    const decision = decide(scenario);
    if (rule === null) expect(decision.action).toBe('send');
    else expect(decision).toMatchObject({ action: 'skip', rule });
  });

  it.each<[string, Scenario, string]>([
    [
      'a survey of any program',
      { contacts: [{ at: NOW - 3 * DAY }] },
      'last survey 3 days ago; minimum 14 days between surveys',
    ],
    [
      'a scheduled survey',
      { contacts: [{ at: NOW + 5 * DAY + HOUR }] },
      'another survey scheduled in 5 days; minimum 14 days between surveys',
    ],
    [
      'a survey of this program',
      { contacts: [{ programId: PROGRAM, at: NOW - 20 * DAY }] },
      'last store-nps survey 20 days ago; minimum 30 days between store-nps surveys',
    ],
    [
      'the yearly limit',
      { contacts: [100, 150, 200, 300].map((days) => ({ at: NOW - days * DAY })) },
      '4 surveys within 365 days; at most 4 per 365 days',
    ],
  ])('when skipped for %s, then the reason gives the numbers', (_, scenario, reason) => {
    expect(decide(scenario)).toMatchObject({ action: 'skip', reason });
  });

  it('when several throttles fail, then the first in order any program, this program, window is named', () => {
    const decision = decide({
      rules: { maxPerWindow: { count: 1, window: '365d' } },
      contacts: [{ programId: PROGRAM, at: NOW - DAY }],
    });
    expect(decision).toMatchObject({ action: 'skip', rule: 'min_interval_any' });
  });
});

describe('decideContact: throttles when throttled surveys are deferred', () => {
  const defer = (rules: Record<string, unknown> = {}) => ({ whenThrottled: 'defer', ...rules });

  it.each<[string, Scenario, number, string]>([
    [
      'the last survey was 3 days ago',
      { rules: defer(), contacts: [{ at: NOW - 3 * DAY }] },
      NOW + 11 * DAY,
      'min_interval_any',
    ],
    [
      'this program surveyed 20 days ago',
      { rules: defer(), contacts: [{ programId: PROGRAM, at: NOW - 20 * DAY }] },
      NOW + 10 * DAY,
      'min_interval_program',
    ],
    [
      'four surveys in the last year',
      { rules: defer(), contacts: [100, 150, 200, 300].map((days) => ({ at: NOW - days * DAY })) },
      NOW + 65 * DAY,
      'max_per_window',
    ],
    [
      'two scheduled surveys fill a 30-day window',
      {
        rules: defer({ ...relaxed, maxPerWindow: { count: 2, window: '30d' } }),
        contacts: [{ at: NOW + 5 * DAY }, { at: NOW + 10 * DAY }],
      },
      NOW + 35 * DAY,
      'max_per_window',
    ],
  ])('when %s, then the survey is deferred to the first allowed moment', (_, scenario, sendAt, rule) => {
    expect(decide(scenario)).toMatchObject({ action: 'defer', sendAt, rule });
  });

  it('when each throttle in turn pushes the send, then it lands at the fixed point and names the first rule', () => {
    const decision = decide({
      rules: defer({ maxPerWindow: { count: 2, window: '90d' } }),
      contacts: [{ at: NOW - 60 * DAY }, { programId: PROGRAM, at: NOW - 10 * DAY }],
    });
    // any program: -10d + 14d = +4d; this program: -10d + 30d = +20d; window (-70d, +20d] holds 2: -60d + 90d = +30d.
    expect(decision).toEqual({
      action: 'defer',
      sendAt: NOW + 30 * DAY,
      rule: 'min_interval_any',
      reason:
        'last survey 10 days ago; minimum 14 days between surveys; ' +
        'then last store-nps survey 10 days ago; minimum 30 days between store-nps surveys; ' +
        'then 2 surveys within 90 days; at most 2 per 90 days',
    });
  });

  it('when the deferred moment collides with a scheduled survey, then it is deferred past that one too', () => {
    const decision = decide({ rules: defer(), contacts: [{ at: NOW - 5 * DAY }, { at: NOW + 10 * DAY }] });
    expect(decision).toEqual({
      action: 'defer',
      sendAt: NOW + 24 * DAY,
      rule: 'min_interval_any',
      reason: 'another survey scheduled in 10 days; minimum 14 days between surveys',
    });
  });

  it.each([
    ['one day earlier', -DAY, false],
    ['at the answer', 0, true],
  ])('when the deferred moment is checked %s, then it passes all throttles is %s', (_, shift, passes) => {
    const contacts = [{ at: NOW - 60 * DAY }, { programId: PROGRAM, at: NOW - 10 * DAY }];
    const rules = { whenThrottled: 'skip', maxPerWindow: { count: 2, window: '90d' } };
    const decision = decide({ now: NOW + 30 * DAY + shift, rules, contacts });
    expect(decision.action === 'send').toBe(passes);
  });

  it('when the window holds more surveys than allowed, then one push waits until enough of them have left it', () => {
    const decision = decide({
      rules: defer({ maxPerWindow: { count: 2, window: '365d' } }),
      contacts: [300, 200, 100].map((days) => ({ at: NOW - days * DAY })),
    });
    expect(decision).toEqual({
      action: 'defer',
      sendAt: NOW + 165 * DAY,
      rule: 'max_per_window',
      reason: '3 surveys within 365 days; at most 2 per 365 days',
    });
  });

  it('when nothing is throttled in defer mode, then the survey is sent', () => {
    expect(decide({ rules: defer(), contacts: [{ at: NOW - 20 * DAY }] })).toMatchObject({
      action: 'send',
      sendAt: NOW,
    });
  });
});

describe('decideContact: quiet hours', () => {
  const quiet = (start: string, end: string, extra: Record<string, unknown> = {}) => ({
    ...relaxed,
    quietHours: { start, end },
    ...extra,
  });
  const utc = (day: number, hour: number, minute = 0) => Date.UTC(2024, 5, day, hour, minute);

  it.each<[string, number, number | null]>([
    ['20:59', utc(10, 20, 59), null],
    ['21:00', utc(10, 21, 0), utc(11, 8)],
    ['22:30', utc(10, 22, 30), utc(11, 8)],
    ['23:59', utc(10, 23, 59), utc(11, 8)],
    ['00:00', utc(11, 0, 0), utc(11, 8)],
    ['02:00', utc(11, 2, 0), utc(11, 8)],
    ['07:59', utc(11, 7, 59), utc(11, 8)],
    ['08:00', utc(11, 8, 0), null],
  ])('when quiet hours wrap midnight (21:00–08:00 UTC) and it is %s, then the send moves to %s', (_, now, sendAt) => {
    const decision = decide({ now, rules: quiet('21:00', '08:00') });
    if (sendAt === null) expect(decision).toMatchObject({ action: 'send', sendAt: now });
    else expect(decision).toMatchObject({ action: 'defer', sendAt, rule: 'quiet_hours' });
  });

  it.each<[string, number, number | null]>([
    ['11:59', utc(10, 11, 59), null],
    ['12:00', utc(10, 12, 0), utc(10, 13)],
    ['12:30', utc(10, 12, 30), utc(10, 13)],
    ['13:00', utc(10, 13, 0), null],
    ['23:00', utc(10, 23, 0), null],
  ])('when quiet hours do not wrap (12:00–13:00 UTC) and it is %s, then the send moves to %s', (_, now, sendAt) => {
    const decision = decide({ now, rules: quiet('12:00', '13:00') });
    if (sendAt === null) expect(decision).toMatchObject({ action: 'send', sendAt: now });
    else expect(decision).toMatchObject({ action: 'defer', sendAt, rule: 'quiet_hours' });
  });

  it('when quiet hours start and end at the same time, then there are none', () => {
    expect(decide({ now: utc(10, 3), rules: quiet('08:00', '08:00') })).toMatchObject({ action: 'send' });
  });

  it('when the send moment is late evening in the customer timezone, then the reason says so', () => {
    expect(
      decide({ now: utc(10, 19, 30), rules: quiet('21:00', '08:00'), customer: { timezone: 'Europe/Berlin' } }),
    ).toEqual({
      action: 'defer',
      sendAt: utc(11, 6),
      rule: 'quiet_hours',
      reason: '21:30 Europe/Berlin is within quiet hours 21:00–08:00; sending at 08:00',
    });
  });

  it.each<[string, string | undefined, number, number | null]>([
    ['Berlin 21:30 (UTC+2)', 'Europe/Berlin', utc(10, 19, 30), utc(11, 6)],
    ['Berlin 20:30 (UTC+2)', 'Europe/Berlin', utc(10, 18, 30), null],
    ['New York 23:00 (UTC−4)', 'America/New_York', utc(11, 3), utc(11, 12)],
    ['New York 17:00 (UTC−4)', 'America/New_York', utc(10, 21), null],
    ['Kolkata 07:30 (UTC+5:30)', 'Asia/Kolkata', utc(10, 2), utc(10, 2, 30)],
    ['Tokyo 08:00 (UTC+9)', 'Asia/Tokyo', utc(9, 23), null],
    ['an unknown timezone at 22:00 UTC', 'Mars/Olympus_Mons', utc(10, 22), utc(11, 8)],
    ['no timezone at 22:00 UTC', undefined, utc(10, 22), utc(11, 8)],
    ['no timezone at 20:00 UTC (Berlin 22:00)', undefined, utc(10, 20), null],
  ])('when it is %s, then the send moves to %s', (_, timezone, now, sendAt) => {
    const decision = decide({ now, rules: quiet('21:00', '08:00'), customer: { timezone } });
    if (sendAt === null) expect(decision).toMatchObject({ action: 'send', sendAt: now });
    else expect(decision).toMatchObject({ action: 'defer', sendAt, rule: 'quiet_hours' });
  });

  it.each<[string, number, string, number]>([
    // Spring forward, Sunday 31 March 2024: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    ['Saturday 22:00 CET before spring forward', Date.UTC(2024, 2, 30, 21), '08:00', Date.UTC(2024, 2, 31, 6)],
    ['Sunday 01:30 CET, just before the jump', Date.UTC(2024, 2, 31, 0, 30), '08:00', Date.UTC(2024, 2, 31, 6)],
    ['Sunday 03:30 CEST, just after the jump', Date.UTC(2024, 2, 31, 1, 30), '08:00', Date.UTC(2024, 2, 31, 6)],
    [
      'Saturday 23:00 CET, quiet until 02:30 that never shows',
      Date.UTC(2024, 2, 30, 22),
      '02:30',
      Date.UTC(2024, 2, 31, 1),
    ],
    // Fall back, Sunday 27 October 2024: 03:00 CEST becomes 02:00 CET at 01:00 UTC.
    ['Saturday 22:00 CEST before fall back', Date.UTC(2024, 9, 26, 20), '08:00', Date.UTC(2024, 9, 27, 7)],
    ['Sunday 02:10 CEST, the first 02:10', Date.UTC(2024, 9, 27, 0, 10), '02:30', Date.UTC(2024, 9, 27, 0, 30)],
    ['Sunday 02:10 CET, the second 02:10', Date.UTC(2024, 9, 27, 1, 10), '02:30', Date.UTC(2024, 9, 27, 1, 30)],
  ])(
    'when Berlin changes clocks and it is %s, then quiet hours until %s end at the right instant',
    (_, now, end, sendAt) => {
      const decision = decide({ now, rules: quiet('21:00', end), customer: { timezone: 'Europe/Berlin' } });
      expect(decision).toMatchObject({ action: 'defer', sendAt, rule: 'quiet_hours' });
    },
  );

  it('when throttled surveys are skipped, then quiet hours still only defer', () => {
    expect(decide({ now: utc(10, 22), rules: quiet('21:00', '08:00', { whenThrottled: 'skip' }) })).toMatchObject({
      action: 'defer',
      sendAt: utc(11, 8),
    });
  });

  it('when a throttle defers into quiet hours, then the send waits for the morning and names the throttle', () => {
    const decision = decide({
      now: utc(10, 12),
      rules: { quietHours: { start: '21:00', end: '08:00' }, whenThrottled: 'defer' },
      contacts: [{ at: utc(10, 22) - 14 * DAY }],
    });
    expect(decision).toEqual({
      action: 'defer',
      sendAt: utc(11, 8),
      rule: 'min_interval_any',
      reason:
        'last survey 13 days ago; minimum 14 days between surveys; ' +
        'then 22:00 UTC is within quiet hours 21:00–08:00; sending at 08:00',
    });
  });

  it('when quiet hours push the send too close to a scheduled survey and throttles defer, then both are re-checked', () => {
    // At 22:00 the scheduled survey is 14 days 5 hours away; after quiet hours (08:00) it is 13 days 19 hours away.
    const scheduled = utc(10, 22) + 14 * DAY + 5 * HOUR;
    const decision = decide({
      now: utc(10, 22),
      rules: { quietHours: { start: '21:00', end: '08:00' }, whenThrottled: 'defer' },
      contacts: [{ at: scheduled }],
    });
    // 14 days after the scheduled survey is 03:00 UTC, quiet again, so 08:00.
    expect(decision).toMatchObject({ action: 'defer', sendAt: utc(25, 8) + 14 * DAY, rule: 'quiet_hours' });
  });

  it('when quiet hours push the send too close to a scheduled survey and throttles skip, then it is skipped', () => {
    const decision = decide({
      now: utc(10, 22),
      rules: { quietHours: { start: '21:00', end: '08:00' }, whenThrottled: 'skip' },
      contacts: [{ at: utc(10, 22) + 14 * DAY + 5 * HOUR }],
    });
    expect(decision).toMatchObject({ action: 'skip', rule: 'min_interval_any' });
  });

  it.each([
    ['24:00', '08:00'],
    ['21:00', '08:60'],
  ])('when quiet hours are %s–%s, then the configuration is rejected', (start, end) => {
    expect(() => decide({ rules: quiet(start, end) })).toThrow(/a time such as 21:00/);
  });
});

describe('instantOfWallTime', () => {
  const wall = (year: number, month: number, day: number, hour: number, minute: number): WallTime => ({
    year,
    month,
    day,
    hour,
    minute,
    second: 0,
  });

  it.each<[string, WallTime, string, number, number]>([
    ['08:00 in UTC', wall(2024, 6, 11, 8, 0), 'UTC', 0, Date.UTC(2024, 5, 11, 8)],
    ['08:00 in Berlin in winter', wall(2024, 1, 15, 8, 0), 'Europe/Berlin', 0, Date.UTC(2024, 0, 15, 7)],
    ['08:00 in Berlin in summer', wall(2024, 7, 15, 8, 0), 'Europe/Berlin', 0, Date.UTC(2024, 6, 15, 6)],
    ['02:30 Berlin, skipped in spring', wall(2024, 3, 31, 2, 30), 'Europe/Berlin', 0, Date.UTC(2024, 2, 31, 1)],
    ['02:30 Berlin, twice in autumn', wall(2024, 10, 27, 2, 30), 'Europe/Berlin', 0, Date.UTC(2024, 9, 27, 0, 30)],
    [
      '02:30 Berlin, twice in autumn, after the first',
      wall(2024, 10, 27, 2, 30),
      'Europe/Berlin',
      Date.UTC(2024, 9, 27, 0, 30),
      Date.UTC(2024, 9, 27, 1, 30),
    ],
    ['02:00 New York, skipped in spring', wall(2024, 3, 10, 2, 0), 'America/New_York', 0, Date.UTC(2024, 2, 10, 7)],
    ['00:00 Santiago, skipped in spring', wall(2024, 9, 8, 0, 0), 'America/Santiago', 0, Date.UTC(2024, 8, 8, 4)],
  ])('when the clock should show %s, then the instant is found', (_, wallTime, timeZone, after, instant) => {
    expect(instantOfWallTime(wallTime, timeZone, after)).toBe(instant);
  });
});
