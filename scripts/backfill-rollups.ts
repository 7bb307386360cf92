/**
 * `npm run backfill:rollups`: the one-off backfill of what the dashboards read, for data stored
 * before they read it. Copies every rollup's counters into its month's document in
 * `rollup_months` (migration 5 of `npm run migrate` does this too), and hands the response-funnel
 * steps of every invitation, the changes of every case (rebuilt from its timeline) and every
 * journey reply (for the journeys' counters) to the scores' owner (this needs TEMPORAL_ADDRESS and a running
 * worker). Idempotent, safe while the system runs. The Temporal-driven parts are not migration
 * steps: migrations run before the new release's workers start, and these need them running.
 */
import { loadConfig } from '../src/config';
import { connectDatabase } from '../src/db/connection';
import { backfillRollupTotals } from '../src/db/rollup-totals';
import { failStartup, requireServices } from '../src/services';
import { connectTemporalClient } from '../src/temporal/connection';
import { backfillCaseMetrics, backfillFunnel } from '../src/temporal/backfills';
import { backfillJourneys } from '../src/temporal/journey-backfill';

const log = (msg: string) => console.log(`[cxloop] ${msg}`);
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

async function main() {
  const config = loadConfig();
  const { mongoUri, temporalAddress } = requireServices(config, ['MONGODB_URI', 'TEMPORAL_ADDRESS']);
  const database = await connectDatabase(mongoUri, config.mongo.dbName);
  const temporal = await connectTemporalClient({ ...config.temporal, address: temporalAddress });
  try {
    let started = Date.now();
    const { copied } = await backfillRollupTotals(database.db, (done, total) =>
      log(`rollup months: ${done} of ${total} rollups copied`),
    );
    log(`rollup months: ${copied} rollups copied in ${seconds(started)} s`);
    started = Date.now();
    const funnel = await backfillFunnel(database.db, temporal, config.temporal.taskQueue, (done) =>
      log(`response funnel: ${done} invitations handed over`),
    );
    log(`response funnel: ${funnel.steps} steps of ${funnel.invitations} invitations counted in ${seconds(started)} s`);
    started = Date.now();
    const cases = await backfillCaseMetrics(database.db, temporal, config.temporal.taskQueue, (done) =>
      log(`case metrics: ${done} cases handed over`),
    );
    log(`case metrics: ${cases.changes} changes of ${cases.cases} cases counted in ${seconds(started)} s`);
    started = Date.now();
    const journeys = await backfillJourneys(database.db, temporal, config.temporal.taskQueue, (done) =>
      log(`journeys: ${done} journey replies handed over`),
    );
    log(`journeys: ${journeys.replies} journey replies counted in ${seconds(started)} s`);
  } finally {
    await temporal.connection.close();
    await database.close();
  }
}

main().catch((err: Error) => failStartup('backfill of the dashboards failed', err));
