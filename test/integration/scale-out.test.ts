import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Database, connectDatabase } from '../../src/db/connection';
import { connectTemporalClient, sweepScheduleId } from '../../src/temporal/connection';
import { alertScheduleId } from '../../src/temporal/alert-schedule';
import { uid } from '../support/harness';
import { answerAll, expectEachOnce, inviteCustomers, rollupCounting } from '../support/load';
import { type Deployment, startDeployment } from '../support/processes';

/** `npm test` runs a short version; `npm run test:scale` the full one (SCALE_EVENTS=1000). */
const EVENTS = Number(process.env.SCALE_EVENTS ?? 120);
// On 2 cores four processes, Temporal and FerretDB send about 1.5 invitations per second.
const WAIT_MS = 60_000 + EVENTS * 1_000;

describe(`scale-out: two web and two worker processes, ${EVENTS} events and replies`, () => {
  let deployment: Deployment;
  let database: Database;
  let sink: Database;

  beforeAll(async () => {
    deployment = await startDeployment({ webs: 2, workers: 2 });
    database = await connectDatabase(inject('stack').mongoUri, deployment.dbName);
    sink = await connectDatabase(inject('stack').mongoUri, inject('stack').dbName);
  }, 120_000);
  afterAll(async () => {
    await deployment?.stop();
    await database?.close();
    await sink?.close();
  });

  it(
    'decides every event once, sends every invitation once and counts every reply once',
    async () => {
      const run = await inviteCustomers(deployment, sink, EVENTS, WAIT_MS);
      await answerAll(deployment, run, WAIT_MS);
      await expectEachOnce(database, sink, run, await rollupCounting(database, run, WAIT_MS));

      // The two workers share one sweep schedule and one alerts schedule: each runs once per cluster, not
      // per process (people's digest schedules are one per person, whatever the processes).
      const temporal = await connectTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default' });
      const schedules = [];
      for await (const schedule of temporal.schedule.list())
        if (schedule.scheduleId.includes(deployment.dbName) && !schedule.scheduleId.startsWith('digest:'))
          schedules.push(schedule);
      expect(schedules.map((x) => x.scheduleId).sort()).toEqual([
        alertScheduleId(deployment.dbName),
        sweepScheduleId(deployment.dbName),
      ]);
      await temporal.connection.close();
      // Each process really was a process of its own, and all are still up.
      expect(new Set(deployment.processes.map((p) => p.pid)).size).toBe(4);
    },
    120_000 + WAIT_MS * 2,
  );

  it('keeps every profile change when both web processes update one customer at the same moment', async () => {
    // FerretDB applies an update as read-modify-write: two web processes writing one record would
    // lose fields; the customer's loop, the record's one writer, keeps them all.
    const customerIds = Array.from({ length: 10 }, () => uid('profile'));
    const changes = customerIds.flatMap((id) =>
      ['plan', 'region', 'tier', 'channel'].map((key, i) => ({ id, key, i })),
    );
    const statuses = await Promise.all(
      changes.map(async ({ id, key, i }) => {
        const web = deployment.webs[i % 2]!;
        const res = await fetch(`${web.url}/api/customers/${id}`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${deployment.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ email: `${id}@example.com`, attributes: { [key]: `${key}-${i}` } }),
        });
        return res.status;
      }),
    );
    expect(statuses.every((status) => status === 200)).toBe(true);
    const stored = await database.db
      .collection<{ _id: string; attributes: Record<string, string> }>('customers')
      .find({ _id: { $in: customerIds } })
      .toArray();
    expect(stored).toHaveLength(customerIds.length);
    for (const customer of stored)
      expect(customer.attributes).toEqual({ plan: 'plan-0', region: 'region-1', tier: 'tier-2', channel: 'channel-3' });
  }, 60_000);
});
