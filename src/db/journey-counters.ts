import type { Db } from 'mongodb';
import * as c from './collections';
import type { ScoresBatch } from './counted-keys';
import { journeyProgramIds } from './program-index';
import { loadUnits } from './units';
import { type JourneyCounters, type JourneyPoint, addCounters, dailyDifferences, withReply } from '../domain/journeys';
import { ALL_SEGMENT, type ScoreContribution, isReplyKey, unitOfSegment, unitPathSegments } from '../domain/rollup';
import { unitPath } from '../domain/units';

/**
 * The journeys page reads counters, never the replies: per program, segment (`all` and each
 * `unit:<id>`) and month one document (`journey_months`, `_id` program|segment|YYYY-MM) holding
 * per day the difference counters of src/domain/journeys.ts (dailyDifferences), so that the figures
 * since any day are the sum of the days from then on, read by `_id`. `journey_segments`
 * (`_id` program|segment) lists the months a segment has. Both are written by the scores' owner
 * only, from its batches (activities/replies.ts applyScoreBatch), with each customer's latest
 * reply per step in `journey_states` (`_id` program|customer): when a customer's latest reply at a
 * step changes, their old counters are taken out and the new ones added.
 */

/** A customer's journey as counted: their latest reply per step, and the segments they count in. */
export interface JourneyStateDoc {
  _id: string;
  programId: string;
  points: JourneyPoint[];
  segments: string[];
  /** The state before the batch that wrote it last (`appliedBatch`): what a retry of it starts from. */
  before: { points: JourneyPoint[]; segments: string[] } | null;
  appliedBatch: string;
  /** The last backfill key handed over for this customer (journeyBackfillContribution). */
  handedOver?: string;
}

export interface JourneyMonthDoc {
  _id: string;
  programId: string;
  segment: string;
  month: string;
  /** Per day (`DD`), the difference counters, nested as their `$inc` paths left them. */
  days?: Record<string, Record<string, number | Record<string, number>>>;
  appliedBatch?: string;
}

export interface JourneySegmentDoc {
  _id: string;
  months: string[];
}

export const journeyStates = (db: Db) => db.collection<JourneyStateDoc>('journey_states');
export const journeyMonths = (db: Db) => db.collection<JourneyMonthDoc>('journey_months');
export const journeySegments = (db: Db) => db.collection<JourneySegmentDoc>('journey_segments');

export const journeyStateId = (programId: string, customerId: string) => `${programId}|${customerId}`;
export const journeyMonthId = (programId: string, segment: string, month: string) => `${programId}|${segment}|${month}`;
export const journeySegmentId = (programId: string, segment: string) => `${programId}|${segment}`;

/** A journey reply to count, with the segments (`all` and units) its customer counts in. */
export interface JourneyFact extends JourneyPoint {
  programId: string;
  customerId: string;
  segments: string[];
  /** A backfill's key (journeyBackfillContribution), noted on the state even when nothing changes. */
  handedOver?: string;
}

/** The segments a journey counts in: `all` and the units (not dimensions nor agents). */
const journeySegmentsOf = (segments: readonly string[]) =>
  segments.filter((s) => s === ALL_SEGMENT || unitOfSegment(s) !== null);

/** The key a backfilled journey reply is handed to the scores' owner under (it counts in no rollup). */
const JOURNEY_KEY_PREFIX = 'journey:';

/**
 * A journey reply handed over again to be counted in the journey counters only (the backfill of
 * replies recorded before the counters, or inserted directly): no segments, no increment. `run`
 * (letters and digits) tells this hand-over from an earlier one: the customer's state notes the
 * last key handed over (`handedOver`), which is how the backfill knows it was taken.
 */
export function journeyBackfillContribution(reply: c.JourneyReplyDoc, run: string): ScoreContribution {
  return {
    replyId: `${JOURNEY_KEY_PREFIX}${run}:${reply._id}`,
    programId: reply.programId,
    customerId: reply.customerId,
    day: reply.at.toISOString().slice(0, 10),
    segments: [],
    increment: {},
  };
}

/** The journey reply a key names: a scored reply's own ID, or the one of a backfill's key. */
function journeyReplyIdOf(key: string): string {
  if (!key.startsWith(JOURNEY_KEY_PREFIX)) return key;
  const rest = key.slice(JOURNEY_KEY_PREFIX.length);
  return rest.slice(rest.indexOf(':') + 1);
}

/**
 * The journey replies among a batch's contributions, read by `_id`: a scored reply of a program
 * with a journey counts in its contribution's segments; a backfilled one in its customer's units now.
 */
