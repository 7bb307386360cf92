import {
  type Collection,
  type Db,
  MongoBulkWriteError,
  MongoClient,
  MongoServerError,
  type OptionalUnlessRequiredId,
} from 'mongodb';
import * as c from './collections';
import { reportCommandsToTallies, tallyToDirectoryFromEnv, tallyingCommands } from './command-tally';

export interface Database {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectDatabase(uri: string, dbName: string): Promise<Database> {
  tallyToDirectoryFromEnv();
  const tallying = tallyingCommands();
  const client = await MongoClient.connect(uri, {
    serverSelectionTimeoutMS: 10_000,
    // An absent optional field stays absent instead of becoming null (SLA clocks test `=== undefined`).
    ignoreUndefined: true,
    monitorCommands: tallying,
  });
  if (tallying) reportCommandsToTallies(client);
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

/**
 * Runs a one-off piece of work (the demo's seeding) unless its marker in `settings` says it ran,
 * then sets the marker. Processes starting together may each run it, so the work must be
 * idempotent. Upgrades of the schema are migrations instead (`src/db/migrations.ts`).
 */
export async function oncePerDatabase<T>(db: Db, marker: string, upgrade: () => Promise<T>): Promise<T | undefined> {
  if (await c.settings(db).findOne({ _id: marker })) return undefined;
  const result = await upgrade();
  await c.settings(db).updateOne({ _id: marker }, { $set: { value: new Date().toISOString() } }, { upsert: true });
  return result;
}

/** Inserts a document whose `_id` says it happened; a second insert of the same fact is a no-op. */
export async function insertOnce<T extends { _id: string }>(
  collection: Collection<T>,
  doc: OptionalUnlessRequiredId<T>,
) {
  try {
    await collection.insertOne(doc);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
}

/** `insertOnce` for many documents in one command: whether each one was new. */
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
    if (writeErrors.some((e) => e.code !== 11000)) throw err;
    for (const e of writeErrors) inserted[e.index] = false;
  }
  return inserted;
}

export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}
