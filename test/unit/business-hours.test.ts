import { describe, expect, it } from 'vitest';
import {
  ALWAYS_OPEN,
  type Calendar,
  addBusinessMs,
  businessMsBetween,
  slaStatus,
} from '../../src/domain/business-hours';
import { ZCalendar } from '../../src/domain/calendar-schema';

const HOUR = 3_600_000;
const office: Calendar = ZCalendar.parse({
  timezone: 'Europe/Berlin',
  weekly: {
    mon: [{ start: '09:00', end: '17:00' }],
    tue: [{ start: '09:00', end: '17:00' }],
    wed: [{ start: '09:00', end: '17:00' }],
    thu: [{ start: '09:00', end: '17:00' }],
    fri: [
      { start: '09:00', end: '12:00' },
      { start: '13:00', end: '17:00' },
    ],
  },
  holidays: ['2026-12-25'],
});
/** A Berlin wall time in winter (UTC+1) or summer (UTC+2), as an instant. */
const berlin = (iso: string) => Date.parse(iso);

describe('business hours', () => {
  it('adds working time across a lunch break and a weekend', () => {
    // Fri 2026-11-27 11:00 CET + 3 h: 11–12, 13–15
    expect(addBusinessMs(office, berlin('2026-11-27T11:00:00+01:00'), 3 * HOUR)).toBe(
      berlin('2026-11-27T15:00:00+01:00'),
    );
    // Fri 16:00 + 2 h → Mon 10:00
    expect(addBusinessMs(office, berlin('2026-11-27T16:00:00+01:00'), 2 * HOUR)).toBe(
      berlin('2026-11-30T10:00:00+01:00'),
    );
    // from a Saturday: starts Monday 09:00
    expect(addBusinessMs(office, berlin('2026-11-28T10:00:00+01:00'), HOUR)).toBe(berlin('2026-11-30T10:00:00+01:00'));
  });

  it('skips holidays', () => {
    // Thu 2026-12-24 16:00 + 2 h: 1 h on Thursday, Friday 25th is a holiday → Mon 28th 10:00
    expect(addBusinessMs(office, berlin('2026-12-24T16:00:00+01:00'), 2 * HOUR)).toBe(
      berlin('2026-12-28T10:00:00+01:00'),
    );
  });

  it('counts working time between two instants', () => {
    expect(businessMsBetween(office, berlin('2026-11-27T08:00:00+01:00'), berlin('2026-11-30T10:00:00+01:00'))).toBe(
      8 * HOUR,
    );
    expect(businessMsBetween(office, berlin('2026-11-28T00:00:00+01:00'), berlin('2026-11-29T23:00:00+01:00'))).toBe(0);
    expect(businessMsBetween(office, 10, 5)).toBe(0);
  });

  it('follows the local clock across daylight saving changes', () => {
    const night: Calendar = ZCalendar.parse({
      timezone: 'Europe/Berlin',
      weekly: { sun: [{ start: '01:00', end: '04:00' }] },
    });
    // 2026-03-29: clocks jump from 02:00 to 03:00, so 01:00–04:00 lasts two hours
    expect(businessMsBetween(night, berlin('2026-03-28T00:00:00+01:00'), berlin('2026-03-30T00:00:00+02:00'))).toBe(
      2 * HOUR,
    );
    // 2026-10-25: clocks fall back from 03:00 to 02:00, so it lasts four hours
    expect(businessMsBetween(night, berlin('2026-10-24T00:00:00+02:00'), berlin('2026-10-26T00:00:00+01:00'))).toBe(
      4 * HOUR,
    );
    // office hours stay 09:00 local on either side of the change
    expect(addBusinessMs(office, berlin('2026-03-27T16:30:00+01:00'), HOUR)).toBe(berlin('2026-03-30T09:30:00+02:00'));
  });

  it('is plain time for a round-the-clock calendar, and null without any hours', () => {
    expect(addBusinessMs(ALWAYS_OPEN, 1_000, 5 * HOUR)).toBe(1_000 + 5 * HOUR);
    expect(businessMsBetween(ALWAYS_OPEN, 0, 50 * HOUR)).toBe(50 * HOUR);
    expect(addBusinessMs(ZCalendar.parse({ timezone: 'UTC', weekly: {} }), 0, HOUR)).toBeNull();
  });

  it('refuses malformed calendars', () => {
    expect(ZCalendar.safeParse({ timezone: 'UTC', weekly: { mon: [{ start: '17:00', end: '09:00' }] } }).success).toBe(
      false,
    );
    expect(ZCalendar.safeParse({ timezone: 'UTC', weekly: { mon: [{ start: '9:00', end: '17:00' }] } }).success).toBe(
      false,
    );
    expect(ZCalendar.safeParse({ timezone: 'UTC', weekly: { funday: [] } }).success).toBe(false);
    expect(ZCalendar.safeParse({ timezone: 'UTC', weekly: {}, holidays: ['25.12.2026'] }).success).toBe(false);
  });
});

describe('SLA status', () => {
  const startedAt = berlin('2026-11-30T09:00:00+01:00'); // a Monday
  const budgetMs = 4 * HOUR;

  it('counts working time used and says when it is due', () => {
    const status = slaStatus(office, { startedAt, budgetMs, pauses: [] }, berlin('2026-11-30T11:00:00+01:00'));
    expect(status).toMatchObject({ usedMs: 2 * HOUR, remainingMs: 2 * HOUR, breached: false, paused: false });
    expect(status.dueAt).toBe(berlin('2026-11-30T13:00:00+01:00'));
  });

  it('stops the clock while the case waits on the customer', () => {
    const pauses = [{ from: berlin('2026-11-30T10:00:00+01:00'), to: berlin('2026-11-30T15:00:00+01:00') }];
    const status = slaStatus(office, { startedAt, budgetMs, pauses }, berlin('2026-11-30T16:00:00+01:00'));
    expect(status).toMatchObject({ usedMs: 2 * HOUR, remainingMs: 2 * HOUR, breached: false });
    expect(status.dueAt).toBe(berlin('2026-12-01T10:00:00+01:00'));

    const waiting = slaStatus(
      office,
      { startedAt, budgetMs, pauses: [{ from: berlin('2026-11-30T10:00:00+01:00') }] },
      berlin('2026-12-01T12:00:00+01:00'),
    );
    expect(waiting).toMatchObject({ usedMs: HOUR, paused: true, dueAt: null, breached: false });
  });

  it('is breached once the budget of working time is used up', () => {
    const status = slaStatus(office, { startedAt, budgetMs, pauses: [] }, berlin('2026-11-30T14:30:00+01:00'));
    expect(status).toMatchObject({ usedMs: 5.5 * HOUR, remainingMs: -1.5 * HOUR, breached: true, dueAt: null });
  });
});
