import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { type JourneyReport, journeyReport } from '../domain/journeys';
import { z } from 'zod';
import { ZDay, lastDays } from '../domain/dashboard';
import { rollupDay } from '../domain/rollup';
import { AppError } from './errors';
import { type UnitAccess, customersInScope } from './insight';
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
 * One program's journey from its journey replies since `since`, of the customers `customers` when
 * given (null: everyone). Reads every such reply of the program (grows with the customers who went
 * through it, unlike the rollup-based pages).
 */
async function reportOf(
  db: Db,
  journey: { programId: string; name: string; touchPoints: string[] },
  since: Date,
  customers: ReadonlySet<string> | null,
): Promise<JourneyReport> {
  const replies = await c
    .journeyReplies(db)
    .find(
      { programId: journey.programId, at: { $gte: since } },
      { projection: { customerId: 1, step: 1, score: 1, at: 1 } },
    )
    .toArray();
  return journeyReport(
    journey,
    replies
      .filter((r) => !customers || customers.has(r.customerId))
      .map((r) => ({ customerId: r.customerId, step: r.step, score: r.score, at: r.at.getTime() })),
  );
}

export type JourneySummary = JourneyReport & { program: string; touchPoints: string[] };

/**
 * Every journey's report, of the customers of the units `access` sees: the journeys page and
 * `GET /api/metrics/journeys`. Journey replies name their customer only, so a person responsible
 * for some units costs one filtered pass over the customers (customersInScope).
 */
export async function loadJourneys(db: Db, since: Date, access: UnitAccess): Promise<JourneySummary[]> {
  const [journeys, customers] = await Promise.all([journeyPrograms(db), customersInScope(db, access)]);
  return Promise.all(
    journeys.map(async (j) => ({
      ...(await reportOf(db, j, since, customers)),
      program: j.program,
      touchPoints: j.touchPoints,
    })),
  );
}

/** One program's journey, of the customers of the units `access` sees; 404 when the program has none. */
export async function loadJourney(db: Db, programId: string, since: Date, access: UnitAccess): Promise<JourneySummary> {
  const journey = (await journeyPrograms(db)).find((j) => j.programId === programId);
  if (!journey) throw new AppError('not-found', `No journey for program ${programId}.`);
  const customers = await customersInScope(db, access);
  return {
    ...(await reportOf(db, journey, since, customers)),
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
