import type { Db } from 'mongodb';
import * as c from './collections';
import { insertManyOnce, oncePerDatabase } from './mongo';

/**
 * Copies rollups' counters into `rollup_totals`, the documents dashboards read. A rollup keeps the
 * IDs of the replies it counts (so a retried update never counts twice), which makes it grow with
 * its replies; its copy stays the same size however many replies there are.
 *
 * Called by the scores' owner right after it writes the rollups: it is their only writer, so
 * what it reads is their current state and its copy replaces whatever is stored. Every write is
 * by `_id` alone, the one filter FerretDB v1 answers from its index.
 */
export async function copyRollupTotals(db: Db, rollupIds: string[]): Promise<void> {
  const docs = await Promise.all(rollupIds.map((id) => totalsOf(db, id)));
  await Promise.all(
    docs
      .filter((doc) => doc !== null)
      .map((doc) => c.rollupTotals(db).replaceOne({ _id: doc._id }, doc, { upsert: true })),
  );
}

const totalsOf = (db: Db, id: string) => c.rollups(db).findOne({ _id: id }, { projection: { replyIds: 0 } });

/** Rollups copied per round of the backfill. */
const BACKFILL_PAGE = 500;

/**
 * Copies every rollup that has no copy yet (those written before `rollup_totals` existed).
 * Insert-only, so it is idempotent and safe while the scores' owner runs; reports progress after
 * each page.
 */
export async function backfillRollupTotals(db: Db, progress: (copied: number, total: number) => void = () => {}) {
  const total = await c.rollups(db).countDocuments();
  let copied = 0;
  let page: c.RollupTotalsDoc[] = [];
  const flush = async () => {
    // A copy the owner stored meanwhile is at least as new: a duplicate key leaves it.
    await insertManyOnce(c.rollupTotals(db), page);
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

/** At the first start after upgrading: dashboards read `rollup_totals`, so existing rollups are copied once. */
export function backfillRollupTotalsOnce(db: Db) {
  return oncePerDatabase(db, 'rollup-totals-backfilled', () => backfillRollupTotals(db));
}
