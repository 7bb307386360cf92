import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate } from '../src/db/migrate';
import { connectDatabase } from '../src/db/connection';
import { type EmbeddedStack, startEmbeddedStack } from '../src/stack/embedded';
import { bundleCxWorkflows } from '../src/temporal/worker';

export const TEST_DB = 'cxloop_test';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: { temporalAddress: string; mongoUri: string; smtpUrl: string; dbName: string; workflowBundlePath: string };
  }
}

/** One embedded stack (Temporal, FerretDB, SMTP sink) and one workflow bundle for the whole run. */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-test-'));
  let stack: EmbeddedStack | undefined;
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
    const { code } = await bundleCxWorkflows(quietLogger);
    const workflowBundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(workflowBundlePath, code);
    project.provide('stack', {
      temporalAddress: stack.temporalAddress,
      mongoUri: stack.mongoUri,
      smtpUrl: stack.smtpUrl,
      dbName: TEST_DB,
      workflowBundlePath,
    });
  } catch (err) {
    await stack?.stop();
    throw err;
  }
  return async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

const quietLogger = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (msg: string) => console.warn(msg),
  error: (msg: string) => console.error(msg),
};
