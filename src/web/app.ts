import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Db } from 'mongodb';
import type { Templates } from '../mail/templates';
import { createSessions, requireApiKey } from './auth';
import { errorHandler, notFound } from './errors';
import type { LoopSettings } from './events-service';
import { Metrics } from './metrics';
import { adminRouter } from './routes/admin';
import { apiRouter } from './routes/api';
import { opsRouter } from './routes/ops';
import { surveyRouter } from './routes/survey';

export interface AppDeps {
  db: Db;
  temporal: Client;
  templates: Templates;
  taskQueue: string;
  loopIdleTimeout: string;
  sessionSecret: string;
  /** The embedded SMTP sink is in use: the outbox pages and API exist. */
  embeddedMail: boolean;
  publicBaseUrl: string;
  log: (msg: string) => void;
  metrics?: Metrics;
}

/** Builds the Express app without listening, so tests run it in-process on port 0. */
export function createApp(deps: AppDeps): Express {
  const metrics = deps.metrics ?? new Metrics();
  const loop: LoopSettings = {
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    loopIdleTimeout: deps.loopIdleTimeout,
    log: deps.log,
  };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('metrics', metrics);

  app.use((req, res, next) => {
    res.on('finish', () =>
      metrics.inc('cxloop_http_requests_total', {
        method: req.method,
        status: `${Math.floor(res.statusCode / 100)}xx`,
      }),
    );
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    next();
  });

  app.use(opsRouter({ db: deps.db, temporal: deps.temporal, metrics }));
  app.use(
    '/api',
    express.json({ limit: '5mb', type: () => true }),
    requireApiKey(deps.db),
    apiRouter({ db: deps.db, loop, embeddedMail: deps.embeddedMail, metrics }),
  );
  app.use(
    express.urlencoded({ extended: false, limit: '100kb' }),
    surveyRouter({ db: deps.db, loop, templates: deps.templates, metrics }),
  );
  app.use(
    '/admin',
    adminRouter({
      db: deps.db,
      templates: deps.templates,
      sessions: createSessions(deps.sessionSecret),
      embeddedMail: deps.embeddedMail,
      secureCookies: deps.publicBaseUrl.startsWith('https://'),
    }),
  );
  app.get('/', (_req, res) => res.redirect(303, '/admin'));
  app.use(notFound);
  app.use(errorHandler(deps.templates, deps.log));
  return app;
}
