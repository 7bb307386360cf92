/**
 * `npm run backfill:rollups`: copies every rollup's counters into its month's document in
 * `rollup_months`, which the dashboards read. The worker does this once by itself at its first
 * start after the upgrade; run it by hand to do it ahead of that start. Idempotent, safe while the
 * system runs.
 */
import { loadConfig } from '../src/config';
import { connectDatabase } from '../src/db/mongo';
import { backfillRollupTotals } from '../src/db/rollup-totals';
import { failStartup, requireServices } from '../src/services';

async function main() {
  const config = loadConfig();
  const { mongoUri } = requireServices(config, ['MONGODB_URI']);
  const database = await connectDatabase(mongoUri, config.mongo.dbName);
  try {
    const started = Date.now();
    const { copied } = await backfillRollupTotals(database.db, (done, total) =>
      console.log(`[cxloop] rollup months: ${done} of ${total} rollups copied`),
    );
    console.log(`[cxloop] rollup months: ${copied} rollups copied in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await database.close();
  }
}

main().catch((err: Error) => failStartup('backfill of rollup months failed', err));
