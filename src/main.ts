/**
 * `npm start`: the whole system on one machine. Whatever TEMPORAL_ADDRESS, MONGODB_URI and
 * SMTP_URL do not point at is started embedded (Temporal dev server, FerretDB, SMTP sink);
 * then the worker and the web tier run in this process, with demo programs and data.
 */
import type { Db } from 'mongodb';
import { type Config, loadConfig } from './config';
import { codecKeys, demoCredentials, ensureAdmin, ensureApiKey, surveyTokenSecret } from './bootstrap';
import { connectDatabase } from './db/connection';
import { migrate } from './db/migrate';
import {
  DEMO_CAMPAIGN,
  DEMO_CUSTOMERS,
  DEMO_PROGRAMS,
  answerAsDemoDetractor,
  seedDemoCaseTeams,
  seedDemoPrograms,
} from './demo/seed';
import { seedDemoHistory, seedDemoJourneys } from './demo/history';
import { oncePerDatabase } from './db/markers';
import { backfillJourneys } from './temporal/journey-backfill';
import { workDemoCases } from './demo/cases';
import { DEMO_DIGEST_USER, runDemoDigest } from './demo/digests';
import { connectTemporalClient } from './temporal/connection';
import { startupBanner } from './banner';
import { startWeb, startWorker } from './runtime';
import { installWorkerLogging } from './temporal/worker';
import { serveWorkerHealth } from './temporal/worker-health';
import { failStartup } from './services';
import { startEmbeddedStack } from './stack/embedded';

const log = (msg: string) => console.log(`[cxloop] ${msg}`);

