import pLimit from 'p-limit';
import { expect } from 'vitest';
import * as c from '../../src/db/collections';
import type { Database } from '../../src/db/connection';
import { isCounted } from '../../src/db/counted-keys';
import { rollupDay, rollupId } from '../../src/domain/rollup';
import { surveyLinkIn, uid, waitUntil } from './harness';
import type { Deployment } from './processes';

/**
 * Closed loops through a multi-process deployment, as its users drive them: an integration posts
 * events in batches to the web processes, customers answer the emails the sink received, each
 * through one of the web processes. Used by the scale-out and fault-injection tests.
 */
export interface LoopRun {
  programId: string;
  customers: { id: string; email: string; nps: number }[];
  /** The invitation emails in the sink, one per customer. */
  invitations: c.SinkMessageDoc[];
  /** When the run began: its replies and invitations count in the rollups of this day up to today. */
  startedAt: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A request as a load balancer sends it: a process that is down or overloaded is retried on the next one. */
async function sendWithRetry(
  deployment: Deployment,
  first: number,
  send: (baseUrl: string) => Promise<Response>,
  deadlineMs: number,
): Promise<Response> {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = first; ; attempt++) {
    const webs = deployment.webs;
    const res = await send(webs[attempt % webs.length]!.url!).catch((err: Error) => err);
    const retryable = res instanceof Error || res.status === 503;
    if (!retryable || Date.now() > deadline) {
      if (res instanceof Error) throw res;
      return res;
    }
    const after = res instanceof Error ? 0.2 : Number(res.headers.get('retry-after') ?? 1);
    await pause(Math.min(after, 2) * 1000);
  }
}

