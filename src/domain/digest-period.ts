// Kept free of zod, as every module the workflows import (the digest workflow names its period).
/** The periods a digest covers: a UTC day or an ISO week (weeks start Monday, UTC). */

export type SentFrequency = 'daily' | 'weekly';

/** When the schedules send (UTC): the period before has ended for everyone in Europe and the Americas. */
export const DIGEST_HOUR_UTC = 6;

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The ISO week of a UTC day: `YYYY-Www`, weeks starting Monday, week 1 holding the year's first Thursday. */
export function isoWeekOf(ms: number): string {
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  const thursday = day + (3 - weekday) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

/** The Monday (00:00 UTC) that starts an ISO week. */
function weekStart(year: number, week: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const monday = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  return monday + (week - 1) * 7 * DAY_MS;
}

export interface DigestPeriodRange {
  period: string;
  frequency: SentFrequency;
  /** [start, end) in ms, UTC. */
  start: number;
  end: number;
  /** The period before, for what rose. */
  previousStart: number;
  /** First and last day, YYYY-MM-DD. */
  from: string;
  to: string;
}

/** The bounds of a period (throws on something that is not one). */
export function digestPeriodRange(period: string): DigestPeriodRange {
  const day = DAY_PATTERN.exec(period);
  const week = WEEK_PATTERN.exec(period);
  if (!day && !week) throw new RangeError(`not a digest period: ${period}`);
  const frequency: SentFrequency = day ? 'daily' : 'weekly';
  const start = day
    ? Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]))
    : weekStart(Number(week![1]), Number(week![2]));
  const length = day ? DAY_MS : 7 * DAY_MS;
  const canonical = day ? dayOf(start) : isoWeekOf(start);
  return {
    period: canonical,
    frequency,
    start,
    end: start + length,
    previousStart: start - length,
    from: dayOf(start),
    to: dayOf(start + length - DAY_MS),
  };
}

/** The last complete period at `ms`: yesterday (UTC), or last ISO week. What a scheduled run covers. */
export function digestPeriodBefore(frequency: SentFrequency, ms: number): string {
  return frequency === 'daily' ? dayOf(ms - DAY_MS) : isoWeekOf(ms - 7 * DAY_MS);
}

/** The exactly-once key of a person's digest for a period. */
export const digestEmailKey = (userId: string, period: string) => `digest:${userId}:${period}`;
