// Kept free of zod, as every module the workflows import (contact-schema.ts has the schema).
import type { TContactRules } from './contact-schema';
import { durationMs } from './duration';
import { customerTimeZone, instantOfWallTime, wallTime } from './time-zone';

export interface ContactDecisionInput {
  /** Epoch ms, decision time. */
  now: number;
  /** Epoch ms of the triggering transaction. */
  eventAt: number;
  program: { id: string; delay: string; contactRules: TContactRules };
  customer: { unsubscribed: boolean; timezone?: string; hasOpenCase: boolean };
  /** Surveys already sent or scheduled to this customer, by any program. */
  contacts: { programId: string; at: number }[];
  /** This customer's transaction times (epoch ms), including this one. */
  transactions: number[];
}

export type ContactRule =
  | 'unsubscribed'
  | 'open_case'
  | 'frequent_transactor'
  | 'min_interval_any'
  | 'min_interval_program'
  | 'max_per_window'
  | 'quiet_hours';

/**
 * `send` goes out at the target moment (now, or the program delay after the transaction); `defer` goes out later,
 * and `rule` is the first rule that pushed it back, while `reason` explains every push in order.
 */
export type ContactDecision =
  | { action: 'send'; sendAt: number; reason: string }
  | { action: 'defer'; sendAt: number; rule: ContactRule; reason: string }
  | { action: 'skip'; rule: ContactRule; reason: string };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "14 days", "3 hours": the largest whole unit, rounded down, for operators rather than machines. */
export function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [DAY, 'day'],
    [HOUR, 'hour'],
    [MINUTE, 'minute'],
  ];
  for (const [size, unit] of units) if (ms >= size) return plural(Math.floor(ms / size), unit);
  return plural(Math.floor(ms / 1000), 'second');
}

/** "3 days ago" or "in 2 days" as seen at `now`. */
function relative(at: number, now: number): string {
  return at <= now ? `${describeDuration(now - at)} ago` : `in ${describeDuration(at - now)}`;
}

interface Violation {
  rule: ContactRule;
  /** No moment before this one can satisfy the rule, so the search may jump here. */
  notBefore: number;
  reason: string;
}

type Contact = ContactDecisionInput['contacts'][number];

function skip(rule: ContactRule, reason: string): ContactDecision {
  return { action: 'skip', rule, reason };
}

/**
 * A frequent transactor (more than `maxTransactions` in the window ending at the transaction) already surveyed by
 * this program in that window is not surveyed again; surveys scheduled after the transaction count as well.
 */
function frequentTransactor(input: ContactDecisionInput): ContactDecision | null {
  const rule = input.program.contactRules.frequentTransactor;
  if (!rule) return null;
  const window = durationMs(rule.window);
  const windowStart = input.eventAt - window;
  const transactions = input.transactions.filter((at) => at > windowStart && at <= input.eventAt).length;
  if (transactions <= rule.maxTransactions) return null;
  const surveyed = input.contacts
    .filter((contact) => contact.programId === input.program.id && contact.at > windowStart)
    .sort((a, b) => b.at - a.at)[0];
  if (!surveyed) return null;
  return skip(
    'frequent_transactor',
    `${plural(transactions, 'transaction')} in the last ${describeDuration(window)} ` +
      `(frequent above ${rule.maxTransactions}); ` +
      `already surveyed by this program ${relative(surveyed.at, input.now)}`,
  );
}

/** Contacts closer than `interval` to `at`, before or after it; the send waits until the last of them is far enough. */
function minInterval(
  at: number,
  now: number,
  contacts: Contact[],
  interval: number,
  rule: ContactRule,
  what: string,
): Violation | null {
  const latest = contacts.filter((contact) => Math.abs(contact.at - at) < interval).sort((a, b) => b.at - a.at)[0];
  if (!latest) return null;
  const when =
    latest.at <= now
      ? `last ${what} ${relative(latest.at, now)}`
      : `another ${what} scheduled ${relative(latest.at, now)}`;
  return {
    rule,
    notBefore: latest.at + interval,
    reason: `${when}; minimum ${describeDuration(interval)} between ${what}s`,
  };
}

/**
 * No rolling window may hold more than `count` surveys. The fullest window around `at` ends either at `at` or at a
 * later contact; while it holds `count` others, every moment before the oldest of the newest `count` leaves it fails.
 */
