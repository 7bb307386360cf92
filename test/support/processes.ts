import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { inject } from 'vitest';
import { freePort } from '../../src/stack/ports';
import { deleteSweepSchedule, uid, waitUntil } from './harness';

const ROOT = path.resolve(__dirname, '..', '..');

/** One production process (`npm run web` or `npm run worker`), a separate OS process with its own PID. */
export interface CxProcess {
  kind: 'web' | 'worker';
  pid: number;
  /** The web's base URL. */
  url?: string;
  /** What it printed, for the failure message. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * A deployment of several web and worker processes, run by the production entry points against
 * the test run's embedded stack, with its own database and task queue.
 */
export interface Deployment {
  dbName: string;
  apiKey: string;
  processes: CxProcess[];
  webs: CxProcess[];
  stop(): Promise<void>;
}

export async function startDeployment(counts: { webs: number; workers: number }): Promise<Deployment> {
  const stack = inject('stack');
  const id = uid('scale').replace(/-/g, '_');
  const apiKey = randomBytes(24).toString('base64url');
  const ports = await Promise.all(Array.from({ length: counts.webs }, () => freePort()));
  const env = {
    TEMPORAL_ADDRESS: stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: id,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DB: id,
    SMTP_URL: stack.smtpUrl,
    WORKFLOW_BUNDLE: stack.workflowBundlePath,
    PUBLIC_BASE_URL: `http://127.0.0.1:${ports[0]}`,
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    SURVEY_TOKEN_SECRET: randomBytes(32).toString('base64url'),
    CXLOOP_API_KEY: apiKey,
    RATE_LIMIT_API: '10000000',
    RATE_LIMIT_PUBLIC: '10000000',
    LOG_LEVEL: 'warn',
  };
  const processes: CxProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteSweepSchedule(stack.temporalAddress, id);
  };
  try {
    // The first web process sets the new database up (indexes) before the others start, as a
    // rolling deployment would; then the rest start together.
    const [first, ...others] = ports.map(
      (port) => () => launch('web', { ...env, PORT: String(port) }, `http://127.0.0.1:${port}`),
    );
    processes.push(first!());
    await ready(processes[0]!);
    processes.push(
      ...others.map((start) => start()),
      ...Array.from({ length: counts.workers }, () => launch('worker', env)),
    );
    for (const web of processes.slice(1).filter((p) => p.kind === 'web')) await ready(web);
    return { dbName: id, apiKey, processes, webs: processes.filter((p) => p.kind === 'web'), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function ready(web: CxProcess): Promise<void> {
  let last = '';
  await waitUntil(
    `web process ${web.pid} to be ready`,
    async () => {
      const res = await fetch(`${web.url}/readyz`).catch((err: Error) => err);
      last = res instanceof Error ? res.message : `${res.status} ${await res.text()}`;
      return res instanceof Error ? undefined : res.ok;
    },
    90_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message} (last: ${last})\n${web.output()}`);
  });
}

function launch(kind: 'web' | 'worker', env: Record<string, string>, url?: string): CxProcess {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', `src/${kind}-main.ts`], {
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
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    kind,
    pid: child.pid!,
    url,
    output: () => `--- ${kind} ${child.pid} ---\n${output}`,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const killed = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killed);
    },
  };
}
