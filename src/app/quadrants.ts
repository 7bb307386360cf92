import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { audit } from '../db/audit';
import * as c from '../db/collections';
import {
  type Account,
  type QuadrantReport,
  type TQuadrantCutoffs,
  ZQuadrantCutoffs,
  quadrantReport,
} from '../domain/quadrants';
import { parseInput } from './validation';
import { unitScopeCondition } from '../domain/units';
import type { UnitAccess } from './insight';

/**
 * The organisation's quadrant cut-offs: each change is a new document (insert-only, so two people
 * saving at once cannot lose each other's change), the newest one applies.
 */
export async function quadrantCutoffs(db: Db): Promise<TQuadrantCutoffs & { at?: Date; by?: string }> {
  const [latest] = await c.quadrantCutoffs(db).find().sort({ at: -1 }).limit(1).toArray();
  if (!latest) return ZQuadrantCutoffs.parse({});
  const { score, revenue, revenueAttribute, at, by } = latest;
  return { score, revenue, revenueAttribute, at, by };
}

export async function saveQuadrantCutoffs(db: Db, input: unknown, actor: string): Promise<TQuadrantCutoffs> {
  const cutoffs = parseInput(ZQuadrantCutoffs, input, 'cut-offs');
  const { at: _at, by: _by, ...before } = await quadrantCutoffs(db);
  await c.quadrantCutoffs(db).insertOne({ _id: randomUUID(), at: new Date(), by: actor, ...cutoffs });
  await audit(db, { actor, action: 'quadrant-cutoffs.update', subject: 'quadrant-cutoffs', before, after: cutoffs });
  return cutoffs;
}

const ZMonth = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

/** `since`: the month movement is counted from (default: three months before this one). */
export const ZQuadrantQuery = z
  .object({
    since: z
      .preprocess((v) => (v === '' ? undefined : v), ZMonth.optional())
      .describe('Movement is counted against the scores before this month, YYYY-MM (default: three months ago)'),
  })
  .strict();

export function sinceMonth(query: unknown, now = new Date()): string {
  const { since } = parseInput(ZQuadrantQuery, query, 'quadrant filters');
  if (since) return since;
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 3, 1)).toISOString().slice(0, 7);
}

/**
 * Every scored customer of the units `access` sees placed in a quadrant: one pass over the customer
 * scores and one over the customers (their revenue, name and, for a person responsible for some
 * units, the attributes that place them in a unit); erased customers are left out.
 */
export async function loadQuadrants(db: Db, since: string, access: UnitAccess): Promise<QuadrantReport> {
  const [cutoffs, scores] = await Promise.all([quadrantCutoffs(db), c.customerScores(db).find({}).toArray()]);
  const totals = new Map(scores.map((doc) => [doc._id, doc]));
  const accounts: Account[] = [];
  const inUnits = unitScopeCondition(access.units, access.scope, 'attributes.');
  const scored = c
    .customers(db)
    .find({ erasedAt: { $exists: false }, ...inUnits }, { projection: { name: 1, attributes: 1 } });
  for await (const customer of scored) {
    const score = totals.get(customer._id);
    // A customer with cases but no scored reply has a document without a score.
    if (score && score.count > 0)
      accounts.push({ id: customer._id, name: customer.name, attributes: customer.attributes ?? {}, totals: score });
  }
  return quadrantReport(accounts, cutoffs, since);
}

/** The open case of each of these customers, if any (for the At-Risk list's links). */
export async function openCaseOf(db: Db, customerIds: string[]): Promise<Map<string, string>> {
  const wanted = new Set(customerIds);
  const open = await c.openCases(db).find().toArray();
  const cases = await Promise.all(
    open.map((doc) => c.cases(db).findOne({ _id: doc.caseId }, { projection: { customerId: 1 } })),
  );
  return new Map(
    cases.filter((doc) => doc !== null && wanted.has(doc.customerId)).map((doc) => [doc!.customerId, doc!._id]),
  );
}

/** Every placed account, for the CSV download. */
export const QUADRANT_COLUMNS = ['id', 'name', 'score', 'revenue', 'quadrant', 'previousQuadrant'];
export const quadrantRows = (report: QuadrantReport) =>
  report.accounts.map((a) => [a.id, a.name ?? null, a.score, a.revenue, a.quadrant, a.previous]);
