import { type Collection, MongoBulkWriteError, MongoServerError, type OptionalUnlessRequiredId } from 'mongodb';

/**
 * Inserts a document whose `_id` says it happened; a second insert of the same fact is a no-op.
 * Whether this call inserted it (false: it was there already).
 */
export async function insertOnce<T extends { _id: string }>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
): Promise<boolean> {
  try {
    await collection.insertOne(doc);
    return true;
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    return false;
  }
}

/**
 * `insertOnce` for many documents in one command: whether each one was new. Only an answer listing
 * duplicate keys alone says so: the driver also reports a connection lost mid-insert as a bulk
 * write error, with no write errors, and then any of the documents may or may not be stored.
 */
export async function insertManyOnce<T extends { _id: string }>(
  collection: Collection<T>,
  docs: OptionalUnlessRequiredId<T>[],
): Promise<boolean[]> {
  const inserted = docs.map(() => true);
  if (!docs.length) return inserted;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (err) {
    if (!(err instanceof MongoBulkWriteError)) throw err;
    const writeErrors = [err.writeErrors].flat();
    if (!writeErrors.length || writeErrors.some((e) => e.code !== 11000)) throw err;
    for (const e of writeErrors) inserted[e.index] = false;
  }
  return inserted;
}

export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}
