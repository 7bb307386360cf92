import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { readJourneyCounters } from '../db/journey-counters';
import { type JourneyReport, journeyFromCounters } from '../domain/journeys';
import { z } from 'zod';
import { ZDay, lastDays } from '../domain/dashboard';
import { ALL_SEGMENT, rollupDay } from '../domain/rollup';
import { segmentForUnit } from '../domain/units';
import { AppError } from './errors';
import type { UnitAccess } from './insight';
import { parseInput } from './validation';

/** The programs that follow a journey, with its touch points. */
async function journeyPrograms(db: Db) {
  const programs = await c
    .programs(db)
    .find({ journey: { $exists: true } }, { projection: { name: 1, journey: 1 } })
    .sort({ _id: 1 })
    .toArray();
  return programs.flatMap((p) => (p.journey ? [{ programId: p._id, program: p.name, ...p.journey }] : []));
}

/**
 * One program's journey since `since` in the segments given (`all`, or the units a person sees),
 * from its counters (src/db/journey-counters.ts): a few documents by `_id`, however many replies
 * and customers the journey has.
 */
async function reportOf(
  db: Db,
  journey: { programId: string; name: string; touchPoints: string[] },
  since: Date,
  segments: readonly string[],
): Promise<JourneyReport> {
  return journeyFromCounters(
    journey,
    await readJourneyCounters(db, journey.programId, segments, rollupDay(since.getTime())),
  );
}

/**
 * The segments holding the customers of the units `access` sees: `all`, or the units the person
 * was given (each with everything below it; none below another, unitScopeOf).
 */
function segmentsOf(access: UnitAccess): string[] {
  return access.scope.all ? [ALL_SEGMENT] : access.scope.top.map((unitId) => segmentForUnit(access.units, unitId));
}

export type JourneySummary = JourneyReport & { program: string; touchPoints: string[] };

/**
 * Every journey's report, of the customers of the units `access` sees: the journeys page and
 * `GET /api/metrics/journeys`.
 */
export async function loadJourneys(db: Db, since: Date, access: UnitAccess): Promise<JourneySummary[]> {
  const journeys = await journeyPrograms(db);
  return Promise.all(
    journeys.map(async (j) => ({
      ...(await reportOf(db, j, since, segmentsOf(access))),
      program: j.program,
      touchPoints: j.touchPoints,
    })),
  );
}

/** One program's journey, of the customers of the units `access` sees; 404 when the program has none. */
export async function loadJourney(db: Db, programId: string, since: Date, access: UnitAccess): Promise<JourneySummary> {
  const journey = (await journeyPrograms(db)).find((j) => j.programId === programId);
  if (!journey) throw new AppError('not-found', `No journey for program ${programId}.`);
  return {
    ...(await reportOf(db, journey, since, segmentsOf(access))),
    program: journey.program,
    touchPoints: journey.touchPoints,
  };
}

export const JOURNEY_COLUMNS = [
  'step',
  'touchPoint',
  'customers',
  'averageScore',
  'satisfiedPercent',
  'cumulativePercent',
  'fellPercent',
];

export function journeyRows(report: JourneyReport): (string | number | null)[][] {
  return report.steps.map((s) => [
    s.step + 1,
    s.touchPoint,
    s.customers,
    s.averageScore,
    s.satisfiedPercent,
    s.cumulativePercent,
    s.fellPercent,
  ]);
}

export const ZJourneyQuery = z
  .object({
    since: z
      .preprocess((v) => (v === '' ? undefined : v), ZDay.optional())
      .describe('Count replies from this day, YYYY-MM-DD (default: a year ago)'),
  })
  .strict();

/** The first day of replies counted (`since`, default a year ago); a 400 names a bad one. */
export function journeySince(query: unknown, now = Date.now()): Date {
  const { since } = parseInput(ZJourneyQuery, query, 'journey filters');
  return since ? new Date(`${since}T00:00:00Z`) : new Date(Date.parse(lastDays(rollupDay(now), 365).from));
}
