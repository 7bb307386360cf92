import type { Db } from 'mongodb';
import * as c from './collections';
import { type Counting, MIGRATED_BATCH, countedKeyId, markBatchApplied } from './counted-keys';
import { insertManyOnce } from './insert-once';

/** Keys inserted per command. */
const CHUNK = 1000;

/** A document as earlier versions wrote it: its counters and every key they count. */
interface ListingDoc {
  _id: string;
  replyIds?: string[];
}

/**
 * The upgrade to documents that hold counters only: moves the keys each rollup and customer score
 * listed (`replyIds`) into `counted_keys`, claimed by MIGRATED_BATCH (which is recorded as applied:
 * the counters count them), then removes the list. Idempotent and resumable: a document's keys are
 * inserted before its list goes, so a run cut off leaves the list and the next run inserts its
 * keys again (a duplicate is a no-op). Run it while no scores' owner applies batches (before the
 * workers of this version start). Finding the documents reads each collection once; the rest is
 * by `_id`.
 */
export async function moveCountedKeys(
  db: Db,
  progress: (done: number, total: number) => void = () => {},
): Promise<{ moved: number }> {
  await markBatchApplied(db, MIGRATED_BATCH);
  const pending = await Promise.all(
    (['rollups', 'customer_scores'] as const).map(async (collection) => ({
      collection,
      ids: (
        await listing(db, collection)
          .find({ replyIds: { $exists: true } }, { projection: { _id: 1 } })
          .toArray()
      ).map((doc) => doc._id),
    })),
  );
  const total = pending.reduce((sum, { ids }) => sum + ids.length, 0);
  let done = 0;
  progress(done, total);
  for (const { collection, ids } of pending)
    for (const id of ids) {
      await moveKeysOf(db, collection, id);
      progress(++done, total);
    }
  return { moved: done };
}

const listing = (db: Db, collection: Counting) => db.collection<ListingDoc>(collection);

async function moveKeysOf(db: Db, collection: Counting, docId: string): Promise<void> {
  const doc = await listing(db, collection).findOne({ _id: docId }, { projection: { replyIds: 1 } });
  const keys = [...new Set(doc?.replyIds ?? [])];
  for (let i = 0; i < keys.length; i += CHUNK)
    await insertManyOnce(
      c.countedKeys(db),
      keys.slice(i, i + CHUNK).map((key) => ({ _id: countedKeyId({ collection, docId, key }), batch: MIGRATED_BATCH })),
    );
  if (doc?.replyIds) await listing(db, collection).updateOne({ _id: docId }, { $unset: { replyIds: '' } });
}