export async function journeyFactsOf(db: Db, batch: ScoreContribution[]): Promise<JourneyFact[]> {
  const candidates = batch.filter((item) => isReplyKey(item.replyId));
  if (!candidates.length) return [];
  const programIds = new Set(await journeyProgramIds(db));
  const ofJourneys = candidates.filter((item) => programIds.has(item.programId));
  if (!ofJourneys.length) return [];
  const replies = await Promise.all(
    ofJourneys.map((item) => c.journeyReplies(db).findOne({ _id: journeyReplyIdOf(item.replyId) })),
  );
  const facts: JourneyFact[] = [];
  const backfilled: { reply: c.JourneyReplyDoc; key: string }[] = [];
  for (const [i, item] of ofJourneys.entries()) {
    const reply = replies[i];
    if (!reply) continue;
    if (item.replyId.startsWith(JOURNEY_KEY_PREFIX)) backfilled.push({ reply, key: item.replyId });
    else facts.push(factOf(reply, journeySegmentsOf(item.segments)));
  }
  const inUnitsNow = await factsInUnitsNow(
    db,
    backfilled.map((b) => b.reply),
  );
  return [...facts, ...inUnitsNow.map((fact, i) => ({ ...fact, handedOver: backfilled[i]!.key }))];
}

const factOf = (reply: c.JourneyReplyDoc, segments: string[]): JourneyFact => ({
  programId: reply.programId,
  customerId: reply.customerId,
  step: reply.step,
  score: reply.score,
  at: reply.at.getTime(),
  segments,
});

/** Journey replies as facts in their customers' units now (customers read by `_id`). */
export async function factsInUnitsNow(db: Db, replies: c.JourneyReplyDoc[]): Promise<JourneyFact[]> {
  if (!replies.length) return [];
  const units = await loadUnits(db);
  const customerIds = [...new Set(replies.map((r) => r.customerId))];
  const customers = await Promise.all(
    customerIds.map((id) => c.customers(db).findOne({ _id: id }, { projection: { attributes: 1 } })),
  );
  const segments = new Map(
    customerIds.map((id, i) => [
      id,
      [ALL_SEGMENT, ...unitPathSegments(unitPath(units, customers[i]?.attributes ?? {}))],
    ]),
  );
  return replies.map((reply) => factOf(reply, segments.get(reply.customerId)!));
}

/** Per month document, the counters to add to its days. */
type MonthIncrements = Map<string, { programId: string; segment: string; month: string; inc: JourneyCounters }>;

function addDays(
  increments: MonthIncrements,
  programId: string,
  segments: readonly string[],
  points: readonly JourneyPoint[],
  sign: number,
) {
  for (const [day, counters] of dailyDifferences(points))
    for (const segment of segments) {
      const month = day.slice(0, 7);
      const id = journeyMonthId(programId, segment, month);
      const entry = increments.get(id) ?? { programId, segment, month, inc: {} };
      const paths = Object.fromEntries(Object.entries(counters).map(([k, n]) => [`days.${day.slice(8)}.${k}`, n]));
      addCounters(entry.inc, paths, sign);
      increments.set(id, entry);
    }
}

/**
 * Counts a batch's journey replies, exactly once across retries: the owner's batch ID marks each
 * document it writes. A customer's state keeps what it was before (`before`), so a retry of the
 * batch that wrote it starts from the same state and computes the same increments; a month
 * document the earlier attempt wrote is skipped. A reply counted before leaves the state as it is
 * (its step keeps the latest reply), so a reply handed over twice changes nothing. Every read and
 * write is by `_id`; the owner is the only writer.
 */
export async function applyJourneyFacts(db: Db, batch: ScoresBatch, facts: JourneyFact[]): Promise<void> {
  if (!facts.length) return;
  const byState = new Map<string, JourneyFact[]>();
  for (const fact of facts) {
    const id = journeyStateId(fact.programId, fact.customerId);
    byState.set(id, [...(byState.get(id) ?? []), fact]);
  }
  const ids = [...byState.keys()];
  const docs = await Promise.all(ids.map((id) => journeyStates(db).findOne({ _id: id })));
  const increments: MonthIncrements = new Map();
  const states: JourneyStateDoc[] = [];
  for (const [i, id] of ids.entries()) {
    const doc = docs[i];
    const before =
      doc?.appliedBatch === batch.id ? doc.before : doc ? { points: doc.points, segments: doc.segments } : null;
    let points = before?.points ?? [];
    let segments = before?.segments ?? [];
    let changed = false;
    let handedOver: string | undefined;
    for (const fact of byState.get(id)!) {
      handedOver = fact.handedOver ?? handedOver;
      const next = withReply(points, fact);
      if (!next) continue;
      [points, segments, changed] = [next, fact.segments, true];
    }
    // Unchanged, the state is written only to note a backfill's key (with `before`, for a retry).
    if (!changed && !handedOver) continue;
    const programId = byState.get(id)![0]!.programId;
    if (changed) {
      if (before) addDays(increments, programId, before.segments, before.points, -1);
      addDays(increments, programId, segments, points, 1);
    }
    const noted = handedOver ?? doc?.handedOver;
    states.push({
      _id: id,
      programId,
      points,
      segments,
      before,
      appliedBatch: batch.id,
      ...(noted ? { handedOver: noted } : {}),
    });
  }
  await writeMonths(db, batch, increments);
  await Promise.all(states.map((state) => journeyStates(db).replaceOne({ _id: state._id }, state, { upsert: true })));
}

