import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { freePort } from '../../src/stack/ports';
import { deleteDeploymentSchedules, uid } from './harness';
import { type CxProcess, deploymentEnv, launch, ready } from './launch';

export type { CxProcess };

/**
 * A deployment of several web and worker processes, run by the production entry points against
 * the test run's embedded stack, with its own database and task queue.
 */
export interface Deployment {
  dbName: string;
  apiKey: string;
  /** The processes running now (a restarted one replaces its predecessor). */
  processes: CxProcess[];
  webs: CxProcess[];
  /**
   * Stops `process` with `signal` (SIGKILL: a crash; SIGTERM: a graceful stop) and starts a new
   * one of the same kind in its place (a web on the same port, once it is ready).
   */
  restart(process: CxProcess, signal: NodeJS.Signals): Promise<CxProcess>;
  stop(): Promise<void>;
}

export async function startDeployment(counts: {
  webs: number;
  workers: number;
  /** Servers of the test's own, to stop and restart (default: the run's shared stack). */
  temporalAddress?: string;
  mongoUri?: string;
  /** More environment for every process. */
  env?: Record<string, string>;
}): Promise<Deployment> {
  const stack = { ...inject('stack'), ...pickDefined(counts) };
  const id = uid('scale').replace(/-/g, '_');
  const apiKey = randomBytes(24).toString('base64url');
  const ports = await Promise.all(Array.from({ length: counts.webs }, () => freePort()));
  const env = {
    ...deploymentEnv({
      name: id,
      temporalAddress: stack.temporalAddress,
      mongoUri: stack.mongoUri,
      smtpUrl: stack.smtpUrl,
      workflowBundle: stack.workflowBundlePath,
      publicBaseUrl: `http://127.0.0.1:${ports[0]}`,
      apiKey,
    }),
    ...counts.env,
  };
  const processes: CxProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteDeploymentSchedules(stack.temporalAddress, id);
  };
  const start = (kind: 'web' | 'worker', url?: string) =>
    launch(kind, url ? { ...env, PORT: new URL(url).port } : env, url, stack.compiledDir);
  const restart = async (old: CxProcess, signal: NodeJS.Signals) => {
    await old.stop(signal);
    const next = start(old.kind, old.url);
    processes.splice(processes.indexOf(old), 1, next);
    if (next.kind === 'web') await ready(next);
    return next;
  };
  try {
    // The first web process migrates the new database (MIGRATE_ON_START) before the others start,
    // as a deployment's migration would; then the rest start together.
    const [first, ...others] = ports.map((port) => `http://127.0.0.1:${port}`);
    processes.push(start('web', first));
    await ready(processes[0]!);
    processes.push(
      ...others.map((url) => start('web', url)),
      ...Array.from({ length: counts.workers }, () => start('worker')),
    );
    for (const web of processes.slice(1).filter((p) => p.kind === 'web')) await ready(web);
    return {
      dbName: id,
      apiKey,
      processes,
      get webs() {
        return processes.filter((p) => p.kind === 'web');
      },
      restart,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

const pickDefined = ({ temporalAddress, mongoUri }: { temporalAddress?: string; mongoUri?: string }) => ({
  ...(temporalAddress ? { temporalAddress } : {}),
  ...(mongoUri ? { mongoUri } : {}),
});