/** Saves a one-question NPS program, posts one event per customer and waits for every invitation email. */
export async function inviteCustomers(
  deployment: Deployment,
  sink: Database,
  count: number,
  waitMs: number,
): Promise<LoopRun> {
  const startedAt = Date.now();
  const api = (route: string, method: string, body: unknown, first = 0) =>
    sendWithRetry(
      deployment,
      first,
      (baseUrl) =>
        fetch(`${baseUrl}${route}`, {
          method,
          headers: { authorization: `Bearer ${deployment.apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      waitMs,
    );
  const programId = uid('scale');
  const trigger = `purchase_${programId.replace(/-/g, '_')}`;
  const saved = await api(`/api/programs/${programId}`, 'PUT', {
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

  const run = programId.replace(/-/g, '');
  const customers = Array.from({ length: count }, (_, i) => ({
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
    // A batch retried after a failure is safe: events are idempotent by ID.
    const res = await api('/api/events:batch', 'POST', { events: events.slice(i * 50, i * 50 + 50) }, i);
    if (res.status !== 202) {
      const body = await res.text();
      await pause(1000); // the processes' logs are written asynchronously
      throw new Error(`batch ${i}: ${res.status} ${body}\n${outputs(deployment)}`);
    }
  }

  const inSink = () =>
    c
      .sinkMessages(sink.db)
      .find({ to: { $regex: run } })
      .toArray();
  const invitations = await waitUntil(
    `${count} invitation emails`,
    async () => {
      const messages = await inSink();
      return messages.length >= count ? messages : undefined;
    },
    waitMs,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await inSink()).length} arrived\n${outputs(deployment)}`);
  });
  return { programId, customers, invitations, startedAt };
}

/** Every customer answers their invitation, through the web processes in turn. */
export async function answerAll(deployment: Deployment, run: LoopRun, waitMs: number): Promise<void> {
  const limit = pLimit(16);
  const answered = await Promise.all(
    run.invitations.map((message, i) =>
      limit(async () => {
        const path = new URL(surveyLinkIn(message.text)).pathname;
        const customer = run.customers.find((x) => message.to.includes(x.email))!;
        let connectionLost = false;
        const res = await sendWithRetry(
          deployment,
          i,
          (baseUrl) =>
            fetch(`${baseUrl}${path}`, {
              method: 'POST',
              body: new URLSearchParams({ nps: String(customer.nps) }),
            }).catch((err: Error) => {
              connectionLost = true;
              throw err;
            }),
          waitMs,
        );
        // A retry after a connection lost mid-request may find the reply stored: "already answered"
        // is then the answer a customer would see, and the rollup sums check it was counted once.
        const answered = res.status === 200 || (connectionLost && res.status === 409);
        return answered ? 200 : `${res.status} ${message.to} ${path}: ${(await res.text()).slice(0, 300)}`;
      }),
    ),
  );
  const refused = answered.filter((status) => status !== 200);
  if (refused.length) {
    await pause(1000);
    throw new Error(`${refused.length} replies refused:\n${refused.slice(0, 5).join('\n')}\n${outputs(deployment)}`);
  }
}

/**
 * The run program's rollups (segment `all`) of each day the run spans: one, or two when it crosses
 * midnight UTC, as each reply counts in the day it was submitted.
 */
async function rollupsOfRun(database: Database, run: LoopRun): Promise<c.RollupDoc[]> {
  const days = [...new Set([rollupDay(run.startedAt), rollupDay(Date.now())])];
  const docs = await Promise.all(
    days.map((day) => c.rollups(database.db).findOne({ _id: rollupId(run.programId, day, 'all') })),
  );
  return docs.filter((doc) => doc !== null);
}

/** A counter summed over the run's rollups. */
const total = (rollups: c.RollupDoc[], counter: (doc: c.RollupDoc) => number | undefined) =>
  rollups.reduce((sum, doc) => sum + (counter(doc) ?? 0), 0);

/**
 * The run's rollups once they count every reply and so do the customers' scores: the owner writes a
 * batch's rollups and customer scores side by side, so the rollups alone can be seen complete a
 * moment before the scores (slow after a FerretDB restart). On a timeout, says where each reply
 * not counted stopped, with the processes' output when `deployment` is given.
 */
export async function rollupCounting(
  database: Database,
  run: LoopRun,
  waitMs: number,
  deployment?: Deployment,
): Promise<c.RollupDoc[]> {
  const count = run.customers.length;
  return waitUntil(
    `the rollups and the customers' scores to count ${count} replies`,
    async () => {
      const rollups = await rollupsOfRun(database, run);
      if (total(rollups, (doc) => doc.responses) < count) return undefined;
      return (await c.customerScores(database.db).countDocuments()) >= count ? rollups : undefined;
    },
    waitMs,
  ).catch(async (err: Error) => {
    const rollups = await rollupsOfRun(database, run);
    const stopped = await Promise.all(run.invitations.map((m) => whereReplyStopped(database, rollups, m)));
    const lines = stopped.filter((line) => line !== undefined);
    throw new Error(
      `${err.message}: ${total(rollups, (doc) => doc.responses)} counted; not counted:\n${lines.join('\n')}\n${deployment ? outputs(deployment) : ''}`,
    );
  });
}

/** Whether one of the run's rollups counts the reply. */
async function countedInRun(database: Database, rollups: c.RollupDoc[], replyId: string): Promise<boolean> {
  const counted = await Promise.all(rollups.map((doc) => isCounted(database.db, 'rollups', doc, replyId)));
  return counted.some(Boolean);
}

/** Where a reply not counted in the run's rollups stopped: stored, acknowledged, finalized (undefined: counted). */
async function whereReplyStopped(database: Database, rollups: c.RollupDoc[], message: c.SinkMessageDoc) {
  const id = message.headers['x-cxloop-invitation']!;
  if (await countedInRun(database, rollups, id)) return undefined;
  const [reply, ack, invitation] = await Promise.all([
    c.responses(database.db).findOne({ _id: id }),
    c.replyAcks(database.db).findOne({ _id: id }),
    c.invitations(database.db).findOne({ _id: id }),
  ]);
  return `${id}: reply ${reply ? 'stored' : 'missing'}, ack ${ack ? 'yes' : 'no'}, finalized ${reply?.finalizedAt?.toISOString() ?? 'no'}, invitation ${invitation?.status}`;
}

/**
 * Every event decided once, every customer sent one invitation (one Message-ID each), every reply
 * counted once. Returns how many invitations were handed to SMTP more than once: without crashes
 * none may be; a worker killed between SMTP's acceptance and recording it as sent hands the same
 * message (same Message-ID) over again, which only an attempt cut off may cause.
 */
export async function expectEachOnce(
  database: Database,
  sink: Database,
  run: LoopRun,
  rollups: c.RollupDoc[],
  options: { workersKilled?: boolean } = {},
): Promise<{ handedOverAgain: number }> {
  const count = run.customers.length;
  const ids = run.invitations.map((m) => m._id);
  const decisions = await c.contactDecisions(database.db).find({ programId: run.programId }).toArray();
  expect(decisions).toHaveLength(count);
  expect(new Set(decisions.map((d) => d.eventId)).size).toBe(count);
  expect(decisions.every((d) => d.action === 'send')).toBe(true);
  expect(run.invitations).toHaveLength(count);
  expect(new Set(run.invitations.map((m) => m.headers['x-cxloop-invitation'])).size).toBe(count);
  // Read again: a send repeated after the emails were first collected counts too.
  const again = await c
    .sinkMessages(sink.db)
    .find({ _id: { $in: ids }, deliveries: { $ne: 1 } })
    .toArray();
  if (!options.workersKilled) expect(again).toEqual([]);
  for (const message of again) {
    const email = await c.emails(database.db).findOne({ _id: `${message.headers['x-cxloop-invitation']}:invitation` });
    expect(email?.status).toBe('sent');
    expect(email?.attempts, `${message.to}: handed over more often than attempted`).toBeGreaterThanOrEqual(
      message.deliveries!,
    );
  }
  expect(total(rollups, (doc) => doc.responses)).toBe(count);
  expect({ count: total(rollups, (doc) => doc.nps?.count), sum: total(rollups, (doc) => doc.nps?.sum) }).toEqual({
    count,
    sum: run.customers.reduce((sum, customer) => sum + customer.nps, 0),
  });
  const replies = run.invitations.map((m) => m.headers['x-cxloop-invitation']!);
  const counted = await Promise.all(replies.map((reply) => countedInRun(database, rollups, reply)));
  expect(counted.filter(Boolean)).toHaveLength(count);
  // Every invitation's funnel step counted once too, whatever was killed or restarted.
  expect(total(rollups, (doc) => doc.funnel?.invited)).toBe(count);
  const scores = await c.customerScores(database.db).find().toArray();
  expect(scores).toHaveLength(count);
  expect(scores.every((score) => score.count === 1)).toBe(true);
  expect(scores.reduce((sum, score) => sum + score.sum, 0)).toBe(total(rollups, (doc) => doc.summary?.sum));
  return { handedOverAgain: again.length };
}

export const outputs = (deployment: Deployment) => deployment.processes.map((p) => p.output()).join('\n');
