import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate } from '../src/db/migrate';
import { connectDatabase } from '../src/db/connection';
import { type EmbeddedStack, startEmbeddedStack } from '../src/stack/embedded';
import { bundleCxWorkflows } from '../src/temporal/worker';
import { compileProcesses } from './support/compiled';

export const TEST_DB = 'cxloop_test';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: {
      temporalAddress: string;
      mongoUri: string;
      smtpUrl: string;
      dbName: string;
      workflowBundlePath: string;
      /** The production processes' modules as JavaScript (test/support/compiled.ts). */
      compiledDir: string;
    };
  }
}

type ProvidedStack = import('vitest').ProvidedContext['stack'];
interface SharedStack {
  ready: Promise<{ provided: ProvidedStack; stop: () => Promise<void> }>;
  users: number;
}

/**
 * One embedded stack (Temporal, FerretDB, SMTP sink) and one workflow bundle for the whole run.
 * Both stack projects (files run side by side, and files that run alone) list this setup; vitest
 * loads it once per project in one process, so the second project finds the first one's stack.
 */
const shared = globalThis as typeof globalThis & { cxloopTestStack?: SharedStack };

export default async function setup(project: TestProject) {
  const stack = (shared.cxloopTestStack ??= { ready: startStack(), users: 0 });
  stack.users++;
  const { provided, stop } = await stack.ready;
  project.provide('stack', provided);
  return async () => {
    if (--stack.users > 0) return;
    shared.cxloopTestStack = undefined;
    await stop();
  };
}

async function startStack() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-test-'));
  let stack: EmbeddedStack | undefined;
  const bundled = bundleWorkflows(dir);
  bundled.catch(() => undefined); // awaited below; a failure is reported there, not as unhandled
  // Inside the clone (see compileProcesses), one directory per run.
  const compiledDir = path.resolve(__dirname, '..', '.tmp', `test-processes-${path.basename(dir)}`);
  const compiled = compileProcesses(compiledDir);
  compiled.catch(() => undefined);
  const removeFiles = () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(compiledDir, { recursive: true, force: true });
  };
  try {
    stack = await startEmbeddedStack({
      dataDir: dir,
      temporalAddress: process.env.TEMPORAL_ADDRESS || undefined,
      mongoUri: process.env.MONGODB_URI || undefined,
      smtpUrl: process.env.SMTP_URL || undefined,
      mongoDbName: TEST_DB,
      mode: 'test',
      log: (line) => process.env.CXLOOP_TEST_VERBOSE && console.log(line),
    });
    // Tests that start a web or worker on the shared database without MIGRATE_ON_START find it migrated.
    const database = await connectDatabase(stack.mongoUri, TEST_DB);
    await migrate(database.db).finally(() => database.close());
    const provided: ProvidedStack = {
      temporalAddress: stack.temporalAddress,
      mongoUri: stack.mongoUri,
      smtpUrl: stack.smtpUrl,
      dbName: TEST_DB,
      workflowBundlePath: await bundled,
      compiledDir: await compiled.then(() => compiledDir),
    };
    const running = stack;
    return {
      provided,
      stop: async () => {
        await running.stop();
        removeFiles();
      },
    };
  } catch (err) {
    await Promise.all([bundled.catch(() => undefined), compiled.catch(() => undefined)]);
    await stack?.stop();
    removeFiles();
    throw err;
  }
}

/** Bundled while the servers start: the bundle needs none of them. */
async function bundleWorkflows(dir: string): Promise<string> {
  const { code } = await bundleCxWorkflows(quietLogger);
  const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
  writeFileSync(workflowBundlePath, code);
  return workflowBundlePath;
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (msg: string) => console.warn(msg),
  error: (msg: string) => console.error(msg),
};
