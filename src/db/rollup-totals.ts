import type { Db, UpdateFilter } from 'mongodb';
import { ALL_SEGMENT, type RollupDoc, isAgentSegment, rollupMonthId } from '../domain/rollup';
import * as c from './collections';
import { isDuplicateKeyError } from './insert-once';

/**
 * Dashboards read `rollup_months`: per program, month and segment one document holding each day's
 * counters. FerretDB answers any filter but `_id` by decoding the whole collection, so a dashboard
 * reads the few month documents it needs by `_id` instead of filtering the rollups. The month's
 * `all` document also lists the month's segments, so a reader knows which documents exist.
 */

type Counters = Omit<RollupDoc, '_id' | 'programId' | 'day' | 'segment'>;

/**
 * A rollup's counters: without the owner's batch marker, nor the key list a rollup held before
 * `moveCountedKeys` (src/db/move-counted-keys.ts) moved it out.
 */
const COUNTERS = { projection: { appliedBatch: 0, replyIds: 0 } };

function countersOf(rollup: c.RollupTotalsDoc): Counters {
  const counters: Record<string, unknown> = { ...rollup };
  // The batch marker and old key list too, for a rollup as the owner's write returned it, whole.
  for (const key of ['_id', 'programId', 'day', 'segment', 'appliedBatch', 'replyIds']) delete counters[key];
  return counters as Counters;
}

/**
 * An upsert by `_id`. Two upserts of a document that does not exist yet can both try to insert it;
 * the one refused with a duplicate key finds it the second time.
 */
