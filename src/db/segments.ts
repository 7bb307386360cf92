import type { Db } from 'mongodb';
import * as c from './collections';
import {
  type SegmentFacts,
  type TSample,
  type TSegment,
  matchesSegment,
  sampleCutoff,
  sampleDraw,
  sampleSize,
} from '../domain/segment';

/**
 * What a segment needs besides the customer record, read once per pass (FerretDB has no `$max`
 * accumulator, and one read per collection beats one per customer): latest summary scores, last
 * survey sent or scheduled, last answer. Only the sources the segment uses are read.
 */
export interface FactSources {
  scores?: Map<string, number>;
  lastContact?: Map<string, Date>;
  lastReply?: Map<string, Date>;
  rootCause?: Set<string>;
}

export async function loadFactSources(db: Db, segment: TSegment): Promise<FactSources> {
  const sources: FactSources = {};
  if (segment.score || segment.quadrants) {
    sources.scores = new Map();
    for await (const doc of c.customerScores(db).find({}, { projection: { sum: 1, count: 1 } }))
      if (doc.count > 0) sources.scores.set(doc._id, doc.sum / doc.count);
  }
  if (segment.contactedSince || segment.notContactedSince) {
    sources.lastContact = await latestBy(
      c
        .contactDecisions(db)
        .find({ action: { $in: ['send', 'defer'] } }, { projection: { customerId: 1, sendAt: 1 } })
        .map((d) => [d.customerId, d.sendAt] as const),
    );
  }
  if (segment.respondedSince || segment.notRespondedSince) {
    sources.lastReply = await latestBy(
      c
        .responses(db)
        .find({}, { projection: { customerId: 1, submittedAt: 1 } })
        .map((r) => [r.customerId, r.submittedAt] as const),
    );
  }
  if (segment.rootCause) sources.rootCause = await customersWithRootCause(db, segment.rootCause);
  return sources;
}

/** Customers with a case resolved with `name` as its root cause in the period. */
export async function customersWithRootCause(
  db: Db,
  { name, from, to }: { name: string; from: string; to: string },
): Promise<Set<string>> {
  const cases = c
    .cases(db)
    .find(
      { rootCause: name, resolvedAt: { $gte: new Date(from), $lte: new Date(to) } },
      { projection: { customerId: 1 } },
    );
  const customers = new Set<string>();
  for await (const found of cases) customers.add(found.customerId);
  return customers;
}

async function latestBy(pairs: AsyncIterable<readonly [string, Date | undefined]>): Promise<Map<string, Date>> {
  const latest = new Map<string, Date>();
  for await (const [customerId, at] of pairs) {
    if (!customerId || !(at instanceof Date)) continue;
    const known = latest.get(customerId);
    if (!known || known < at) latest.set(customerId, at);
  }
  return latest;
}

export type SegmentCustomer = Pick<c.CustomerDoc, '_id' | 'attributes' | 'erasedAt'>;
const SEGMENT_PROJECTION = { _id: 1, attributes: 1, erasedAt: 1 } as const;

/** Erased customers are in no segment. */
export function inSegment(segment: TSegment, sources: FactSources, customer: SegmentCustomer): boolean {
  if (customer.erasedAt) return false;
  const facts: SegmentFacts = {
    attributes: customer.attributes ?? {},
    score: sources.scores?.get(customer._id),
    lastContactAt: sources.lastContact?.get(customer._id),
    lastReplyAt: sources.lastReply?.get(customer._id),
    hadRootCause: sources.rootCause?.has(customer._id),
  };
  return matchesSegment(segment, facts);
}

/** Customers in `_id` order from after `after`: the order campaigns page through. */
export function customersInOrder(db: Db, after?: string) {
  return c
    .customers(db)
    .find(after ? { _id: { $gt: after } } : {}, { projection: SEGMENT_PROJECTION, batchSize: 1000 })
    .sort({ _id: 1 });
}

export interface SegmentCount {
  matched: number;
  sampled: number;
  /** A matching customer is in the sample when their draw is at or below this; null takes everyone. */
  cutoff: number | null;
}

/** How many customers the segment matches now and how many the sample takes (one pass). */
export async function countSegment(
  db: Db,
  segment: TSegment,
  sample: TSample | undefined,
  sources?: FactSources,
): Promise<SegmentCount> {
  sources ??= await loadFactSources(db, segment);
  const draws: number[] = [];
  let matched = 0;
  for await (const customer of customersInOrder(db)) {
    if (!inSegment(segment, sources, customer)) continue;
    matched++;
    if (sample) draws.push(sampleDraw(sample.seed, customer._id));
  }
  const sampled = sampleSize(sample, matched);
  const cutoff = sampleCutoff(draws, sample ? sampled : matched);
  return { matched, sampled, cutoff: Number.isFinite(cutoff) ? cutoff : null };
}