async function writeMonths(db: Db, batch: ScoresBatch, increments: MonthIncrements): Promise<void> {
  const changed = [...increments].filter(([, entry]) => Object.keys(entry.inc).length > 0);
  const written = batch.retried
    ? await Promise.all(
        changed.map(([id]) => journeyMonths(db).findOne({ _id: id }, { projection: { appliedBatch: 1 } })),
      )
    : [];
  await Promise.all(
    changed
      .filter((_, i) => written[i]?.appliedBatch !== batch.id)
      .map(([id, { programId, segment, month, inc }]) =>
        journeyMonths(db).updateOne(
          { _id: id },
          { $inc: inc, $set: { appliedBatch: batch.id }, $setOnInsert: { programId, segment, month } },
          { upsert: true },
        ),
      ),
  );
  const bySegment = new Map<string, Set<string>>();
  for (const [, { programId, segment, month }] of changed) {
    const id = journeySegmentId(programId, segment);
    bySegment.set(id, (bySegment.get(id) ?? new Set()).add(month));
  }
  await Promise.all(
    [...bySegment].map(([id, months]) =>
      journeySegments(db).updateOne({ _id: id }, { $addToSet: { months: { $each: [...months] } } }, { upsert: true }),
    ),
  );
}

/** The counters nested under a day, flat again (`s0.n`). */
function flatten(counters: Record<string, number | Record<string, number>>): JourneyCounters {
  const flat: JourneyCounters = {};
  for (const [key, value] of Object.entries(counters))
    if (typeof value === 'number') flat[key] = value;
    else for (const [inner, n] of Object.entries(value)) flat[`${key}.${inner}`] = n;
  return flat;
}

/**
 * A journey's counters since a day (`YYYY-MM-DD`) in the given segments (disjoint: `all`, or units
 * none of which is below another), read by `_id` only: each segment's month list, then its months
 * from that day's on. How many documents depends on the months, never on the replies or customers.
 */
export async function readJourneyCounters(
  db: Db,
  programId: string,
  segments: readonly string[],
  sinceDay: string,
): Promise<JourneyCounters> {
  const lists = await Promise.all(
    segments.map((segment) => journeySegments(db).findOne({ _id: journeySegmentId(programId, segment) })),
  );
  const ids = segments.flatMap((segment, i) =>
    (lists[i]?.months ?? [])
      .filter((month) => month >= sinceDay.slice(0, 7))
      .map((month) => journeyMonthId(programId, segment, month)),
  );
  const months = await Promise.all(ids.map((id) => journeyMonths(db).findOne({ _id: id })));
  const total: JourneyCounters = {};
  for (const doc of months)
    for (const [dd, counters] of Object.entries(doc?.days ?? {}))
      if (`${doc!.month}-${dd}` >= sinceDay) addCounters(total, flatten(counters));
  return total;
}

/** Erasure: the customer's journey states (their latest replies); the counters keep anonymous sums. */
export async function eraseJourneyStates(db: Db, customerId: string): Promise<void> {
  // Every program, not only those with a journey now: a journey removed since leaves its states.
  const programs = await c
    .programs(db)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  await Promise.all(programs.map((p) => journeyStates(db).deleteOne({ _id: journeyStateId(p._id, customerId) })));
}

/**
 * The documents the owner leaves for these customers' states, built at once (for a benchmark that
 * stores its data directly): each customer's day differences added into their segments' months.
 */
export function journeyCounterDocs(
  states: readonly { programId: string; customerId: string; points: JourneyPoint[]; segments: string[] }[],
): { months: JourneyMonthDoc[]; segments: JourneySegmentDoc[]; states: JourneyStateDoc[] } {
  const increments: MonthIncrements = new Map();
  for (const state of states) addDays(increments, state.programId, state.segments, state.points, 1);
  const months = [...increments].map(([id, { programId, segment, month, inc }]) => {
    const days: NonNullable<JourneyMonthDoc['days']> = {};
    for (const [path, n] of Object.entries(inc)) {
      const [, dd, key, inner] = path.split('.') as [string, string, string, string | undefined];
      const day = (days[dd] ??= {});
      if (inner === undefined) day[key] = n;
      else ((day[key] ??= {}) as Record<string, number>)[inner] = n;
    }
    return { _id: id, programId, segment, month, days };
  });
  const lists = new Map<string, Set<string>>();
  for (const { programId, segment, month } of months) {
    const id = journeySegmentId(programId, segment);
    lists.set(id, (lists.get(id) ?? new Set()).add(month));
  }
  return {
    months,
    segments: [...lists].map(([id, list]) => ({ _id: id, months: [...list].sort() })),
    states: states.map(({ programId, customerId, points, segments }) => ({
      _id: journeyStateId(programId, customerId),
      programId,
      points,
      segments,
      before: null,
      appliedBatch: 'bench',
    })),
  };
}
