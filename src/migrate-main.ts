/**
 * `npm run migrate`: brings the database to this release's schema version, once per deployment
 * (a one-shot compose service, a Kubernetes Job) before the new web and worker processes start.
 * Configured by the environment (MONGODB_URI, MONGODB_DB); safe to run from several places at once
 * and to run again after it was stopped (see src/db/migrate.ts).
 */
import { loadConfig } from './config';
import { connectDatabase } from './db/connection';
import { migrate } from './db/migrate';
import { failStartup, requireServices } from './services';

async function main() {
  const config = loadConfig();
  const { mongoUri } = requireServices(config, ['MONGODB_URI']);
  const database = await connectDatabase(mongoUri, config.mongo.dbName);
  try {
    await migrate(database.db, { log: (line) => console.log(`[cxloop] migrate: ${line}`) });
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => failStartup('cxloop migrate failed', err));
