import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { type SmtpSink, startSmtpSink } from '../mail/sink';
import { freePort, portOrFree, waitFor } from './ports';
import { missingTools, stackBinaryPath, temporalCliPath } from './tools';

export interface EmbeddedStackOptions {
  dataDir: string;
  /** Start Temporal, FerretDB and the SMTP sink only where no address is given. */
  temporalAddress?: string;
  mongoUri?: string;
  smtpUrl?: string;
  mongoDbName: string;
  /** `npm start`: well-known ports when free, a persistent Temporal file and its Web UI. Tests: random ports, in memory. */
  mode: 'app' | 'test';
  /** Keep Temporal's state in `dataDir/temporal.sqlite` (default in `app` mode), so a restart resumes it. */
  persistTemporal?: boolean;
  /**
   * SQLite pragmas of Temporal's persistent file; default: WAL with synchronous=normal (see README,
   * "The embedded stack"). `[]` keeps SQLite's own defaults (rollback journal, synchronous=full).
   */
  temporalSqlitePragmas?: string[];
  /** A fixed Temporal port, so a restarted server is found where clients left it. */
  temporalPort?: number;
  /** A fixed FerretDB port, likewise. */
  mongoPort?: number;
  log?: (line: string) => void;
  /** `app` mode: the codec endpoint the Web UI asks to decode encrypted payloads (the web's `/codec`). */
  uiCodecEndpoint?: string;
}

export interface EmbeddedStack {
  temporalAddress: string;
  mongoUri: string;
  smtpUrl: string;
  temporalUiUrl?: string;
  sink?: SmtpSink;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/**
 * Write-ahead logging with synchronous=normal: 4–5× the workflow throughput of SQLite's
 * defaults on the persistent file (bench/cases.ts). A crash of the process loses nothing; a power
 * cut or kernel crash can lose the last transactions (never corrupt the file) — acceptable for
 * the embedded stack, which is for trying cxloop and development, not production.
 */
export const TEMPORAL_SQLITE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/** Starts what is missing of Temporal, MongoDB (FerretDB) and SMTP as children of this process. */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const log = options.log ?? (() => {});
  const children: ChildProcess[] = [];
  let sink: SmtpSink | undefined;
  const stop = async () => {
    await sink?.close();
    await Promise.all(children.map(stopChild));
  };
  const stopOnExit = () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL'));
  process.once('exit', stopOnExit);

  try {
    if ((!options.temporalAddress || !options.mongoUri) && missingTools().length > 0) {
      throw new Error(`embedded stack not installed (${missingTools().join(', ')}); run scripts/bootstrap.sh`);
    }
    mkdirSync(options.dataDir, { recursive: true });
    const app = options.mode === 'app';

    let mongoUri = options.mongoUri;
    if (!mongoUri) {
      const dir = path.join(options.dataDir, 'ferretdb');
      mongoUri = await startChild({
        what: 'FerretDB',
        name: 'ferretdb',
        children,
        log,
        plan: async () => {
          const port = options.mongoPort ?? (app ? await portOrFree(27017) : await freePort());
          const uri = `mongodb://127.0.0.1:${port}/`;
          const args = ['ferretdb', '-listen', `127.0.0.1:${port}`, '-data', dir, '-log-level', 'error'];
          return { args, address: uri, ready: () => pingMongo(uri) };
        },
      });
      log(`FerretDB ready on ${mongoUri} (data in ${dir})`);
    }

    let temporalAddress = options.temporalAddress;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      temporalAddress = await startChild({
        what: 'Temporal dev server',
        name: 'temporal',
        children,
        log,
        plan: async () => {
          const port = options.temporalPort ?? (app ? await portOrFree(7233) : await freePort());
          const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
          args.push('--http-port', String(await freePort()), '--metrics-port', String(await freePort()));
          if (options.persistTemporal ?? app) {
            args.push('--db-filename', path.join(options.dataDir, 'temporal.sqlite'));
            for (const pragma of options.temporalSqlitePragmas ?? TEMPORAL_SQLITE_PRAGMAS)
              args.push('--sqlite-pragma', pragma);
          }
          if (app) {
            const uiPort = await portOrFree(8233);
            args.push('--ui-port', String(uiPort));
            if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
            temporalUiUrl = `http://localhost:${uiPort}`;
          } else {
            args.push('--headless');
          }
          const address = `127.0.0.1:${port}`;
          return { args: ['supervise', '--', temporalCliPath(), ...args], address, ready: () => pingTemporal(address) };
        },
      });
      log(`Temporal ready on ${temporalAddress}`);
    }

