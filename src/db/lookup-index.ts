import type { Db } from 'mongodb';
import { isDuplicateKeyError } from './insert-once';

/**
 * A small document the hot path reads by `_id` instead of querying an admin collection by another
 * field (a scan on FerretDB v1): which webhooks an event has, which programs an event type
 * triggers, who has a frontline ID. It is derived from its collection, never edited: each change
 * of that collection rebuilds it whole.
 */
export interface LookupIndexDoc<T> {
  _id: string;
  /** Raised by every rebuild before it reads the collection. */
  generation: number;
  /** The generation whose reading `value` is (0: never built). */
  builtFrom: number;
  value?: T;
  builtAt?: Date;
}

const lookupIndexes = <T>(db: Db) => db.collection<LookupIndexDoc<T>>('lookup_indexes');

/** A lookup index: its `_id` and how to derive its value from the collection it indexes. */
export interface LookupIndex<T> {
  id: string;
  build(db: Db): Promise<T>;
}

/** Raises the generation (creating the document the first time; two first callers: one retries). */
async function claimGeneration(db: Db, id: string): Promise<number> {
  for (;;) {
    try {
      const doc = await lookupIndexes(db).findOneAndUpdate(
        { _id: id },
        { $inc: { generation: 1 }, $setOnInsert: { builtFrom: 0 } },
        { upsert: true, returnDocument: 'after' },
      );
      return doc!.generation;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}

/**
 * Rebuilds the index after a change of its collection (and at migration). Several processes may
 * change the collection at once: each raises the generation *after* its change and reads the
 * collection after that, so the highest generation's reading holds every change whose rebuild
 * began; a reading is stored only over an older one, so a slower rebuild cannot put back a
 * reading that misses a change.
 */
export async function rebuildLookupIndex<T>(db: Db, index: LookupIndex<T>): Promise<T> {
  const generation = await claimGeneration(db, index.id);
  const value = await index.build(db);
  await lookupIndexes<T>(db).updateOne({ _id: index.id, builtFrom: { $lt: generation } }, {
    $set: { value, builtFrom: generation, builtAt: new Date() },
  } as object);
  return value;
}

/**
 * The index's value, read by `_id`; built here the first time (a database nobody rebuilt it in,
 * such as one a test set up by hand).
 */
export async function readLookupIndex<T>(db: Db, index: LookupIndex<T>): Promise<T> {
  const doc = await lookupIndexes<T>(db).findOne({ _id: index.id }, { projection: { value: 1 } });
  return doc && 'value' in doc ? (doc.value as T) : rebuildLookupIndex(db, index);
}
