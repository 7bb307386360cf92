// Time-zone arithmetic: the local clock an instant shows, and the instant a local clock shows.
// Business hours and quiet hours read local clocks through it; kept free of zod for the workflows.

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The customer's timezone as given (ICU would rename Asia/Kolkata to Asia/Calcutta), or UTC if unknown. */
export function customerTimeZone(timezone: string | undefined): string {
  if (!timezone) return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return timezone;
  } catch {
    return 'UTC';
  }
}

/** A local date and clock reading; month 1–12. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** One formatter per zone: building one costs far more than using it, and SLA arithmetic reads many wall times. */
const wallClocks = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string): Intl.DateTimeFormat {
  let clock = wallClocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallClocks.set(timeZone, clock);
  }
  return clock;
}

/** The local date and clock reading of an instant in a time zone. */
export function wallTime(at: number, timeZone: string): WallTime {
  const parts = wallClock(timeZone).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: part('year'),
    month: part('month'),
    day: part('day'),
    hour: part('hour'),
    minute: part('minute'),
    second: part('second'),
  };
}

/** The wall time read as if it were UTC; comparing it with the instant gives the zone's offset. */
function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** Local time minus UTC at `at`, which must be a whole second since the wall time has no milliseconds. */
function utcOffset(at: number, timeZone: string): number {
  return wallAsUtc(wallTime(at, timeZone)) - at;
}

/**
 * The first instant, after `after`, at which the local clock shows `wall`. Tries the offsets in force a day either
 * side (a zone changes offset at most once in that span) and keeps those the clock confirms. When the clock skips
 * `wall` (spring forward), the answer is the instant of the jump: the first moment the clock has passed `wall`.
 */
export function instantOfWallTime(wall: WallTime, timeZone: string, after: number): number {
  const naive = wallAsUtc(wall);
  const offsets = new Set([utcOffset(naive - DAY, timeZone), utcOffset(naive + DAY, timeZone)]);
  const candidates = [...offsets].map((offset) => naive - offset).sort((a, b) => a - b);
  const confirmed = candidates.filter((at) => at > after && wallAsUtc(wallTime(at, timeZone)) === naive);
  if (confirmed[0] !== undefined) return confirmed[0];
  // In the gap: the clock is before `wall` at the earlier candidate and past it at the later; find the jump.
  let before = candidates[0]!;
  let past = candidates[candidates.length - 1]!;
  while (past - before > MINUTE) {
    const middle = before + Math.floor((past - before) / 2 / MINUTE) * MINUTE;
    if (wallAsUtc(wallTime(middle, timeZone)) >= naive) past = middle;
    else before = middle;
  }
  return past;
}
