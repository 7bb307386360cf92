import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { SETTINGS_CACHE_TTL_DEFAULT } from './db/settings-cache';
import { parseAllowList } from './domain/webhook-destination';
import { parseCodecKeys } from './temporal/codec';
import { temporalTls } from './temporal/tls';

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
/** Unset stays undefined, where "false" means something else than nothing said. */
const optionalBoolean = z
  .preprocess(emptyAsUndefined, z.enum(['true', 'false', '1', '0']).optional())
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

/** TEMPORAL_CODEC_KEYS: parsed here so a bad list fails at start, with a message that never repeats a key. */
const codecKeys = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .transform((value, ctx) => {
      try {
        return parseCodecKeys(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
);
/** An origin only (scheme, host, port), as browsers send it in `Origin`. */
const optionalOrigin = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .refine((v) => {
      try {
        return /^https?:$/.test(new URL(v).protocol) && new URL(v).origin === v;
      } catch {
        return false;
      }
    }, 'an origin such as https://temporal.example.com (no path, no trailing slash)')
    .optional(),
);

const optionalPort = z.preprocess(
  emptyAsUndefined,
  z.coerce.number({ error: 'a port number from 1 to 65535' }).int().min(1).max(65535).optional(),
);
const positiveCount = (fallback: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: 'a whole number of requests' }).int().min(1).max(10_000_000).default(fallback),
  );

/** Express's names for address ranges in `trust proxy`. */
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** One entry of an address list: a name above, an IP, or an IP with a prefix length or a netmask. */
function isTrustedProxyEntry(entry: string): boolean {
  if (TRUST_PROXY_NAMES.has(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4;
}

/**
 * `TRUST_PROXY`, with Express's `trust proxy` semantics: `true`/`false`, a hop count, or a comma
 * list of addresses, CIDR ranges and names. Checked here, so a typo stops the start instead of
 * silently trusting nobody (or everybody).
 */
const trustProxy = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('loopback')
    .transform((value, ctx): boolean | number | string => {
      const v = value.trim();
      if (v === 'true' || v === 'false') return v === 'true';
      if (/^\d+$/.test(v)) return Number(v);
      const entries = v.split(',').map((e) => e.trim());
      const bad = entries.filter((e) => !isTrustedProxyEntry(e));
      if (bad.length === 0) return entries.join(',');
      ctx.addIssue({
        code: 'custom',
        message: `not a hop count, true/false, or a comma list of addresses, CIDR ranges, loopback, linklocal, uniquelocal (bad: ${bad.join(', ')})`,
      });
      return z.NEVER;
    }),
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
  TEMPORAL_TLS: optionalBoolean,
  // mTLS and private CAs, named as Temporal's own tools name them (the CLI, the SDKs' envconfig):
  // each certificate or key as a file (_PATH) or inline PEM (_DATA); read and checked at start.
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_CERT_DATA: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_DATA: optionalString,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalString,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalString,
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: booleanString,
  WORKFLOW_BUNDLE: optionalString,
  TEMPORAL_CODEC_KEYS: codecKeys,
  TEMPORAL_UI_ORIGIN: optionalOrigin,
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
  // How long a process uses programs, units, routing and staff accounts it read before reading them
  // again (src/db/settings-cache.ts); 0s reads them at every step.
  SETTINGS_CACHE_TTL: z.preprocess(emptyAsUndefined, durationString.default(SETTINGS_CACHE_TTL_DEFAULT)),
  LOG_LEVEL: z.preprocess(emptyAsUndefined, z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info')),
  // `true`: web and worker run the pending migrations at start instead of refusing (`npm run migrate`).
  MIGRATE_ON_START: booleanString,
  METRICS_TOKEN: z.preprocess(emptyAsUndefined, z.string().min(16, 'at least 16 characters').optional()),
  METRICS_PORT: optionalPort,
  WORKER_METRICS_PORT: optionalPort,
  // The worker's /healthz and /readyz for probes; `npm run worker` serves them on 3001 when unset,
  // `npm start` only when set; 0 lets the system pick a free port (several workers on one host).
  WORKER_HEALTH_PORT: z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: 'a port number from 0 to 65535' }).int().min(0).max(65535).optional(),
  ),
  // Each cached workflow costs the worker about 1 MB (Temporal's guidance); a bounded cache keeps
  // its memory flat however many customer loops are open, at the price of replaying evicted ones.
  WORKER_MAX_CACHED_WORKFLOWS: z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ error: 'a whole number of workflows' }).int().min(2).max(100_000).default(500),
  ),
  RATE_LIMIT_LOGIN: positiveCount(5),
  RATE_LIMIT_API: positiveCount(6000),
  RATE_LIMIT_PUBLIC: positiveCount(300),
  TRUST_PROXY: trustProxy,
  // Internal receivers webhooks may reach although their addresses are not public.
  WEBHOOK_ALLOWED_HOSTS: z.preprocess(emptyAsUndefined, z.string().optional()).transform((text, ctx) => {
    try {
      return parseAllowList(text);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: `a comma list of host names, addresses and CIDR ranges: ${(err as Error).message}`,
      });
      return z.NEVER;
    }
  }),
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

/** TLS to Temporal, its certificate files read now: a missing or bad one stops the start. */
function temporalTlsOf(env: z.infer<typeof ZEnv>) {
  try {
    return temporalTls(env);
  } catch (err) {
    throw new ConfigError(`Invalid environment:\n  ${(err as Error).message}`);
  }
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
      tls: temporalTlsOf(env),
      workflowBundle: env.WORKFLOW_BUNDLE,
      maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
      codecKeys: env.TEMPORAL_CODEC_KEYS,
      uiOrigin: env.TEMPORAL_UI_ORIGIN,
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
    settingsCacheTtl: env.SETTINGS_CACHE_TTL,
    logLevel: env.LOG_LEVEL,
    migrateOnStart: env.MIGRATE_ON_START,
    metrics: { token: env.METRICS_TOKEN, port: env.METRICS_PORT, workerPort: env.WORKER_METRICS_PORT },
    workerHealthPort: env.WORKER_HEALTH_PORT,
    trustProxy: env.TRUST_PROXY,
    rateLimits: {
      loginPerAccount: env.RATE_LIMIT_LOGIN,
      apiPerKey: env.RATE_LIMIT_API,
      publicPerIp: env.RATE_LIMIT_PUBLIC,
    },
    webhookAllowList: env.WEBHOOK_ALLOWED_HOSTS,
  };
}
