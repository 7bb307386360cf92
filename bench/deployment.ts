/**
 * What the benchmarks share: a deployment as `npm start` runs it — the embedded stack with
 * Temporal's persistent file, a workflow bundle built ahead of time, and the production web and
 * worker processes (`npm run web`, `npm run worker`, each its own OS process) — plus the
 * measurements they take of those processes and the place their results go.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Db } from 'mongodb';
import { readTallyDirectory } from '../src/db/command-tally';
import { connectDatabase } from '../src/db/connection';
import { type EmbeddedStack, startEmbeddedStack } from '../src/stack/embedded';
import { freePort } from '../src/stack/ports';
import { bundleCxWorkflows } from '../src/temporal/worker';
import { type CxProcess, deploymentEnv, launch, ready } from '../test/support/launch';

export const round = (n: number) => Math.round(n * 100) / 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Deployment {
  dir: string;
  stack: EmbeddedStack;
  /** The environment its processes run with (database and task queue named after the deployment). */
  env: Record<string, string>;
  apiKey: string;
  webs: CxProcess[];
  workers: CxProcess[];
  /** The deployment's database, for set-up and checks. */
  db: Db;
  /** Calls the JSON API of `web` (the first by default) with the deployment's API key; throws on 3xx–5xx. */
  api(method: string, route: string, body?: unknown, web?: CxProcess): Promise<unknown>;
  /** The PIDs to measure: each web and worker, the Temporal server and FerretDB. */
  pids(): Record<string, number>;
  /** What every process printed, for a failure message. */
  outputs(): string;
  /** The database commands the web and worker processes sent so far, by collection and command. */
  commandCounts(): Map<string, number>;
  /** Of those, the ones that select by anything but `_id` (scans on the embedded store). */
  commandScans(): Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Starts the stack and `webs` web and `workers` worker processes. The first web process creates the
 * database's indexes before the others start, as a rolling deployment would.
 */
export async function startDeployment(options: {
  name: string;
  webs: number;
  workers: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
}): Promise<Deployment> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cxloop-${options.name}-`));
  const undo: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stopAll = async () => {
    for (const step of undo.reverse()) await step().catch((err: Error) => console.error(err.message));
  };
  const processes: CxProcess[] = [];
  try {
    const stack = await startEmbeddedStack({
      dataDir: dir,
      mongoDbName: 'cxloop_bench_sink',
      mode: 'test',
      persistTemporal: true,
    });
    undo.push(() => stack.stop());
    const { code } = await bundleCxWorkflows();
    const workflowBundle = path.join(dir, 'workflow-bundle.js');
    writeFileSync(workflowBundle, code);
    const ports = await Promise.all(Array.from({ length: options.webs }, () => freePort()));
    const urls = ports.map((port) => `http://127.0.0.1:${port}`);
    const apiKey = randomBytes(24).toString('base64url');
    // Each web and worker process keeps its count of database commands here (src/db/command-tally.ts).
    const tallyDir = path.join(dir, 'command-tallies');
    mkdirSync(tallyDir);
    const dbName = options.name.replace(/[^A-Za-z0-9_]/g, '_');
    const env = {
      ...deploymentEnv({
        name: dbName,
        temporalAddress: stack.temporalAddress,
        mongoUri: stack.mongoUri,
        smtpUrl: stack.smtpUrl,
        workflowBundle,
        publicBaseUrl: urls[0]!,
        apiKey,
      }),
      CXLOOP_COMMAND_TALLY_DIR: tallyDir,
      ...options.env,
    };
    undo.push(() => Promise.all(processes.map((p) => p.stop())));
    const webs: CxProcess[] = [];
    for (const [i, port] of ports.entries()) {
      const web = launch('web', { ...env, PORT: String(port) }, urls[i]);
      processes.push(web);
      webs.push(web);
      if (i === 0) await ready(web);
    }
    const workers = Array.from({ length: options.workers }, () => launch('worker', env));
    processes.push(...workers);
    await Promise.all(webs.slice(1).map((web) => ready(web)));
    const database = await connectDatabase(stack.mongoUri, dbName);
    undo.push(() => database.close());

    return {
      dir,
      stack,
      env,
      apiKey,
      webs,
      workers,
      db: database.db,
      async api(method, route, body, web = webs[0]!) {
        const res = await fetch(`${web.url}${route}`, {
          method,
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text}`);
        return text ? JSON.parse(text) : undefined;
      },
      commandCounts: () => readTallyDirectory(tallyDir),
      commandScans: () => readTallyDirectory(tallyDir, 'scans'),
      pids: () => ({
        ...Object.fromEntries(webs.map((web, i) => [`web${i + 1}`, web.pid])),
        ...Object.fromEntries(workers.map((worker, i) => [`worker${i + 1}`, worker.pid])),
        ...stackPids(dir),
      }),
      outputs: () => processes.map((p) => p.output()).join('\n'),
      stop: stopAll,
    };
  } catch (err) {
    if (processes.length) {
      await sleep(1000); // the processes' logs are written asynchronously
      console.error(processes.map((p) => p.output()).join('\n'));
    }
    await stopAll();
    throw err;
  }
}

/** Resident memory of a process, in MB (0 once it has exited). */
export function rssMb(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmRSS:'));
    return Number(line?.match(/\d+/)?.[0] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by this process (load generator, SMTP sink) and by each of `pids` (Linux). */
export function cpuSeconds(pids: Record<string, number>): Record<string, number> {
  const usage = process.cpuUsage();
  const result: Record<string, number> = { bench: (usage.user + usage.system) / 1e6 };
  for (const [name, pid] of Object.entries(pids)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result[name] = (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in USER_HZ ticks
    } catch {
      result[name] = NaN; // exited: no figure rather than a wrong one
    }
  }
  return result;
}

export const cpuSpent = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(Object.entries(after).map(([name, s]) => [name, round(s - before[name]!)]));

/** The embedded Temporal server and FerretDB, found by their data directory on their command line. */
function stackPids(dir: string): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (!cmdline.includes(dir) || cmdline.includes('supervise')) continue;
    if (cmdline.includes('start-dev')) pids.temporal = Number(pid);
    else if (cmdline.includes('ferretdb')) pids.ferretdb = Number(pid);
  }
  return pids;
}

/** Writes `bench/results/<name>-<time>.json` and `<name>-latest.json`; returns the first's path. */
export function writeResults(name: string, results: { at: string }): string {
  const out = path.join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `${name}-${results.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  writeFileSync(path.join(out, `${name}-latest.json`), JSON.stringify(results, null, 2));
  return path.relative(process.cwd(), file);
}
