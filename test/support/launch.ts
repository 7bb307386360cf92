import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { waitUntil } from './wait';
import { TEST_CODEC_KEYS } from './codec-keys';

const ROOT = path.resolve(__dirname, '..', '..');

/** One production process (`npm run web` or `npm run worker`), a separate OS process with its own PID. */
export interface CxProcess {
  kind: 'web' | 'worker';
  pid: number;
  /** The web's base URL. */
  url?: string;
  /** What it printed, for the failure message. */
  output(): string;
  /**
   * Sends `signal` (SIGTERM: a graceful stop) and waits for the exit; SIGKILL after 30 s, beyond
   * the worker's 20 s shutdown grace.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** The exit code or signal, once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The environment of a deployment's processes: its own database and task queue (both `name`),
 * fresh secrets, and rate limits lifted, since tests and benchmarks send as fast as they can.
 */
export function deploymentEnv(options: {
  name: string;
  temporalAddress: string;
  mongoUri: string;
  smtpUrl: string;
  workflowBundle: string;
  publicBaseUrl: string;
  apiKey: string;
}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_TASK_QUEUE: options.name,
    MONGODB_URI: options.mongoUri,
    MONGODB_DB: options.name,
    SMTP_URL: options.smtpUrl,
    WORKFLOW_BUNDLE: options.workflowBundle,
    PUBLIC_BASE_URL: options.publicBaseUrl,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    SURVEY_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
    CUSTOMER_KEY_SECRET: randomBytes(32).toString('base64url'),
    CXLOOP_API_KEY: options.apiKey,
    RATE_LIMIT_API: '10000000',
    RATE_LIMIT_PUBLIC: '10000000',
    LOG_LEVEL: 'warn',
    // Several workers share this host: each health server on a port of its own.
    WORKER_HEALTH_PORT: '0',
    // Each deployment's database is new: its first process migrates it, the others wait for that.
    MIGRATE_ON_START: 'true',
  };
}

/**
 * Starts `src/<kind>-main.ts` with only `env` (and PATH, HOME) in its environment: under tsx, or
 * from `compiledDir`, the modules compiled to JavaScript (test/support/compiled.ts), as the image runs them.
 */
export function launch(
  kind: 'web' | 'worker',
  env: Record<string, string>,
  url?: string,
  compiledDir?: string,
): CxProcess {
  const entry = compiledDir
    ? [path.join(compiledDir, 'src', `${kind}-main.js`)]
    : ['--import', 'tsx', `src/${kind}-main.ts`];
  const child: ChildProcess = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    kind,
    pid: child.pid!,
    url,
    exited,
    output: () => `--- ${kind} ${child.pid} ---\n${output}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const killed = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killed);
    },
  };
}

/** Waits until a web process answers `/readyz` with 200. */
export async function ready(web: CxProcess, timeoutMs = 90_000): Promise<void> {
  let last = '';
  await waitUntil(
    `web process ${web.pid} to be ready`,
    async () => {
      const res = await fetch(`${web.url}/readyz`).catch((err: Error) => err);
      last = res instanceof Error ? res.message : `${res.status} ${await res.text()}`;
      return res instanceof Error ? undefined : res.ok;
    },
    timeoutMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${last})\n${web.output()}`);
  });
}
