import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from './config';
import { prepareSchema } from './db/migrate';
import { rebuildLookupIndexes } from './db/migrations';
import { type Database, connectDatabase } from './db/connection';
import { setSettingsCacheTtl } from './db/settings-cache';
import { customerKeySecret, sessionSecret, surveyTokenSecret } from './bootstrap';
import { durationMs } from './domain/duration';
import { createMailer, noMailer } from './mail/mailer';
import { Templates } from './mail/templates';
import {
  connectTemporalClient,
  connectWorkerConnection,
  ensureSearchAttributes,
  ensureSweepSchedule,
  lazyTemporalClient,
} from './temporal/connection';
import { ensureAlertSchedule } from './temporal/alert-schedule';
import { createWorkers } from './temporal/worker';
import { reconcileDigestSchedules } from './temporal/digest-schedules';
import { digestFrequencies } from './app/digests';
import type { WorkerHealth } from './temporal/worker-health';
import { createApp } from './web/app';
import { Metrics } from './web/metrics';
import { metricsRouter } from './web/routes/ops';
import { type Logger, createLogger } from './log';
import express from 'express';

export interface ResolvedServices {
  temporalAddress: string;
  mongoUri: string;
  smtpUrl: string;
  /** The SMTP sink is ours: the outbox pages exist. */
  embeddedMail: boolean;
}

export interface RunningWorker {
  done: Promise<void>;
  stop(): Promise<void>;
}

