import type { Db } from 'mongodb';
import * as c from './collections';
import { insertManyOnce, insertOnce } from './insert-once';

/**
 * How the scores' owner counts each key (a reply, a funnel step, a case change) once per document
 * while its documents hold counters only. Before writing counters, a batch claims each
 * (document, key) it is about to count by inserting `counted_keys` {_id: collection|document|key,
 * batch}; a duplicate key means the key was claimed before. A claim by another batch was counted
 * (the owner applies one batch at a time and retries it until it is done); a claim by this very
 * batch was made by an earlier attempt that was cut off, and is still this batch's to count. Each
 * counting document's one update also sets `appliedBatch`, so a retried batch skips the documents
 * its earlier attempt already wrote. When every write is done the batch is marked in
 * `applied_batches`.
 */

/** The collections whose documents count keys. */
export type Counting = 'rollups' | 'customer_scores' | 'routing_state';

/** The batch that claims the keys documents listed before they held counters only (`moveCountedKeys`). */
export const MIGRATED_BATCH = 'migrated';

/** One `applyScores` activity: its ID is the same in every attempt. */
export interface ScoresBatch {
  id: string;
  /** Not the first attempt: an earlier one may have claimed keys and written documents. */
  retried: boolean;
}

/** A key a document counts. */
export interface CountedKey {
  collection: Counting;
  docId: string;
  key: string;
}

export const countedKeyId = ({ collection, docId, key }: CountedKey) => `${collection}|${docId}|${key}`;

/**
 * Claims distinct keys for the batch in one insert and returns those another batch claimed first
 * (counted already). Only a retried batch reads refused claims back (by `_id`): in a first attempt
 * nothing can have claimed a key for this batch yet.
 */
export async function claimKeys(db: Db, batch: ScoresBatch, keys: CountedKey[]): Promise<CountedKey[]> {
  const inserted = await insertManyOnce(
    c.countedKeys(db),
    keys.map((key) => ({ _id: countedKeyId(key), batch: batch.id })),
  );
  const refused = keys.filter((_, i) => !inserted[i]);
  if (!batch.retried) return refused;
  const claims = await Promise.all(
    refused.map((key) => c.countedKeys(db).findOne({ _id: countedKeyId(key) }, { projection: { batch: 1 } })),
  );
  return refused.filter((_, i) => claims[i]?.batch !== batch.id);
}

/** Recorded once every write of the batch is done. */
export async function markBatchApplied(db: Db, batchId: string): Promise<void> {
  await insertOnce(c.appliedBatches(db), { _id: batchId, at: new Date() });
}

/**
 * Whether a document, as just read, counts a key: the key is claimed, and its batch wrote the
 * document last or has finished (a batch claims before it writes, so a claim alone may be a batch
 * still under way). Reads by `_id` only.
 */
export async function isCounted(
  db: Db,
  collection: Counting,
  doc: { _id: string; appliedBatch?: string } | null,
  key: string,
): Promise<boolean> {
  if (!doc) return false;
  const claim = await c.countedKeys(db).findOne({ _id: countedKeyId({ collection, docId: doc._id, key }) });
  if (!claim) return false;
  if (claim.batch === doc.appliedBatch) return true;
  return (await c.appliedBatches(db).findOne({ _id: claim.batch })) !== null;
}
