import { type Db, MongoClient, MongoServerError } from 'mongodb';
import * as c from './collections';

export interface Database {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectDatabase(uri: string, dbName: string): Promise<Database> {
  const client = await MongoClient.connect(uri, { serverSelectionTimeoutMS: 10_000 });
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}

/** Idempotent: safe to run at every start of the web and the worker. */
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all([
    c.invitations(db).createIndex({ token: 1 }, { unique: true, name: 'token_unique' }),
    c.invitations(db).createIndex({ customerId: 1, createdAt: -1 }, { name: 'by_customer' }),
    c.events(db).createIndex({ customerId: 1, occurredAt: -1 }, { name: 'by_customer' }),
    c.events(db).createIndex({ processedAt: 1, receivedAt: 1 }, { name: 'unprocessed' }),
    c.contactDecisions(db).createIndex({ customerId: 1, decidedAt: -1 }, { name: 'by_customer' }),
    c.responses(db).createIndex({ acknowledgedAt: 1, submittedAt: 1 }, { name: 'unacknowledged' }),
    c.responses(db).createIndex({ customerId: 1, submittedAt: -1 }, { name: 'by_customer' }),
    c.rollups(db).createIndex({ programId: 1, day: 1, segment: 1 }, { name: 'by_program_day_segment' }),
    c.sinkMessages(db).createIndex({ receivedAt: -1 }, { name: 'newest_first' }),
    c.sessions(db).createIndex({ 'session.userId': 1 }, { name: 'by_user' }),
    // Earlier versions called case owners 'owner'.
    c.users(db).updateMany({ role: 'owner' as never }, { $set: { role: 'case_owner' } }),
  ]);
}

export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}
