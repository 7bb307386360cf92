import path from 'node:path';
import { z } from 'zod';

const emptyAsUndefined = (v: unknown) => (v === '' ? undefined : v);
const optionalString = z.preprocess(emptyAsUndefined, z.string().optional());
const optionalUrl = (protocols: RegExp, hint: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .refine((v) => {
        try {
          return protocols.test(new URL(v).protocol);
        } catch {
          return false;
        }
      }, hint)
      .optional(),
  );
const durationString = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 30s, 5m, 1h');
const booleanString = z
  .preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0']).optional())
  .transform((v) => v === 'true' || v === '1');

const optionalPort = z.preprocess(
  emptyAsUndefined,
  z.coerce.number({ error: 'a port number from 1 to 65535' }).int().min(1).max(65535).optional(),
);
const positiveCount = (fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: 'a whole number of requests' }).int().min(1).max(10_000_000).default(fallback),
  );

/** Every environment variable the web and the worker read (the compose check holds the compose file to it). */
export const ZEnv = z.object({
  PORT: z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: 'a port number from 0 to 65535' }).int().min(0).max(65535).default(3000),
  ),
  PUBLIC_BASE_URL: optionalUrl(/^https?:$/, 'an http(s) URL such as https://cx.example.com'),
  TEMPORAL_ADDRESS: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[^\s:/]+:\d+$/, 'host:port, such as temporal:7233')
      .optional(),
  ),
  TEMPORAL_NAMESPACE: z.preprocess(emptyAsUndefined, z.string().default('default')),
  TEMPORAL_TASK_QUEUE: z.preprocess(emptyAsUndefined, z.string().default('cxloop')),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: booleanString,
  WORKFLOW_BUNDLE: optionalString,
  MONGODB_URI: optionalUrl(/^mongodb(\+srv)?:$/, 'a mongodb:// or mongodb+srv:// URI'),
  MONGODB_DB: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('cxloop'),
  ),
  SMTP_URL: optionalUrl(/^smtps?:$/, 'an smtp:// or smtps:// URL such as smtp://user:pass@relay:587'),
  MAIL_FROM: z.preprocess(emptyAsUndefined, z.string().default('cxloop surveys <surveys@cxloop.localhost>')),
  DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
  CXLOOP_ADMIN_EMAIL: z.preprocess(emptyAsUndefined, z.email().optional()),
  CXLOOP_ADMIN_PASSWORD: z.preprocess(emptyAsUndefined, z.string().min(12, 'at least 12 characters').optional()),
  CXLOOP_API_KEY: z.preprocess(emptyAsUndefined, z.string().min(16, 'at least 16 characters').optional()),
  SESSION_SECRET: z.preprocess(emptyAsUndefined, z.string().min(16, 'at least 16 characters').optional()),
  SURVEY_TOKEN_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'at least 32 characters').optional()),
  CUSTOMER_KEY_SECRET: z.preprocess(emptyAsUndefined, z.string().min(32, 'at least 32 characters').optional()),
  REPLY_SWEEP_INTERVAL: z.preprocess(emptyAsUndefined, durationString.default('30s')),
  LOOP_IDLE_TIMEOUT: z.preprocess(emptyAsUndefined, durationString.default('1h')),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info')),
  METRICS_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'at least 16 characters').optional()),
  METRICS_PORT: optionalPort,
  WORKER_METRICS_PORT: optionalPort,
  // Each cached workflow costs the worker about 1 MB (Temporal's guidance); a bounded cache keeps
  // its memory flat however many customer loops are open, at the price of replaying evicted ones.
  WORKER_MAX_CACHED_WORKFLOWS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: 'a whole number of workflows' }).int().min(2).max(100_000).default(500),
  ),
  RATE_LIMIT_LOGIN: positiveCount(10),
  RATE_LIMIT_API: positiveCount(6000),
  RATE_LIMIT_PUBLIC: positiveCount(300),
});

export type Config = ReturnType<typeof toConfig>;

export class ConfigError extends Error {}

/** Parses the environment once; a bad value fails naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ZEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`);
  }
  return toConfig(parsed.data);
}

function toConfig(env: z.infer<typeof ZEnv>) {
  return {
    port: env.PORT,
    publicBaseUrl: env.PUBLIC_BASE_URL?.replace(/\/$/, ''),
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: env.TEMPORAL_TLS || Boolean(env.TEMPORAL_API_KEY),
      workflowBundle: env.WORKFLOW_BUNDLE,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    },
    mongo: { uri: env.MONGODB_URI, dbName: env.MONGODB_DB },
    smtp: { url: env.SMTP_URL, from: env.MAIL_FROM },
    dataDir: path.resolve(env.DATA_DIR),
    bootstrap: {
      adminEmail: env.CXLOOP_ADMIN_EMAIL,
      adminPassword: env.CXLOOP_ADMIN_PASSWORD,
      apiKey: env.CXLOOP_API_KEY,
    },
    sessionSecret: env.SESSION_SECRET,
    surveyTokenSecret: env.SURVEY_TOKEN_SECRET,
    customerKeySecret: env.CUSTOMER_KEY_SECRET,
    replySweepInterval: env.REPLY_SWEEP_INTERVAL,
    loopIdleTimeout: env.LOOP_IDLE_TIMEOUT,
    logLevel: env.LOG_LEVEL,
    metrics: { token: env.METRICS_TOKEN, port: env.METRICS_PORT, workerPort: env.WORKER_METRICS_PORT },
    rateLimits: {
      loginPerAccount: env.RATE_LIMIT_LOGIN,
      apiPerKey: env.RATE_LIMIT_API,
      publicPerIp: env.RATE_LIMIT_PUBLIC,
    },
  };
}
