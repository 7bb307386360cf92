import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Db, MongoClient } from 'mongodb';
import { pinoHttp } from 'pino-http';
import { APP_ROOT } from '../app-root';
import { type Logger, redactUrl } from '../log';
import type { Templates } from '../mail/templates';
import { allowPublic } from './access';
import { requireApiKey } from './auth';
import { errorHandler, notFound } from './errors';
import type { LoopSettings } from '../temporal/loop-client';
import { Metrics } from './metrics';
import { LoginThrottle, type RateLimits, apiLimit, publicLimit } from './rate-limits';
import { adminRouter } from './routes/admin';
import { apiRouter } from './routes/api';
import { type AllowList, EMPTY_ALLOW_LIST } from '../domain/webhook-destination';
import { codecRouter } from './routes/codec';
import { healthRouter, metricsRouter } from './routes/ops';
import { digestLinkRouter } from './routes/digest-links';
import { surveyRouter } from './routes/survey';
import { LoginCsrf, sessionCookieName, sessionMiddleware } from './sessions';
import type { Mailer } from '../mail/mailer';

export const PUBLIC_DIR = path.join(APP_ROOT, 'public');

export interface AppDeps {
  db: Db;
  mongoClient: MongoClient;
  temporal: Client;
  templates: Templates;
  taskQueue: string;
  loopIdleTimeout: string;
  customerKeySecret: string;
  sessionSecret: string;
  /** The embedded SMTP sink is in use: the outbox pages and API exist. */
  embeddedMail: boolean;
  publicBaseUrl: string;
  logger: Logger;
  rateLimits: RateLimits;
  /**
   * Express's `trust proxy` (TRUST_PROXY): which proxies' `X-Forwarded-For`/`-Proto` are believed,
   * and so the client address that rate limits count and whether the request came over https.
   */
  trustProxy: boolean | number | string;
  /** Prefixes every rate-limit counter (see `startWeb`); unset in production, where one deployment has one database. */
  rateLimitScope?: string;
  /** `/metrics` on this app needs this bearer token; without one it is not served here. */
  metricsToken?: string;
  metrics?: Metrics;
  /** Sends the program editor's test emails. */
  mailer: Mailer;
  mailFrom: string;
  /** `WEBHOOK_ALLOWED_HOSTS`: internal webhook receivers; without it webhooks reach public addresses only. */
  webhookAllowList?: AllowList;
  /** TEMPORAL_UI_ORIGIN: the Temporal Web UI that may call the codec endpoint with an admin's cookie. */
  temporalUiOrigin?: string;
}

/** Builds the Express app without listening, so tests run it in-process on port 0. */
export function createApp(deps: AppDeps): Express {
  const metrics = deps.metrics ?? new Metrics();
  const secure = deps.publicBaseUrl.startsWith('https://');
  const loop: LoopSettings = {
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    loopIdleTimeout: deps.loopIdleTimeout,
    customerKeySecret: deps.customerKeySecret,
    log: (msg) => deps.logger.warn(msg),
  };
  const limits = { db: deps.db, limits: deps.rateLimits, scope: deps.rateLimitScope };
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy);
  app.set('metrics', metrics);

  app.use(requestLogging(deps.logger), requestMetrics(metrics), securityHeaders(secure));
  app.use('/assets', express.static(PUBLIC_DIR, { index: false, maxAge: '1h', fallthrough: true }));

  app.use(healthRouter({ db: deps.db, temporal: deps.temporal, logger: deps.logger }));
  if (deps.metricsToken) app.use(metricsRouter({ metrics, metricsToken: deps.metricsToken }));
  // The key is checked before the body is read, so an anonymous client cannot make us parse megabytes.
  app.use(
    '/api',
    requireApiKey(deps.db),
    apiLimit(limits),
    apiRouter({
      db: deps.db,
      templates: deps.templates,
      loop,
      embeddedMail: deps.embeddedMail,
      metrics,
      webhookAllowList: deps.webhookAllowList ?? EMPTY_ALLOW_LIST,
    }),
  );
  app.use(
    ['/s', '/u'],
    publicLimit(limits),
    express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }),
  );
  app.use(surveyRouter({ db: deps.db, loop, templates: deps.templates, metrics }));
  app.use(digestLinkRouter({ db: deps.db, loop, templates: deps.templates }));
  app.use(
    '/admin',
    sessionMiddleware({
      client: deps.mongoClient,
      dbName: deps.db.databaseName,
      secret: deps.sessionSecret,
      secure,
    }),
    adminRouter({
      db: deps.db,
      temporal: deps.temporal,
      loop,
      templates: deps.templates,
      embeddedMail: deps.embeddedMail,
      loginLimits: limits,
      loginThrottle: new LoginThrottle(limits),
      loginCsrf: new LoginCsrf(deps.sessionSecret, secure),
      cookieName: sessionCookieName(secure),
      mailer: deps.mailer,
      mailFrom: deps.mailFrom,
      publicBaseUrl: deps.publicBaseUrl,
      webhookAllowList: deps.webhookAllowList ?? EMPTY_ALLOW_LIST,
    }),
  );
  app.use('/codec', codecRouter({ ...deps, secure }));
  app.get('/', allowPublic('redirects to the admin UI'), (_req, res) => res.redirect(303, '/admin'));
  app.use(notFound);
  app.use(errorHandler(deps.templates));
  return app;
}

/** A strict policy: scripts and styles only from this origin, no framing, no plugins. */
function securityHeaders(secure: boolean): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        frameSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(secure ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: secure ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
}

/** One structured line per request, with a request ID that error responses and logs share. */
function requestLogging(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: redactUrl(req.url),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
  });
}

/** Latency by route pattern (never the raw URL: it would carry tokens and explode cardinality). */
function requestMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  };
}
