import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type Database, connectDatabase } from '../../src/db/mongo';
import { rollupDay, rollupId } from '../../src/domain/rollup';
import { connectTemporalClient, sweepScheduleId } from '../../src/temporal/connection';
import { surveyLinkIn, uid, waitUntil } from '../support/harness';
import { type Deployment, startDeployment } from '../support/processes';

/** `npm test` runs a short version; `npm run test:scale` the full one (SCALE_EVENTS=1000). */
const EVENTS = Number(process.env.SCALE_EVENTS ?? 120);
const WAIT_MS = 60_000 + EVENTS * 400;

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
      const [webA, webB] = deployment.webs.map((web) => ({ url: web.url! })) as [{ url: string }, { url: string }];
      const api = (web: { url: string }, method: string, route: string, body: unknown) =>
        fetch(`${web.url}${route}`, {
          method,
          headers: { authorization: `Bearer ${deployment.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const programId = uid('scale');
      const trigger = `purchase_${programId.replace(/-/g, '_')}`;
      const saved = await api(webA, 'PUT', `/api/programs/${programId}`, {
        id: programId,
        name: 'Scale-out',
        kind: 'transactional',
        triggers: [trigger],
        reminders: [],
        survey: { editGrace: '0s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
        email: { subject: 'How did we do?', intro: 'Tell us.' },
        contactRules: { minIntervalAnyProgram: '0s', minIntervalSameProgram: '0s' },
      });
      expect(saved.status, await saved.text()).toBeLessThan(300);

      // Events spread over both web processes, in batches.
      const run = programId.replace(/-/g, '');
      const customers = Array.from({ length: EVENTS }, (_, i) => ({
        id: `${run}-c${i}`,
        email: `${run}-c${i}@example.com`,
        nps: i % 11,
      }));
      const events = customers.map((customer) => ({
        id: `${run}-e-${customer.id}`,
        type: trigger,
        occurredAt: new Date().toISOString(),
        customer: { id: customer.id, email: customer.email, name: customer.id },
      }));
      for (let i = 0; i * 50 < events.length; i++) {
        const res = await api(i % 2 ? webB : webA, 'POST', '/api/events:batch', {
          events: events.slice(i * 50, i * 50 + 50),
        });
        if (res.status !== 202) {
          const body = await res.text();
          await new Promise((r) => setTimeout(r, 1000)); // the processes' logs are written asynchronously
          throw new Error(`batch ${i}: ${res.status} ${body}\n${deployment.webs.map((w) => w.output()).join('\n')}`);
        }
      }

      const invitationsInSink = () =>
        c
          .sinkMessages(sink.db)
          .find({ to: { $regex: run } })
          .toArray();
      const invitations = await waitUntil(
        `${EVENTS} invitation emails`,
        async () => {
          const messages = await invitationsInSink();
          return messages.length >= EVENTS ? messages : undefined;
        },
        WAIT_MS,
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}: ${(await invitationsInSink()).length} arrived`);
      });

      // Each customer answers through one of the two web processes.
      const limit = pLimit(16);
      const answered = await Promise.all(
        invitations.map((message, i) =>
          limit(async () => {
            const link = surveyLinkIn(message.text).replace(/^https?:\/\/[^/]+/, (i % 2 ? webB : webA).url);
            const customer = customers.find((x) => message.to.includes(x.email))!;
            const res = await fetch(link, { method: 'POST', body: new URLSearchParams({ nps: String(customer.nps) }) });
            return res.status === 200
              ? 200
              : `${res.status} ${message.to} ${link}: ${(await res.text()).slice(0, 300)}`;
          }),
        ),
      );
      const refused = answered.filter((status) => status !== 200);
      if (refused.length) {
        await new Promise((r) => setTimeout(r, 1000)); // the processes' logs are written asynchronously
        throw new Error(
          `${refused.length} replies refused:\n${refused.slice(0, 5).join('\n')}\n${deployment.webs.map((w) => w.output()).join('\n')}`,
        );
      }

      const day = rollupDay(Date.now());
      const all = await waitUntil(
        `the rollup to count ${EVENTS} replies`,
        async () => {
          const doc = await c.rollups(database.db).findOne({ _id: rollupId(programId, day, 'all') });
          return (doc?.responses ?? 0) >= EVENTS ? doc : undefined;
        },
        WAIT_MS,
      );
      const expectedSum = customers.reduce((sum, customer) => sum + customer.nps, 0);

      // Every event decided once, every invitation sent once, every reply counted once.
      const decisions = await c.contactDecisions(database.db).find({ programId }).toArray();
      expect(decisions).toHaveLength(EVENTS);
      expect(new Set(decisions.map((d) => d.eventId)).size).toBe(EVENTS);
      expect(decisions.every((d) => d.action === 'send')).toBe(true);
      expect(invitations).toHaveLength(EVENTS);
      expect(new Set(invitations.map((m) => m.headers['x-cxloop-invitation'])).size).toBe(EVENTS);
      expect(invitations.filter((m) => m.deliveries !== 1)).toEqual([]);
      expect(all.responses).toBe(EVENTS);
      expect(all.nps).toMatchObject({ count: EVENTS, sum: expectedSum });
      expect(new Set(all.replyIds).size).toBe(EVENTS);
      const scores = await c.customerScores(database.db).find().toArray();
      expect(scores).toHaveLength(EVENTS);
      expect(scores.every((score) => score.count === 1)).toBe(true);
      expect(scores.reduce((sum, score) => sum + score.sum, 0)).toBe(all.summary?.sum);
      // The two workers share one sweep schedule: the sweep runs once per cluster, not per process.
      const temporal = await connectTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default' });
      const schedules = [];
      for await (const schedule of temporal.schedule.list())
        if (schedule.scheduleId.includes(deployment.dbName)) schedules.push(schedule);
      expect(schedules.map((x) => x.scheduleId)).toEqual([sweepScheduleId(deployment.dbName)]);
      await temporal.connection.close();
      // Each process really was a process of its own, and all are still up.
      expect(new Set(deployment.processes.map((p) => p.pid)).size).toBe(4);
    },
    120_000 + WAIT_MS * 2,
  );
});
