import { z } from 'zod';
import { stableFraction } from './hash';

/**
 * Relationship cadences: every eligible customer is surveyed once per cycle, on a day of the
 * cycle derived from the program and customer IDs, so contacts spread evenly over the cycle and
 * a report is always current. Days are UTC calendar days counted from 1970-01-01.
 */

const DAY_MS = 86_400_000;
/** Longest custom cycle: two years. */
const MAX_CYCLE_DAYS = 730;

const ZCycle = z.union([
  z.enum(['yearly', 'quarterly', 'monthly']),
  z
    .string()
    .regex(/^[1-9]\d{0,2}d$/, 'a cycle is yearly, quarterly, monthly or a number of days such as 30d')
    .refine((cycle) => Number.parseInt(cycle, 10) <= MAX_CYCLE_DAYS, `at most ${MAX_CYCLE_DAYS}d`),
]);
export type Cycle = z.infer<typeof ZCycle>;

export const ZRelationshipCadence = z
  .object({
    /** Calendar year, quarter or month (UTC), or cycles of a number of days counted from `startsOn`. */
    cycle: ZCycle,
    /** First day of the first N-day cycle; calendar cycles ignore it. */
    startsOn: z.iso.date().default('1970-01-01'),
    /** When each day's wave runs, in `timezone`. */
    runAt: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 09:00')
      .default('09:00'),
    timezone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Berlin').default('UTC'),
    /**
     * Days whose wave did not run (the system was down): `catch-up` surveys their customers at the
     * next wave, late; `skip` leaves them to the next cycle. Days of an earlier cycle are never caught up.
     */
    missedDays: z.enum(['catch-up', 'skip']).default('catch-up'),
  })
  .strict();
export type TRelationshipCadence = z.infer<typeof ZRelationshipCadence>;

/** An IANA time zone the runtime knows, e.g. Europe/Berlin. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The UTC day number of an instant. */
export const dayOf = (at: Date | number): number => Math.floor(new Date(at).getTime() / DAY_MS);
export const dateOfDay = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

export interface CycleSpan {
  /** First day of the cycle. */
  start: number;
  /** Its length in days. */
  length: number;
}

/** The cycle that contains `day`. */
export function cycleContaining(cadence: Pick<TRelationshipCadence, 'cycle' | 'startsOn'>, day: number): CycleSpan {
  if (cadence.cycle.endsWith('d')) {
    const length = Number.parseInt(cadence.cycle, 10);
    const first = dayOf(Date.parse(cadence.startsOn));
    const start = first + Math.floor((day - first) / length) * length;
    return { start, length };
  }
  const date = new Date(day * DAY_MS);
  const year = date.getUTCFullYear();
  const months = { yearly: 12, quarterly: 3, monthly: 1 }[cadence.cycle as 'yearly' | 'quarterly' | 'monthly'];
  const firstMonth = Math.floor(date.getUTCMonth() / months) * months;
  const start = dayOf(Date.UTC(year, firstMonth, 1));
  return { start, length: dayOf(Date.UTC(year, firstMonth + months, 1)) - start };
}

/**
 * Where in every cycle the customer falls, in [0, 1). The program is part of the key, so one
 * customer's programs fall on different days.
 */
export const cyclePosition = (programId: string, customerId: string): number =>
  stableFraction(`${programId}\u0000${customerId}`);

/**
 * The customer's survey day in the cycle: their position scaled to the cycle's days. A customer
 * who joined after the cycle began is placed the same way among the days after the one they joined
 * on (that day's wave may have run already); joining on the last day leaves them to the next cycle.
 */
export function surveyDay(position: number, cycle: CycleSpan, joinedDay: number): number | undefined {
  const end = cycle.start + cycle.length;
  const from = joinedDay <= cycle.start ? cycle.start : joinedDay + 1;
  if (from >= end) return undefined;
  return from + Math.floor(position * (end - from));
}

/** Whether the customer is due on `day`. */
export function isDueOn(
  cadence: Pick<TRelationshipCadence, 'cycle' | 'startsOn'>,
  programId: string,
  customer: { id: string; joinedAt: Date },
  day: number,
): boolean {
  const cycle = cycleContaining(cadence, day);
  return surveyDay(cyclePosition(programId, customer.id), cycle, dayOf(customer.joinedAt)) === day;
}

/**
 * The days a wave running on `today` covers, oldest first: today, and with `catch-up` the missed
 * days since the last completed one, within today's cycle. A day already done is never repeated.
 */
export function daysToSurvey(cadence: TRelationshipCadence, today: number, lastDone: number | undefined): number[] {
  if (lastDone !== undefined && lastDone >= today) return [];
  if (cadence.missedDays === 'skip' || lastDone === undefined) return [today];
  const from = Math.max(lastDone + 1, cycleContaining(cadence, today).start);
  return Array.from({ length: today - from + 1 }, (_, i) => from + i);
}

/** Each customer has one relationship event per program and cycle, so a repeated wave surveys nobody twice. */
export const relationshipEventId = (programId: string, cycle: CycleSpan, customerId: string) =>
  `rel:${programId}:${dateOfDay(cycle.start)}:${customerId}`;
