import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import type { Config } from './config';
import { type Database, connectDatabase, ensureIndexes } from './db/mongo';
import { sessionSecret } from './bootstrap';
import { durationMs } from './domain/duration';
import { createMailer } from './mail/mailer';
import { Templates } from './mail/templates';
import { connectTemporalClient, connectWorkerConnection } from './temporal/connection';
import { createWorker } from './temporal/worker';
import { createApp } from './web/app';
import { startSweeper } from './web/sweeps';

export interface ResolvedServices {
  temporalAddress: string;
  mongoUri: string;
  smtpUrl: string;
  /** The SMTP sink is ours: the outbox pages exist. */
  embeddedMail: boolean;
}

export type Log = (msg: string) => void;

export interface RunningWorker {
  worker: Worker;
  done: Promise<void>;
  stop(): Promise<void>;
}

/** The Temporal worker: workflows plus activities wired to MongoDB, Handlebars and SMTP. */
export async function startWorker(
  config: Config,
  services: ResolvedServices,
  options: { publicBaseUrl: string; workflowBundle?: WorkerOptions['workflowBundle']; taskQueue?: string },
): Promise<RunningWorker> {
  const database = await connectDatabase(services.mongoUri, config.mongo.dbName);
  await ensureIndexes(database.db);
  const mailer = createMailer(services.smtpUrl);
  const connection = await connectWorkerConnection({ ...config.temporal, address: services.temporalAddress });
  const worker = await createWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    workflowBundle: options.workflowBundle,
    deps: {
      db: database.db,
      mailer,
      templates: new Templates(),
      publicBaseUrl: options.publicBaseUrl,
      mailFrom: config.smtp.from,
    },
  });
  const done = worker.run().finally(async () => {
    mailer.close();
    await connection.close();
    await database.close();
  });
  return {
    worker,
    done,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

export interface RunningWeb {
  server: Server;
  url: string;
  database: Database;
  stop(): Promise<void>;
}

/** The web tier: survey pages, admin UI, JSON API, plus the sweep that re-signals unacknowledged work. */
export async function startWeb(
  config: Config,
  services: ResolvedServices,
  options: { port: number; publicBaseUrl?: string; log: Log; taskQueue?: string },
): Promise<RunningWeb> {
  const database = await connectDatabase(services.mongoUri, config.mongo.dbName);
  await ensureIndexes(database.db);
  const temporal = await connectTemporalClient({ ...config.temporal, address: services.temporalAddress });
  const taskQueue = options.taskQueue ?? config.temporal.taskQueue;
  const app = createApp({
    db: database.db,
    temporal,
    templates: new Templates(),
    taskQueue,
    loopIdleTimeout: config.loopIdleTimeout,
    sessionSecret: await sessionSecret(database.db, config.sessionSecret),
    embeddedMail: services.embeddedMail,
    publicBaseUrl: options.publicBaseUrl ?? `http://localhost:${options.port}`,
    log: options.log,
  });
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (err: Error) => {
    await temporal.connection.close();
    await database.close();
    throw new Error(`cannot listen on port ${options.port} (${err.message}); set PORT to another port`);
  });
  const url = `http://localhost:${(server.address() as AddressInfo).port}`;
  const sweeper = startSweeper(
    database.db,
    { temporal, taskQueue, loopIdleTimeout: config.loopIdleTimeout, log: options.log },
    durationMs(config.replySweepInterval),
  );
  return {
    server,
    url,
    database,
    async stop() {
      await sweeper.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await temporal.connection.close();
      await database.close();
    },
  };
}
