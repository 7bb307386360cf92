import type { Db } from 'mongodb';
import * as c from './collections';
import { isDuplicateKeyError, oncePerDatabase } from './mongo';

/**
 * Copies rollups' counters into `rollup_totals`, the documents dashboards read. A rollup keeps the
 * IDs of the replies it counts (so a retried update never counts twice), which makes it grow with
 * its replies; its copy stays the same size however many replies there are.
 *
 * A copy only ever replaces an older one: counters only grow (erasure keeps scores), so a copy
 * that counts fewer replies than the one stored is stale and is dropped. That keeps the scores'
 * owner and a backfill running at the same time from undoing each other's copies.
 */
export async function copyRollupTotals(db: Db, rollupIds: string[]): Promise<void> {
  const docs = await Promise.all(
    rollupIds.map((id) => c.rollups(db).findOne({ _id: id }, { projection: { replyIds: 0 } })),
  );
  await Promise.all(docs.filter((doc) => doc !== null).map((doc) => storeTotals(db, doc)));
}

async function storeTotals(db: Db, totals: c.RollupTotalsDoc): Promise<void> {
  try {
    await c
      .rollupTotals(db)
      .replaceOne({ _id: totals._id, responses: { $not: { $gte: totals.responses ?? 0 } } }, totals, { upsert: true });
  } catch (err) {
    // The stored copy counts as many replies or more: it stays.
    if (!isDuplicateKeyError(err)) throw err;
  }
}

/** Rollups copied per round of the backfill. */
const BACKFILL_PAGE = 500;

/**
 * Copies every rollup (those written before `rollup_totals` existed). Idempotent and safe while
 * the system runs; reports progress after each page.
 */
export async function backfillRollupTotals(db: Db, progress: (copied: number, total: number) => void = () => {}) {
  const total = await c.rollups(db).countDocuments();
  let copied = 0;
  let page: c.RollupTotalsDoc[] = [];
  const flush = async () => {
    await Promise.all(page.map((doc) => storeTotals(db, doc)));
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
