import type { Db } from 'mongodb';
import { ALL_SEGMENT, type RollupDoc, rollupMonthId } from '../domain/rollup';
import * as c from './collections';
import { oncePerDatabase } from './mongo';

/**
 * Dashboards read `rollup_months`: per program, month and segment one document holding each day's
 * counters. A rollup keeps the IDs of the replies it counts (so a retried update never counts
 * twice), which makes it grow with its replies, and FerretDB answers any filter but `_id` by
 * decoding the whole collection; these documents stay the same size however many replies there
 * are, and a dashboard reads the few it needs by `_id`. The month's `all` document also lists the
 * month's segments, so a reader knows which documents exist.
 */

type Counters = Omit<RollupDoc, '_id' | 'programId' | 'day' | 'segment' | 'replyIds'>;

function countersOf(rollup: c.RollupTotalsDoc): Counters {
  const counters: Record<string, unknown> = { ...rollup };
  for (const key of ['_id', 'programId', 'day', 'segment']) delete counters[key];
  return counters as Counters;
}

/** Writes one rollup's day into its month's document (a copy of absolute counters: idempotent). */
async function writeDay(db: Db, rollup: c.RollupTotalsDoc): Promise<void> {
  const month = rollup.day.slice(0, 7);
  await c.rollupMonths(db).updateOne(
    { _id: rollupMonthId(rollup.programId, month, rollup.segment) },
    {
      $set: { [`days.${rollup.day.slice(8, 10)}`]: countersOf(rollup) },
      $setOnInsert: { programId: rollup.programId, month, segment: rollup.segment },
    },
    { upsert: true },
  );
}

/** Adds segments to their month's list (kept on the month's `all` document). */
async function listSegments(db: Db, rollups: c.RollupTotalsDoc[]): Promise<void> {
  const byMonth = new Map<string, { programId: string; month: string; segments: Set<string> }>();
  for (const { programId, day, segment } of rollups) {
    const key = rollupMonthId(programId, day.slice(0, 7), ALL_SEGMENT);
    const entry = byMonth.get(key) ?? { programId, month: day.slice(0, 7), segments: new Set() };
    entry.segments.add(segment);
    byMonth.set(key, entry);
  }
  await Promise.all(
    [...byMonth].map(([id, { programId, month, segments }]) =>
      c.rollupMonths(db).updateOne(
        { _id: id },
        {
          $addToSet: { segments: { $each: [...segments] } },
          $setOnInsert: { programId, month, segment: ALL_SEGMENT },
        },
        { upsert: true },
      ),
    ),
  );
}

const readRollup = (db: Db, id: string) => c.rollups(db).findOne({ _id: id }, { projection: { replyIds: 0 } });

/**
 * Called by the scores' owner right after it writes the rollups: it is their only writer, so what
 * it reads is their current state. Every read and write is by `_id`.
 */
export async function copyRollupTotals(db: Db, rollupIds: string[]): Promise<void> {
  const rollups = (await Promise.all(rollupIds.map((id) => readRollup(db, id)))).filter((doc) => doc !== null);
  await Promise.all(rollups.map((rollup) => writeDay(db, rollup)));
  await listSegments(db, rollups);
}

/** Rollups copied per round of the backfill. */
const BACKFILL_PAGE = 200;

/**
 * Copies every rollup into its month's document (those written before `rollup_months` existed),
 * reporting progress after each page. Safe while the scores' owner runs: after writing a day it
 * reads the rollup again and writes the day once more if the owner changed it meanwhile — the
 * owner writes its own copy after each change, so the last copy is the current one either way.
 */
export async function backfillRollupTotals(db: Db, progress: (copied: number, total: number) => void = () => {}) {
  const total = await c.rollups(db).countDocuments();
  let copied = 0;
  let page: c.RollupTotalsDoc[] = [];
  const flush = async () => {
    await Promise.all(page.map((rollup) => copyUntilSettled(db, rollup)));
    await listSegments(db, page);
    copied += page.length;
    page = [];
    progress(copied, total);
  };
  for await (const doc of c.rollups(db).find({}, { projection: { replyIds: 0 } })) {
    page.push(doc);
    if (page.length === BACKFILL_PAGE) await flush();
  }
  if (page.length) await flush();
  return { copied };
}

async function copyUntilSettled(db: Db, rollup: c.RollupTotalsDoc): Promise<void> {
  for (let copy: c.RollupTotalsDoc | null = rollup; copy;) {
    await writeDay(db, copy);
    const now = await readRollup(db, copy._id);
    copy = now && now.responses !== copy.responses ? now : null;
  }
}

/** At the first start after upgrading: dashboards read `rollup_months`, so existing rollups are copied once. */
export function backfillRollupTotalsOnce(db: Db) {
  return oncePerDatabase(db, 'rollup-months-backfilled', () => backfillRollupTotals(db));
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
 * document lists them). Days outside the periods are left out.
 */
export async function readRollups(
  db: Db,
  { programIds, periods, segment, split }: { programIds: string[]; periods: Period[]; segment: string; split?: Period },
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
        (doc.segments ?? []).filter((s) => s !== ALL_SEGMENT).map((s) => rollupMonthId(doc.programId, doc.month, s)),
      ),
  ]);
  const within = (day: string) => periods.some((p) => day >= p.from && day <= p.to);
  return rollupsOfMonths([...alls, ...others]).filter((rollup) => within(rollup.day));
}