    let smtpUrl = options.smtpUrl;
    if (!smtpUrl) {
      const client = await MongoClient.connect(mongoUri);
      sink = await startSmtpSink({ port: app ? await portOrFree(2525) : 0, client, dbName: options.mongoDbName });
      smtpUrl = `smtp://127.0.0.1:${sink.port}`;
      log(`SMTP sink ready on ${smtpUrl}`);
    }

    return { temporalAddress, mongoUri, smtpUrl, temporalUiUrl, sink, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** How a child is started: its arguments, the address it will serve and how to tell it is ready. */
interface LaunchPlan {
  args: string[];
  address: string;
  ready: () => Promise<unknown>;
}

/**
 * Free ports are picked before the child binds them, and the Temporal dev server picks its
 * internal services' ports itself, so another process can take one in between: when the child
 * exits because an address was in use, it is started again with fresh ports.
 */
const BIND_ATTEMPTS = 3;

async function startChild(start: {
  what: string;
  name: string;
  children: ChildProcess[];
  log: (line: string) => void;
  plan: () => Promise<LaunchPlan>;
}): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const { args, address, ready } = await start.plan();
    const child = launch(start.name, stackBinaryPath(), args, start.log);
    start.children.push(child);
    try {
      await waitForChild(start.what, child, ready);
      return address;
    } catch (err) {
      if (attempt >= BIND_ATTEMPTS || !lostPortRace(child)) throw err;
      start.log(`${start.what}: a port it needed was taken meanwhile; starting it again`);
      await stopChild(child);
      start.children.splice(start.children.indexOf(child), 1);
    }
  }
}

function lostPortRace(child: Launched): boolean {
  return child.exitCode !== null && child.recent.some((line) => line.includes('address already in use'));
}

/** A child process and the last lines it wrote to stderr, for the error if it never gets ready. */
type Launched = ChildProcess & { recent: string[] };

/** Children read stdin: when this process dies, the pipe closes and they exit (no orphans). */
function launch(name: string, command: string, args: string[], log: (line: string) => void): Launched {
  const child = Object.assign(spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] }), { recent: [] as string[] });
  child.stderr?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line.trim()) continue;
      log(`[${name}] ${line}`);
      child.recent = [...child.recent.slice(-19), line];
    }
  });
  child.on('error', (err) => log(`[${name}] failed to start: ${err.message}`));
  return child;
}

/** Waits until `ready` succeeds; fails at once if the child exits, and says what it last wrote. */
async function waitForChild(what: string, child: Launched, ready: () => Promise<unknown>): Promise<void> {
  let exited: (() => void) | undefined;
  const exit = new Promise<never>((_, reject) => {
    exited = () => reject(new Error(`${what} exited (code ${child.exitCode ?? child.signalCode}) before it was ready`));
    child.once('exit', exited);
  });
  try {
    await Promise.race([waitFor(what, ready, READY_TIMEOUT_MS), exit]);
  } catch (err) {
    throw new Error(`${(err as Error).message}${child.recent.length ? `; it said:\n${child.recent.join('\n')}` : ''}`);
  } finally {
    child.off('exit', exited!);
    exit.catch(() => undefined);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function pingMongo(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

async function pingTemporal(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    await connection.workflowService.describeNamespace({ namespace: 'default' });
  } finally {
    await connection.close();
  }
}
