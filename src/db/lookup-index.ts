import type { Db } from 'mongodb';
import { isDuplicateKeyError } from './insert-once';
import { cachedSetting } from './settings-cache';

/**
 * A small document the hot path reads by `_id` instead of querying an admin collection by another
 * field (a scan on FerretDB v1): which webhooks an event has, which programs an event type
 * triggers, who has a frontline ID. It is derived from its collection, never edited: each change
 * of that collection rebuilds it whole.
 */
export interface LookupIndexDoc<T> {
  _id: string;
  value: T;
  builtAt: Date;
}

const lookupIndexes = <T>(db: Db) => db.collection<LookupIndexDoc<T>>('lookup_indexes');

/** A lookup index: its `_id` and how to derive its value from the collection it indexes (in a stable order). */
export interface LookupIndex<T> {
  id: string;
  build(db: Db): Promise<T>;
}

/** Readings after which a rebuild gives up to a collection changing all the while (the next change rebuilds it). */
const MAX_READINGS = 10;

async function publish<T>(db: Db, id: string, value: T): Promise<void> {
  const doc = { value, builtAt: new Date() } as Omit<LookupIndexDoc<T>, '_id'>;
  try {
    await lookupIndexes<T>(db).replaceOne({ _id: id }, doc, { upsert: true });
  } catch (err) {
    // Two first publications at once: the loser replaces.
    if (!isDuplicateKeyError(err)) throw err;
    await lookupIndexes<T>(db).replaceOne({ _id: id }, doc);
  }
}

/**
 * Rebuilds the index after a change of its collection (and at migration). Several processes may
 * change the collection and rebuild at once, and FerretDB isolates neither conditional nor
 * concurrent writes, so a rebuild that read before another's change may publish after it. Hence
 * each rebuild reads the collection again after publishing and publishes again until that reading
 * matches: the last publication is always followed by a matching reading taken after it, so it
 * holds every change made before it, and a change made after it is followed by its own rebuild.
 */
export async function rebuildLookupIndex<T>(db: Db, index: LookupIndex<T>): Promise<T> {
  let value = await index.build(db);
  for (let reading = 1; ; reading++) {
    await publish(db, index.id, value);
    const again = await index.build(db);
    if (reading === MAX_READINGS || JSON.stringify(again) === JSON.stringify(value)) return value;
    value = again;
  }
}

/**
 * The index's value, read by `_id` once per process and SETTINGS_CACHE_TTL (`fresh`: as stored
 * now); built here the first time (a database nobody rebuilt it in, such as one a test set up by hand).
 */
export function readLookupIndex<T>(db: Db, index: LookupIndex<T>, options?: { fresh?: boolean }): Promise<T> {
  return cachedSetting(
    db,
    'lookup_indexes',
    index.id,
    async () => {
      const doc = await lookupIndexes<T>(db).findOne({ _id: index.id }, { projection: { value: 1 } });
      return doc ? doc.value : rebuildLookupIndex(db, index);
    },
    options,
  );
}