/** The Temporal worker: workflows plus activities wired to MongoDB, Handlebars and SMTP. */
export async function startWorker(
  config: Config,
  services: ResolvedServices,
  options: {
    publicBaseUrl: string;
    workflowBundle?: WorkerOptions['workflowBundle'];
    taskQueue?: string;
    /** Reports these workers on WORKER_HEALTH_PORT. */
    health?: WorkerHealth;
  },
): Promise<RunningWorker> {
  setSettingsCacheTtl(durationMs(config.settingsCacheTtl));
  const database = await connectDatabase(services.mongoUri, config.mongo.dbName);
  await withSchema(database, config, (line) => console.log(`[cxloop] migrate: ${line}`));
  await rebuildLookupIndexes(database.db);
  const mailer = createMailer(services.smtpUrl);
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  // One client for the start-up checks: the search attributes, the sweep's and the alerts' schedules.
  const setup = await connectTemporalClient({ ...config.temporal, address: services.temporalAddress });
  try {
    await ensureSearchAttributes(setup);
    await ensureSweepSchedule(setup, taskQueue, durationMs(config.replySweepInterval));
    await ensureAlertSchedule(setup, taskQueue);
    // Digest schedules a save could not make, or of people disabled since: a failure leaves them to the next start.
    await reconcileDigestSchedules(setup, taskQueue, await digestFrequencies(database.db)).catch((err: Error) =>
      console.warn(`[cxloop] digest schedules not reconciled: ${err.message}`),
    );
  } finally {
    await setup.connection.close();
  }
  const connection = await connectWorkerConnection({ ...config.temporal, address: services.temporalAddress });
  const workers = await createWorkers({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    workflowBundle: options.workflowBundle,
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    codecKeys: config.temporal.codecKeys,
    health: options.health,
    deps: {
      db: database.db,
      mailer,
      templates: new Templates(),
      publicBaseUrl: options.publicBaseUrl,
      mailFrom: config.smtp.from,
      surveyTokenSecret: await surveyTokenSecret(database.db, config.surveyTokenSecret),
      loopIdleTimeout: config.loopIdleTimeout,
      webhookDestinations: { allowList: config.webhookAllowList },
      customerKeySecret: await customerKeySecret(database.db, config.customerKeySecret),
    },
  });
  // One worker failing stops the other, so the process exits instead of half-working.
  const runs = workers.map((worker) =>
    worker.run().catch((err: unknown) => {
      for (const other of workers) if (other.getState() === 'RUNNING') other.shutdown();
      throw err;
    }),
  );
  const done = Promise.all(runs)
    .then(() => undefined)
    .finally(async () => {
      await Promise.allSettled(runs);
      mailer.close();
      await connection.close();
      await database.close();
    });
  return {
    done,
    async stop() {
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

export interface RunningWeb {
  server: Server;
  url: string;
  database: Database;
  logger: Logger;
  /** The separate Prometheus port, when METRICS_PORT is set. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

/** The web tier: survey pages, admin UI, JSON API. */
export async function startWeb(
  config: Config,
  services: ResolvedServices,
  options: {
    port: number;
    publicBaseUrl?: string;
    logger?: Logger;
    prettyLogs?: boolean;
    taskQueue?: string;
    /** Rate-limit counters of this deployment only: tests run several deployments on one database. */
    rateLimitScope?: string;
  },
): Promise<RunningWeb> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, pretty: options.prettyLogs });
  setSettingsCacheTtl(durationMs(config.settingsCacheTtl));
  const database = await connectDatabase(services.mongoUri, config.mongo.dbName);
  await withSchema(database, config, (line) => logger.info(`migrate: ${line}`));
  // Lazily: survey pages and event intake keep working without Temporal (the sweep hands over later).
  const temporal = lazyTemporalClient({ ...config.temporal, address: services.temporalAddress });
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const metrics = new Metrics({ processMetrics: true });
  // For the program editor's "send me a test"; survey and case emails go out from the worker.
  const mailer = services.smtpUrl ? createMailer(services.smtpUrl) : noMailer;
  const app = createApp({
    db: database.db,
    mongoClient: database.client,
    temporal,
    templates: new Templates(),
    taskQueue,
    loopIdleTimeout: config.loopIdleTimeout,
    customerKeySecret: await customerKeySecret(database.db, config.customerKeySecret),
    sessionSecret: await sessionSecret(database.db, config.sessionSecret),
    embeddedMail: services.embeddedMail,
    publicBaseUrl: options.publicBaseUrl ?? `http://localhost:${options.port}`,
    logger,
    rateLimits: config.rateLimits,
    trustProxy: config.trustProxy,
    rateLimitScope: options.rateLimitScope,
    metricsToken: config.metrics.token,
    metrics,
    mailer,
    mailFrom: config.smtp.from,
    webhookAllowList: config.webhookAllowList,
    temporalUiOrigin: config.temporal.uiOrigin,
  });
  const closeAll = async () => {
    mailer.close();
    await temporal.connection.close();
    await database.close();
  };
  const server = await listen(createServer(app), options.port).catch(async (err: Error) => {
    await closeAll();
    throw new Error(`cannot listen on port ${options.port} (${err.message}); set PORT to another port`);
  });
  const metricsServer = config.metrics.port
    ? await listen(createServer(metricsApp(metrics)), config.metrics.port).catch(async (err: Error) => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await closeAll();
        throw new Error(`cannot listen on METRICS_PORT ${config.metrics.port} (${err.message})`);
      })
    : undefined;
  const drains = [server, metricsServer].flatMap((s) => (s ? [drainable(s)] : []));
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    database,
    logger,
    metricsUrl: metricsServer && `http://localhost:${(metricsServer.address() as AddressInfo).port}`,
    async stop() {
      await Promise.all(drains.map((drain) => drain()));
      await closeAll();
    },
  };
}

/**
 * Start-up checks the schema only (migrations are `npm run migrate`, once per deployment), or
 * migrates under MIGRATE_ON_START; a database behind this release stops the start.
 */
async function withSchema(database: Database, config: Config, log: (line: string) => void): Promise<void> {
  try {
    await prepareSchema(database.db, { migrateOnStart: config.migrateOnStart, log });
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** How long requests in flight at SIGTERM may take before their connections are cut. */
const DRAIN_MS = 20_000;

/**
 * Returns the server's graceful stop: no new connections, requests in flight finish. Clients under
 * steady load keep reusing their keep-alive connections, so `close()` alone would wait for ever:
 * responses from then on say `Connection: close`, and connections that fall idle are closed.
 */
function drainable(server: Server): () => Promise<void> {
  let draining = false;
  server.on('request', (_req, res: ServerResponse) => {
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
  });
  return async () => {
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const idle = setInterval(() => server.closeIdleConnections(), 250);
    const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
    try {
      await closed;
    } finally {
      clearInterval(idle);
      clearTimeout(cut);
    }
  };
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise<Server>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Prometheus on its own port: reachable only where the operator's network allows, no token needed. */
function metricsApp(metrics: Metrics) {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter({ metrics }));
  return app;
}
