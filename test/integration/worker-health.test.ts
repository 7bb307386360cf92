import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { connectTemporalClient, sweepScheduleId } from '../../src/temporal/connection';
import type { WorkerHealthReport } from '../../src/temporal/worker-health';
import { freePort } from '../../src/stack/ports';
import { deleteDeploymentSchedules, uid } from '../support/harness';
import { type CxProcess, deploymentEnv, launch } from '../support/launch';
import { waitUntil } from '../support/wait';

/** A bound, not the expected time: the worker bundles nothing (WORKFLOW_BUNDLE) but shares 2 cores. */
const WAIT_MS = 90_000;

type Probe = { status: number; body: WorkerHealthReport } | { down: string };

const probe = async (url: string): Promise<Probe> => {
  const res = await fetch(url).catch((err: Error) => err);
  if (res instanceof Error) return { down: res.message };
  return { status: res.status, body: (await res.json()) as WorkerHealthReport };
};

/**
 * Issue 22: the production worker (`npm run worker`, a separate OS process) answers probes on
 * WORKER_HEALTH_PORT: alive while it starts and runs, ready while it polls, not ready once SIGTERM
 * makes it drain.
 */
describe('the worker health endpoint', () => {
  let worker: CxProcess | undefined;
  let taskQueue: string | undefined;
  afterEach(async () => {
    await worker?.stop('SIGKILL');
    if (taskQueue) await deleteDeploymentSchedules(inject('stack').temporalAddress, taskQueue);
  });

  it('when the worker polls, then it is ready; a task it finishes shows; after SIGTERM it is no longer ready', async () => {
    const stack = inject('stack');
    taskQueue = uid('health').replace(/-/g, '_');
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    worker = launch('worker', {
      ...deploymentEnv({
        name: taskQueue,
        temporalAddress: stack.temporalAddress,
        mongoUri: stack.mongoUri,
        smtpUrl: stack.smtpUrl,
        workflowBundle: stack.workflowBundlePath,
        publicBaseUrl: 'http://127.0.0.1:3000',
        apiKey: randomBytes(24).toString('base64url'),
      }),
      WORKER_HEALTH_PORT: String(port),
    });
    const w = worker;
    const fail = (err: Error) => {
      throw new Error(`${err.message}\n${w.output()}`);
    };

    const ready = await waitUntil(
      'the worker to be ready',
      async () => {
        const answer = await probe(`${base}/readyz`);
        return 'status' in answer && answer.status === 200 && answer.body;
      },
      WAIT_MS,
    ).catch(fail);
    expect(ready).toMatchObject({ state: 'RUNNING', polling: { [taskQueue]: true } });
    expect(Object.keys(ready.polling)).toHaveLength(2);
    expect(Object.values(ready.polling).every(Boolean)).toBe(true);
    expect(typeof ready.uptime).toBe('number');
    const live = await probe(`${base}/healthz`);
    expect(live).toMatchObject({ status: 200, body: { state: 'RUNNING' } });
    expect(await fetch(`${base}/metrics`).then((res) => res.status)).toBe(404);

    // The sweep's schedule, which the worker created, run now: its workflow and activities finish here.
    const triggeredAt = Date.now();
    const client = await connectTemporalClient({ address: stack.temporalAddress, namespace: 'default' });
    try {
      await client.schedule.getHandle(sweepScheduleId(taskQueue)).trigger();
    } finally {
      await client.connection.close();
    }
    const lastTaskAt = await waitUntil(
      'a finished task in lastTaskAt',
      async () => {
        const answer = await probe(`${base}/readyz`);
        const at = 'status' in answer ? answer.body.lastTaskAt : null;
        return at !== null && Date.parse(at) >= triggeredAt && at;
      },
      WAIT_MS,
    ).catch(fail);
    expect(new Date(lastTaskAt).toISOString()).toBe(lastTaskAt);

    process.kill(w.pid, 'SIGTERM');
    const after = await waitUntil(
      'the worker to leave readiness',
      async () => {
        const answer = await probe(`${base}/readyz`);
        return ('down' in answer || answer.status === 503) && answer;
      },
      WAIT_MS,
    ).catch(fail);
    if ('status' in after) expect(after.body.state).not.toBe('RUNNING');
    expect(await w.exited).toEqual({ code: 0, signal: null });
  });
});
