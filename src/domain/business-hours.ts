// Kept free of zod, as every module the workflows import (calendar-schema.ts has the schema).
import { type WallTime, instantOfWallTime, wallTime } from './time-zone';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A team's working time: weekly hours (`09:00`–`17:30`) in its time zone, minus holidays (local dates). */
export interface Calendar {
  timezone: string;
  weekly: Partial<Record<Weekday, { start: string; end: string }[]>>;
  holidays: string[];
}

/** Round the clock, every day: for teams (or tests) without office hours. */
export const ALWAYS_OPEN: Calendar = {
  timezone: 'UTC',
  weekly: Object.fromEntries(WEEKDAYS.map((d) => [d, [{ start: '00:00', end: '24:00' }]])),
  holidays: [],
};

const DAY = 86_400_000;
/** How far ahead a deadline is looked for: a calendar with hardly any hours must not loop for ever. */
const HORIZON_DAYS = 800;

export function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

const pad = (n: number) => String(n).padStart(2, '0');
const dateKey = (w: Pick<WallTime, 'year' | 'month' | 'day'>) => `${w.year}-${pad(w.month)}-${pad(w.day)}`;

/** The instant at which the local clock of `date` shows `minutes` past midnight (24:00 is the next midnight). */
function instantOn(date: { year: number; month: number; day: number }, minutes: number, timeZone: string): number {
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day) + Math.floor(minutes / 1440) * DAY);
  const wall: WallTime = {
    year: next.getUTCFullYear(),
    month: next.getUTCMonth() + 1,
    day: next.getUTCDate(),
    hour: Math.floor((minutes % 1440) / 60),
    minute: minutes % 60,
    second: 0,
  };
  return instantOfWallTime(wall, timeZone, Date.UTC(wall.year, wall.month - 1, wall.day) - 2 * DAY);
}

/** The working intervals (instants) of the local dates from the one containing `from`, in order. */
function* workingIntervals(calendar: Calendar, from: number): Generator<[number, number]> {
  const holidays = new Set(calendar.holidays);
  const first = wallTime(from, calendar.timezone);
  for (let i = 0; i < HORIZON_DAYS; i++) {
    const d = new Date(Date.UTC(first.year, first.month - 1, first.day) + i * DAY);
    const date = { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
    if (holidays.has(dateKey(date))) continue;
    for (const { start, end } of calendar.weekly[WEEKDAYS[d.getUTCDay()]!] ?? []) {
      yield [instantOn(date, minutesOf(start), calendar.timezone), instantOn(date, minutesOf(end), calendar.timezone)];
    }
  }
}

/** Working time between two instants, in milliseconds. */
export function businessMsBetween(calendar: Calendar, from: number, to: number): number {
  if (to <= from) return 0;
  let total = 0;
  for (const [start, end] of workingIntervals(calendar, from)) {
    if (start >= to) break;
    total += Math.max(0, Math.min(end, to) - Math.max(start, from));
  }
  return total;
}

/** The instant at which `ms` of working time have passed since `from`; null if the calendar has no hours ahead. */
export function addBusinessMs(calendar: Calendar, from: number, ms: number): number | null {
  let left = ms;
  for (const [start, end] of workingIntervals(calendar, from)) {
    const begin = Math.max(start, from);
    if (end <= begin) continue;
    if (left <= end - begin) return begin + left;
    left -= end - begin;
  }
  return null;
}

/** A stretch during which the clock stops (the case waits on the customer); `to` absent while it lasts. */
export interface Pause {
  from: number;
  to?: number;
}

export interface SlaStatus {
  usedMs: number;
  remainingMs: number;
  breached: boolean;
  paused: boolean;
  /** When the budget runs out if nothing pauses it; null while paused, once breached, or without hours ahead. */
  dueAt: number | null;
}

/**
 * Where an SLA stands at `now`: working time used since `startedAt` minus the working time spent
 * paused, against a budget of working time.
 */
export function slaStatus(
  calendar: Calendar,
  sla: { startedAt: number; budgetMs: number; pauses: readonly Pause[] },
  now: number,
): SlaStatus {
  const pausedMs = sla.pauses.reduce(
    (sum, p) => sum + businessMsBetween(calendar, Math.max(p.from, sla.startedAt), Math.min(p.to ?? now, now)),
    0,
  );
  const usedMs = businessMsBetween(calendar, sla.startedAt, now) - pausedMs;
  const remainingMs = sla.budgetMs - usedMs;
  const paused = sla.pauses.some((p) => p.from <= now && (p.to === undefined || p.to > now));
  return {
    usedMs,
    remainingMs,
    breached: remainingMs <= 0,
    paused,
    dueAt: paused || remainingMs <= 0 ? null : addBusinessMs(calendar, now, remainingMs),
  };
}