async function main() {
  const configured = loadConfig();
  installWorkerLogging(configured.logLevel, configured.metrics.workerPort);
  const publicBaseUrl = configured.publicBaseUrl ?? `http://localhost:${configured.port}`;
  log('starting the embedded stack…');
  const stack = await startEmbeddedStack({
    dataDir: configured.dataDir,
    temporalAddress: configured.temporal.address,
    mongoUri: configured.mongo.uri,
    smtpUrl: configured.smtp.url,
    mongoDbName: configured.mongo.dbName,
    mode: 'app',
    log,
    uiCodecEndpoint: `${publicBaseUrl}/codec`,
  });
  const services = { ...stack, embeddedMail: !configured.smtp.url };

  const database = await connectDatabase(services.mongoUri, configured.mongo.dbName);
  // One machine, one process: it migrates itself, so `npm start` stays one command.
  await migrate(database.db, { log: (line) => log(`migrate: ${line}`) });
  const config = await withDemoCodec(configured, database.db, stack.temporalUiUrl);
  const demo = await demoCredentials(database.db);
  const adminEmail = config.bootstrap.adminEmail ?? demo.adminEmail;
  const adminPassword = config.bootstrap.adminPassword ?? demo.adminPassword;
  const apiKey = config.bootstrap.apiKey ?? demo.apiKey;
  await ensureAdmin(database.db, adminEmail, adminPassword);
  await ensureApiKey(database.db, apiKey);
  await seedDemoPrograms(database.db);
  const people = await seedDemoCaseTeams(database.db);

  log('bundling workflows and starting the worker…');
  // The embedded worker's probes only on request: the web's /readyz covers `npm start`.
  const health = config.workerHealthPort === undefined ? undefined : await serveWorkerHealth(config.workerHealthPort);
  const worker = await startWorker(config, services, { publicBaseUrl, health: health?.health });
  const web = await startWeb(config, services, { port: config.port, publicBaseUrl, prettyLogs: true });
  await sendDemoTransactions(web.url, apiKey);
  await launchDemoCampaign(web.url, apiKey);
  answerAsDemoDetractor(database.db, web.url, await surveyTokenSecret(database.db, config.surveyTokenSecret)).catch(
    (err: Error) => log(`the demo detractor reply failed: ${err.message}`),
  );
  workDemoCases(database.db, web.url, apiKey, await surveyTokenSecret(database.db, config.surveyTokenSecret))
    .then(
      (cases) =>
        cases && log(`demo: ${cases} more cases worked to open, in progress, waiting, resolved, reopened and closed`),
    )
    .catch((err: Error) => log(`the demo cases failed: ${err.message}`));
  seedHistory(config, services.temporalAddress, database.db).catch((err: Error) =>
    log(`the demo's year of replies failed: ${err.message}`),
  );

  console.log(
    startupBanner({
      publicBaseUrl,
      adminEmail,
      adminPassword,
      apiKey,
      bootstrap: config.bootstrap,
      outbox: services.embeddedMail,
      smtpUrl: config.smtp.url,
      temporalUiUrl: stack.temporalUiUrl,
      temporalAddress: services.temporalAddress,
      people,
    }),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    await web.stop().catch(() => {});
    await worker.stop().catch(() => {});
    await database.close().catch(() => {});
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  worker.done.catch(async (err: Error) => {
    console.error(`[cxloop] the worker stopped: ${err.message}`);
    await shutdown('worker failure');
  });
}

/**
 * The demo runs encrypted like production: its generated key unless TEMPORAL_CODEC_KEYS is set, and
 * the embedded Web UI as the origin that may call the codec endpoint.
 */
async function withDemoCodec(config: Config, db: Db, temporalUiUrl: string | undefined): Promise<Config> {
  return {
    ...config,
    temporal: {
      ...config.temporal,
      codecKeys: await codecKeys(db, config.temporal.codecKeys),
      uiOrigin: config.temporal.uiOrigin ?? temporalUiUrl,
    },
  };
}

/** The demo's year of past replies, for the dashboards; in the background, once per database. */
async function seedHistory(config: Config, temporalAddress: string, db: Db): Promise<void> {
  const temporal = await connectTemporalClient({ ...config.temporal, address: temporalAddress });
  try {
    const replies = await seedDemoHistory(db, temporal, config.temporal.taskQueue, DEMO_PROGRAMS);
    if (replies) log(`demo: a year of past replies (${replies}) handed to the dashboards`);
    const journeys = await seedDemoJourneys(db, temporal, config.temporal.taskQueue, DEMO_PROGRAMS);
    if (journeys) log(`demo: ${journeys} replies along the onboarding and support journeys`);
    // A demo seeded before the journeys' counters: its journey replies counted once (seeded just
    // now, the owner counted them as it took them).
    await oncePerDatabase(db, 'demo-journey-counters', async () => {
      if (!journeys) await backfillJourneys(db, temporal, config.temporal.taskQueue);
    });
    log(
      `demo: last week's digest for ${DEMO_DIGEST_USER}: ${(await runDemoDigest(temporal, config.temporal.taskQueue)).status}`,
    );
  } finally {
    await temporal.connection.close();
  }
}

/** One purchase per demo customer, through the public API (idempotent across restarts). */
async function sendDemoTransactions(baseUrl: string, apiKey: string): Promise<void> {
  for (const [index, customer] of DEMO_CUSTOMERS.entries()) {
    const response = await fetch(`${baseUrl}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: `demo-purchase-${customer.id}`,
        type: 'purchase',
        occurredAt: new Date().toISOString(),
        customer,
        data: { store: ['berlin', 'paris', 'online'][index % 3] },
      }),
    });
    if (response.status !== 202) log(`demo event for ${customer.id} was refused: ${await response.text()}`);
  }
}

/** The demo campaign, starting once the demo customers' loops have recorded them. */
async function launchDemoCampaign(baseUrl: string, apiKey: string): Promise<void> {
  const response = await fetch(`${baseUrl}/api/campaigns`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...DEMO_CAMPAIGN, startAt: new Date(Date.now() + 20_000).toISOString() }),
  });
  if (!response.ok) log(`the demo campaign was refused: ${await response.text()}`);
}

main().catch((err: Error) => failStartup('cxloop failed to start', err));
