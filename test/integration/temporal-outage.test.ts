import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type Database, connectDatabase } from '../../src/db/connection';
import { type EmbeddedStack, startEmbeddedStack } from '../../src/stack/embedded';
import { freePort } from '../../src/stack/ports';
import { answerAll, expectEachOnce, inviteCustomers, rollupCounting } from '../support/load';
import { type Deployment, startDeployment } from '../support/processes';
import { waitUntil } from '../support/wait';

const CUSTOMERS = 6;
/** A bound, not the expected time: the test's Temporal shares 2 cores with the run's stack. */
const WAIT_MS = 60_000;
/**
 * The bound for the counting after the restart: a scores batch whose completion the worker could
 * not report while Temporal was down is retried once its 30-second heartbeat time-out has passed
 * (workflows/scores.ts), not its 2-minute start-to-close time-out; the replies' batch queues behind it.
 */
const COUNTED_WAIT_MS = 90_000;

const readiness = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
};

/**
 * Issue 22: a Temporal outage must not take the web tier out of the load balancer. Web and worker
 * run as separate processes (the production entry points) against a Temporal of the test's own,
 * stopped and started again on its persistent file.
 */
describe('when Temporal is down, the web tier stays ready', () => {
  let deployment: Deployment | undefined;
  let temporal: EmbeddedStack | undefined;
  let dataDir: string | undefined;
  const open: Database[] = [];
  afterEach(async () => {
    await deployment?.stop();
    await Promise.all(open.splice(0).map((database) => database.close()));
    await temporal?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('and a web started meanwhile becomes ready; replies are stored meanwhile and each counted once after', async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-temporal-outage-'));
    const shared = inject('stack');
    const port = await freePort();
    const startTemporal = async () => {
      temporal = await startEmbeddedStack({
        dataDir: dataDir!,
        mode: 'test',
        mongoDbName: shared.dbName,
        smtpUrl: shared.smtpUrl,
        mongoUri: shared.mongoUri,
        persistTemporal: true,
        temporalPort: port,
      });
      return temporal;
    };
    const { temporalAddress } = await startTemporal();
    deployment = await startDeployment({ webs: 2, workers: 1, temporalAddress, env: { REPLY_SWEEP_INTERVAL: '5s' } });
    const d = deployment;
    const database = await connectDatabase(shared.mongoUri, d.dbName);
    const sink = await connectDatabase(shared.mongoUri, shared.dbName);
    open.push(database, sink);
    const run = await inviteCustomers(d, sink, CUSTOMERS, WAIT_MS);

    await temporal!.stop();
    temporal = undefined;
    expect(await readiness(d.webs[0]!.url!)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { mongodb: 'ok', temporal: 'degraded' } },
    });
    // A web process replaced during the outage (a rolling deployment, a rescheduled pod) starts
    // without Temporal and joins the load balancer: `restart` waits for its 200 on /readyz.
    const replaced = await d.restart(d.webs[1]!, 'SIGTERM');
    expect((await readiness(replaced.url!)).body.checks.temporal).toBe('degraded');
    // What needs Temporal says so, even from a web that has never reached it.
    const profileChange = fetch(`${replaced.url}/api/customers/${run.programId}-new`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${d.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new@example.com', attributes: { tier: 'gold' } }),
    });
    // No retries: every reply is taken at the first attempt, by the old web and the new one in turn.
    await answerAll(d, run, 0);
    const refused = await profileChange;
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await c.responses(database.db).countDocuments({ programId: run.programId })).toBe(CUSTOMERS);

    await startTemporal();
    const rollups = await rollupCounting(database, run, COUNTED_WAIT_MS);
    await expectEachOnce(database, sink, run, rollups);
    for (const web of d.webs)
      await waitUntil(
        `web ${web.pid} to see Temporal again`,
        async () => (await readiness(web.url!)).body.checks.temporal === 'ok',
        WAIT_MS,
      );
  }, 330_000);
});