function maxPerWindow(at: number, contacts: Contact[], limit: TContactRules['maxPerWindow']): Violation | null {
  const window = durationMs(limit.window);
  const period = describeDuration(window);
  const times = contacts.map((contact) => contact.at).sort((a, b) => a - b);
  const windowEnds = [at, ...times.filter((time) => time > at && time < at + window)];
  for (const end of windowEnds) {
    const inWindow = times.filter((time) => time > end - window && time <= end);
    if (inWindow.length < limit.count) continue;
    return {
      rule: 'max_per_window',
      notBefore: inWindow[inWindow.length - limit.count]! + window,
      reason: `${plural(inWindow.length, 'survey')} within ${period}; at most ${limit.count} per ${period}`,
    };
  }
  return null;
}

/** The first throttle `at` breaks, checked in the order: any program, this program, per window. */
function throttle(input: ContactDecisionInput, at: number): Violation | null {
  const rules = input.program.contactRules;
  const sameProgram = input.contacts.filter((contact) => contact.programId === input.program.id);
  return (
    minInterval(at, input.now, input.contacts, durationMs(rules.minIntervalAnyProgram), 'min_interval_any', 'survey') ??
    minInterval(
      at,
      input.now,
      sameProgram,
      durationMs(rules.minIntervalSameProgram),
      'min_interval_program',
      `${input.program.id} survey`,
    ) ??
    maxPerWindow(at, input.contacts, rules.maxPerWindow)
  );
}

// ---- Quiet hours, in the customer's local time ----

function minutesOfDay(time: string): number {
  const [hours, minutes] = time.split(':').map(Number) as [number, number];
  if (hours > 23 || minutes > 59)
    throw new RangeError(`quiet hours need a time of day from 00:00 to 23:59, not ${time}`);
  return hours * 60 + minutes;
}

/** Quiet hours run from `start` up to `end` local time, past midnight when `end` is earlier; equal times mean none. */
function quietHours(input: ContactDecisionInput, at: number): Violation | null {
  const quiet = input.program.contactRules.quietHours;
  if (!quiet) return null;
  const start = minutesOfDay(quiet.start);
  const end = minutesOfDay(quiet.end);
  const timeZone = customerTimeZone(input.customer.timezone);
  const wall = wallTime(at, timeZone);
  const minute = wall.hour * 60 + wall.minute;
  const wraps = start > end;
  const inside = wraps ? minute >= start || minute < end : minute >= start && minute < end;
  if (!inside) return null;
  const endsTomorrow = wraps && minute >= start;
  const endDay = new Date(Date.UTC(wall.year, wall.month - 1, wall.day + (endsTomorrow ? 1 : 0)));
  const notBefore = instantOfWallTime(
    {
      year: endDay.getUTCFullYear(),
      month: endDay.getUTCMonth() + 1,
      day: endDay.getUTCDate(),
      hour: Math.floor(end / 60),
      minute: end % 60,
      second: 0,
    },
    timeZone,
    at,
  );
  const local = `${String(wall.hour).padStart(2, '0')}:${String(wall.minute).padStart(2, '0')}`;
  return {
    rule: 'quiet_hours',
    notBefore,
    reason: `${local} ${timeZone} is within quiet hours ${quiet.start}–${quiet.end}; sending at ${quiet.end}`,
  };
}

/**
 * Whether and when to send a survey for a transaction. Each rule that fails names the earliest moment it could
 * pass; jumping there and checking all rules again until none fails gives the earliest moment they all allow.
 */
export function decideContact(input: ContactDecisionInput): ContactDecision {
  const { program, customer } = input;
  if (customer.unsubscribed) return skip('unsubscribed', 'customer has unsubscribed from surveys');
  if (customer.hasOpenCase) return skip('open_case', 'customer has an open case; no surveys until it is closed');
  const frequent = frequentTransactor(input);
  if (frequent) return frequent;

  const delay = durationMs(program.delay);
  const target = Math.max(input.now, input.eventAt + delay);
  const pushes: Violation[] = [];
  let sendAt = target;
  for (;;) {
    const throttled = throttle(input, sendAt);
    if (throttled && program.contactRules.whenThrottled === 'skip') return skip(throttled.rule, throttled.reason);
    const violation = throttled ?? quietHours(input, sendAt);
    if (!violation) break;
    // Each push must move forward or the search never ends; fail loudly rather than hang the workflow.
    if (violation.notBefore <= sendAt) throw new Error(`contact rule ${violation.rule} did not move the send forward`);
    pushes.push(violation);
    sendAt = violation.notBefore;
  }

  const [first] = pushes;
  if (!first) {
    const reason =
      delay > 0 && sendAt > input.now
        ? `contact rules allow it; sending ${describeDuration(delay)} after the transaction (program delay)`
        : 'contact rules allow it';
    return { action: 'send', sendAt, reason };
  }
  return { action: 'defer', sendAt, rule: first.rule, reason: pushes.map((push) => push.reason).join('; then ') };
}
