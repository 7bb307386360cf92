import { type Db, MongoClient } from 'mongodb';
import { reportCommandsToTallies, tallyToDirectoryFromEnv, tallyingCommands } from './command-tally';
import { forgetSettingsOnWrite } from './settings-cache';

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
    // Always: the settings cache forgets what this process writes (src/db/settings-cache.ts).
    monitorCommands: true,
  });
  forgetSettingsOnWrite(client);
  if (tallying) reportCommandsToTallies(client);
  const db = client.db(dbName);
  return { client, db, close: () => client.close() };
}