async function upsertMonth(db: Db, id: string, update: UpdateFilter<c.RollupMonthDoc>): Promise<void> {
  try {
    await c.rollupMonths(db).updateOne({ _id: id }, update, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await c.rollupMonths(db).updateOne({ _id: id }, update, { upsert: true });
  }
}

type MonthUpdates = Map<string, UpdateFilter<c.RollupMonthDoc>>;

/** Each month document's update setting the rollups' days (copies of absolute counters: idempotent). */
function daysUpdates(rollups: c.RollupTotalsDoc[]): MonthUpdates {
  const byMonth = new Map<string, c.RollupTotalsDoc[]>();
  for (const rollup of rollups) {
    const id = rollupMonthId(rollup.programId, rollup.day.slice(0, 7), rollup.segment);
    byMonth.set(id, [...(byMonth.get(id) ?? []), rollup]);
  }
  return new Map(
    [...byMonth].map(([id, days]) => {
      const { programId, day, segment } = days[0]!;
      return [
        id,
        {
          $set: Object.fromEntries(days.map((rollup) => [`days.${rollup.day.slice(8, 10)}`, countersOf(rollup)])),
          $setOnInsert: { programId, month: day.slice(0, 7), segment },
        },
      ];
    }),
  );
}

/**
 * Each month's update adding segments to its list (kept on the month's `all` document). An agent's
 * segment is left out: only the agent's own page reads it, by `_id`, and dashboards do not split by agent.
 */
function segmentsUpdates(rollups: c.RollupTotalsDoc[]): MonthUpdates {
  const byMonth = new Map<string, { programId: string; month: string; segments: Set<string> }>();
  for (const { programId, day, segment } of rollups.filter((rollup) => !isAgentSegment(rollup.segment))) {
    const key = rollupMonthId(programId, day.slice(0, 7), ALL_SEGMENT);
    const entry = byMonth.get(key) ?? { programId, month: day.slice(0, 7), segments: new Set() };
    entry.segments.add(segment);
    byMonth.set(key, entry);
  }
  return new Map(
    [...byMonth].map(([id, { programId, month, segments }]) => [
      id,
      {
        $addToSet: { segments: { $each: [...segments] } },
        $setOnInsert: { programId, month, segment: ALL_SEGMENT },
      },
    ]),
  );
}

/**
 * One update per month document: FerretDB does not isolate concurrent updates of one document, so
 * one document is never written by two updates at once. A document in both `days` and `segments`
 * (a month's `all` document) gets both in that one update (their `$setOnInsert` are the same).
 */
async function writeMonths(db: Db, days: MonthUpdates, segments: MonthUpdates = new Map()): Promise<void> {
  const ids = new Set([...days.keys(), ...segments.keys()]);
  await Promise.all([...ids].map((id) => upsertMonth(db, id, { ...days.get(id), ...segments.get(id) })));
}

const writeDays = (db: Db, rollups: c.RollupTotalsDoc[]) => writeMonths(db, daysUpdates(rollups));
const listSegments = (db: Db, rollups: c.RollupTotalsDoc[]) => writeMonths(db, segmentsUpdates(rollups));

/** The rollups with these IDs (those that exist), their counters only. */
async function rollupsById(db: Db, ids: string[]): Promise<c.RollupTotalsDoc[]> {
  const docs = await Promise.all(ids.map((id) => c.rollups(db).findOne({ _id: id }, COUNTERS)));
  return docs.filter((doc) => doc !== null);
}

/**
 * How the scores' owner writes a rollup: one update by `_id`, returning the rollup after it (whole:
 * FerretDB v1 refuses a projection on findAndModify).
 */
export const ROLLUP_AFTER_WRITE = { upsert: true, returnDocument: 'after' } as const;

/**
 * Called by the scores' owner right after it writes the rollups: it is their only writer, so what
 * it reads is their current state. `written` holds those its writes returned (ROLLUP_AFTER_WRITE),
 * which are not read again. Every read and write is by `_id`.
 */
export async function copyRollupTotals(
  db: Db,
  rollupIds: string[],
  written: ReadonlyMap<string, c.RollupTotalsDoc> = new Map(),
): Promise<void> {
  const unread = await rollupsById(
    db,
    rollupIds.filter((id) => !written.has(id)),
  );
  const rollups = [...rollupIds.flatMap((id) => written.get(id) ?? []), ...unread];
  await writeMonths(db, daysUpdates(rollups), segmentsUpdates(rollups));
}

/** Rollups copied per round of the backfill. */
const BACKFILL_PAGE = 200;

/**
 * Copies every rollup into its month's document (those written before `rollup_months` existed),
 * reporting progress after each page. Safe while the scores' owner runs: after writing a page it
 * reads its rollups again and writes those the owner changed meanwhile once more — the owner
 * writes its own copy after each change, so the last copy is the current one either way.
 */
export async function backfillRollupTotals(db: Db, progress: (copied: number, total: number) => void = () => {}) {
  const total = await c.rollups(db).countDocuments();
  let copied = 0;
  let page: c.RollupTotalsDoc[] = [];
  const flush = async () => {
    await copySettled(db, page);
    await listSegments(db, page);
    copied += page.length;
    page = [];
    progress(copied, total);
  };
  for await (const doc of c.rollups(db).find({}, COUNTERS)) {
    page.push(doc);
    if (page.length === BACKFILL_PAGE) await flush();
  }
  if (page.length) await flush();
  return { copied };
}

/** Copies the rollups, then again those the owner changed meanwhile, until none did. */
async function copySettled(db: Db, rollups: c.RollupTotalsDoc[]): Promise<void> {
  for (let pending = rollups; pending.length;) {
    await writeDays(db, pending);
    const written = new Map(pending.map((rollup) => [rollup._id, rollup.responses]));
    pending = (await rollupsById(db, [...written.keys()])).filter((now) => now.responses !== written.get(now._id));
  }
}

/** The month documents as the rollups they hold: one per day and segment. */
export function rollupsOfMonths(docs: c.RollupMonthDoc[]): c.RollupTotalsDoc[] {
  return docs.flatMap((doc) =>
    Object.entries(doc.days ?? {}).map(([dd, counters]) => {
      const day = `${doc.month}-${dd}`;
      return {
        _id: `${doc.programId}|${day}|${doc.segment}`,
        programId: doc.programId,
        day,
        segment: doc.segment,
        ...counters,
      };
    }),
  );
}

/** Months (`YYYY-MM`) from the one holding `from` to the one holding `to`. */
export function monthsOf({ from, to }: { from: string; to: string }): string[] {
  const months: string[] = [];
  for (let [y, m] = from.split('-').map(Number) as [number, number]; `${y}-${pad(m)}` <= to.slice(0, 7);) {
    months.push(`${y}-${pad(m)}`);
    [y, m] = m === 12 ? [y + 1, 1] : [y, m + 1];
  }
  return months;
}

const pad = (n: number) => String(n).padStart(2, '0');

interface Period {
  from: string;
  to: string;
}

/**
 * The rollups dashboards need, read by `_id` only: of the programs over the periods, the `all`
 * segment and `segment`, and with `split` every segment over that period (the month's `all`
 * document lists them), or only those of `splitSegments` when given. Days outside the periods are
 * left out.
 */
export async function readRollups(
  db: Db,
  {
    programIds,
    periods,
    segment,
    split,
    splitSegments,
  }: { programIds: string[]; periods: Period[]; segment: string; split?: Period; splitSegments?: readonly string[] },
): Promise<c.RollupTotalsDoc[]> {
  const read = (ids: string[]) =>
    Promise.all([...new Set(ids)].map((id) => c.rollupMonths(db).findOne({ _id: id }))).then((docs) =>
      docs.filter((doc) => doc !== null),
    );
  const months = [...new Set(periods.flatMap(monthsOf))];
  const alls = await read(programIds.flatMap((p) => months.map((m) => rollupMonthId(p, m, ALL_SEGMENT))));
  const splitMonths = new Set(split ? monthsOf(split) : []);
  const others = await read([
    ...(segment === ALL_SEGMENT ? [] : programIds.flatMap((p) => months.map((m) => rollupMonthId(p, m, segment)))),
    ...alls
      .filter((doc) => splitMonths.has(doc.month))
      .flatMap((doc) =>
        (doc.segments ?? [])
          .filter((s) => s !== ALL_SEGMENT && (!splitSegments || splitSegments.includes(s)))
          .map((s) => rollupMonthId(doc.programId, doc.month, s)),
      ),
  ]);
  const within = (day: string) => periods.some((p) => day >= p.from && day <= p.to);
  return rollupsOfMonths([...alls, ...others]).filter((rollup) => within(rollup.day));
}
