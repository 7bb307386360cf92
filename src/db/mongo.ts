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
import { hashSurveyToken } from './survey-tokens';

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

/** Idempotent: safe to run at every start of the web and the worker. */
export async function ensureIndexes(db: Db): Promise<void> {
  await upgradeInvitationTokens(db);
  await Promise.all([
    c.invitations(db).createIndex({ tokenHash: 1 }, { unique: true, name: 'token_hash_unique' }),
    c.invitations(db).createIndex({ customerId: 1, createdAt: -1 }, { name: 'by_customer' }),
    c.events(db).createIndex({ customerId: 1, occurredAt: -1 }, { name: 'by_customer' }),
    c.events(db).createIndex({ processedAt: 1, receivedAt: 1 }, { name: 'unprocessed' }),
    c.waveDays(db).createIndex({ programId: 1, day: -1 }, { name: 'by_program_day' }),
    c.contactDecisions(db).createIndex({ customerId: 1, decidedAt: -1 }, { name: 'by_customer' }),
    c.responses(db).createIndex({ finalizedAt: 1, submittedAt: 1 }, { name: 'unfinalized' }),
    c.responses(db).createIndex({ customerId: 1, submittedAt: -1 }, { name: 'by_customer' }),
    c.rollups(db).createIndex({ programId: 1, day: 1, segment: 1 }, { name: 'by_program_day_segment' }),
    c.sinkMessages(db).createIndex({ receivedAt: -1 }, { name: 'newest_first' }),
    c.sessions(db).createIndex({ 'session.userId': 1 }, { name: 'by_user' }),
    // One counter per key, also when two web processes count its first hit at once.
    c.rateLimitCounters(db).createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
    c.cases(db).createIndex({ ownerId: 1, status: 1, openedAt: -1 }, { name: 'by_owner' }),
    c.cases(db).createIndex({ teamId: 1, status: 1, openedAt: -1 }, { name: 'by_team' }),
    c.cases(db).createIndex({ customerId: 1, openedAt: -1 }, { name: 'by_customer' }),
    c.caseTimeline(db).createIndex({ caseId: 1, seq: 1 }, { name: 'by_case' }),
    c.journeyReplies(db).createIndex({ programId: 1, at: -1 }, { name: 'by_program' }),
    c.auditLog(db).createIndex({ at: -1 }, { name: 'newest_first' }),
    c.webhookAttempts(db).createIndex({ webhookId: 1, at: -1 }, { name: 'by_webhook' }),
    c.webhookAttempts(db).createIndex({ deliveryId: 1, ok: 1 }, { name: 'by_delivery' }),
    // Earlier versions called case owners 'owner'.
    c.users(db).updateMany({ role: 'owner' as never }, { $set: { role: 'case_owner' } }),
  ]);
}

/**
 * Runs a one-off upgrade of the database unless its marker in `settings` says it ran, then sets
 * the marker. Processes starting together may each run it, so the upgrade must be idempotent.
 */
export async function oncePerDatabase<T>(db: Db, marker: string, upgrade: () => Promise<T>): Promise<T | undefined> {
  if (await c.settings(db).findOne({ _id: marker })) return undefined;
  const result = await upgrade();
  await c.settings(db).updateOne({ _id: marker }, { $set: { value: new Date().toISOString() } }, { upsert: true });
  return result;
}

/**
 * Earlier versions stored survey tokens in plain text under a unique index: keep only their hash
 * (links already sent go on working) and drop that index, which would refuse a second token-less
 * invitation. Once per database: finding them is a scan of every invitation on FerretDB, and every
 * web and worker start comes here.
 */
function upgradeInvitationTokens(db: Db): Promise<void> {
  return oncePerDatabase(db, 'invitation-tokens-hashed', () => hashLegacyTokens(db));
}

async function hashLegacyTokens(db: Db): Promise<void> {
  const legacy = c.invitations(db).find({ token: { $exists: true } } as object, { projection: { token: 1 } });
  for await (const doc of legacy as AsyncIterable<{ _id: string; token: string }>) {
    await c.invitations(db).updateOne({ _id: doc._id }, {
      $set: { tokenHash: hashSurveyToken(doc.token) },
      $unset: { token: '' },
    } as object);
  }
  if (
    (await c
      .invitations(db)
      .indexExists('token_unique')
      .catch(() => false)) === true
  )
    await c.invitations(db).dropIndex('token_unique');
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
