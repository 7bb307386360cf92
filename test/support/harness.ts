import { randomUUID } from 'node:crypto';
import { uid } from './ids';
import { MongoClient } from 'mongodb';
import { afterAll, inject } from 'vitest';
import { customerKeySecret, ensureAdmin, ensureApiKey } from '../../src/bootstrap';
import { type Config, loadConfig } from '../../src/config';
import * as c from '../../src/db/collections';
import { type TProgramInput, ZProgram } from '../../src/domain/program';
import { type RunningWeb, type RunningWorker, startWeb, startWorker } from '../../src/runtime';
import { connectTemporalClient, sweepScheduleId } from '../../src/temporal/connection';
import { alertScheduleId } from '../../src/temporal/alert-schedule';
import { reconcileDigestSchedules } from '../../src/temporal/digest-schedules';
import { installWorkerLogging } from '../../src/temporal/worker';
import { customerLoopId } from '../../src/temporal/customer-key';
import { storeProgram } from '../../src/app/programs';
import { type SmtpSink, startSmtpSink } from '../../src/mail/sink';
import { waitUntil } from './wait';
import { TEST_CODEC_KEYS } from './codec-keys';
import { contractProblems } from './contract';

export { waitUntil };

let runtimeInstalled = false;
/** Keep the worker's own logs out of test output unless something is wrong. */
function quietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  installWorkerLogging(process.env.CXLOOP_TEST_VERBOSE ? 'info' : 'error');
}

export interface Harness {
  config: Config;
  web: RunningWeb;
  worker?: RunningWorker;
  baseUrl: string;
  apiKey: string;
  taskQueue: string;
  temporalAddress: string;
  db: RunningWeb['database']['db'];
  startWorker(): Promise<RunningWorker>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export const ADMIN = { email: 'owner@test.local', password: 'correct horse battery' };

/**
 * The test file's own database (each file loads this module afresh): stack files run side by
 * side, and a worker's sweep re-signals whatever its database holds, so files must not share one.
 */
export const FILE_DB = `cxloop_${uid('file').replace(/-/g, '_')}`;

const sinks = new Map<string, Promise<SmtpSink>>();
/**
 * The SMTP sink of one database, keeping its mail in that database as an embedded deployment's
 * does (the outbox, erasure and the tests read it there); one per database, for the test file.
 * Its client is not counted by a command tally: the run's shared sink was not either.
 */
export async function smtpUrlFor(dbName = FILE_DB): Promise<string> {
  let sink = sinks.get(dbName);
  if (!sink) {
    sink = MongoClient.connect(inject('stack').mongoUri).then((client) =>
      startSmtpSink({ port: 0, client, dbName }).catch(async (err: Error) => {
        await client.close();
        throw err;
      }),
    );
    sinks.set(dbName, sink);
  }
  return `smtp://127.0.0.1:${(await sink).port}`;
}
afterAll(async () => {
  const open = [...sinks.values()];
  sinks.clear();
  await Promise.all(open.map(async (sink) => (await sink).close()));
});

/** A web tier and a worker on their own task queue, against the run's shared embedded stack. */
export async function startHarness(
  options: { withWorker?: boolean; env?: Record<string, string>; smtpUrl?: string; temporalAddress?: string } = {},
): Promise<Harness> {
  quietRuntime();
  const stack = inject('stack');
  const taskQueue = `test-${randomUUID()}`;
  const config = loadConfig({
    MONGODB_DB: FILE_DB,
    REPLY_SWEEP_INTERVAL: '1s',
    LOG_LEVEL: process.env.CXLOOP_TEST_VERBOSE ? 'info' : 'silent',
    LOOP_IDLE_TIMEOUT: '1m',
    // The tests' webhook receivers listen on this machine, which webhooks may not reach otherwise.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
    // The file's database (or one a test asks for) is migrated like any other new one.
    MIGRATE_ON_START: 'true',
    ...options.env,
  });
  const services = {
    temporalAddress: options.temporalAddress ?? stack.temporalAddress,
    mongoUri: stack.mongoUri,
    smtpUrl: options.smtpUrl ?? (await smtpUrlFor(config.mongo.dbName)),
    embeddedMail: true,
  };
  // Harnesses of one file share its database: each counts its own rate limits, as a deployment would.
  const web = await startWeb(config, services, { port: 0, taskQueue, rateLimitScope: taskQueue });
  const apiKey = `test-key-${randomUUID()}`;
  await ensureApiKey(web.database.db, apiKey, 'test');
  await ensureAdmin(web.database.db, ADMIN.email, ADMIN.password);

  const harness: Harness = {
    config,
    web,
    baseUrl: web.url,
    apiKey,
    taskQueue,
    temporalAddress: services.temporalAddress,
    db: web.database.db,
    async startWorker() {
      harness.worker = await startWorker(config, services, {
        publicBaseUrl: web.url,
        taskQueue,
        workflowBundle: { codePath: stack.workflowBundlePath },
      });
      return harness.worker;
    },
    async stopWorker() {
      await harness.worker?.stop();
      harness.worker = undefined;
    },
    async stop() {
      await harness.stopWorker();
      await web.stop();
      await deleteDeploymentSchedules(services.temporalAddress, taskQueue);
    },
  };
  if (options.withWorker !== false) await harness.startWorker();
  return harness;
}

/**
 * Each test deployment's worker creates a sweep and an alerts schedule for its task queue, and its
 * people's digest schedules; once the test is done nothing polls that queue, so they go (best
 * effort: the server may be gone).
 */
export async function deleteDeploymentSchedules(temporalAddress: string, taskQueue: string): Promise<void> {
  const client = await connectTemporalClient({ address: temporalAddress, namespace: 'default' }).catch(() => null);
  if (!client) return;
  for (const scheduleId of [sweepScheduleId(taskQueue), alertScheduleId(taskQueue)])
    await client.schedule
      .getHandle(scheduleId)
      .delete()
      .catch(() => undefined);
  await reconcileDigestSchedules(client, taskQueue, []).catch(() => undefined);
  await client.connection.close();
}

export { uid };

/** Calls the API with the harness's key; an answer that breaks the OpenAPI document fails the test. */
export async function api(
  h: Harness,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${h.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (path.startsWith('/api/')) {
    const problems = contractProblems(method, path, response.status, response.headers.get('content-type'), text);
    if (problems.length) throw new Error(`the answer breaks the API contract:\n${problems.join('\n')}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: json as Record<string, unknown> & { error?: string }, text };
}

/** A transactional program with seconds-scale timings, unique to the test. */
export async function createProgram(h: Harness, overrides: Partial<TProgramInput> = {}): Promise<string> {
  const id = overrides.id ?? uid('prog');
  const program = ZProgram.parse({
    id,
    name: `Test program ${id}`,
    kind: 'transactional',
    triggers: [overrides.triggers?.[0] ?? `purchase-${id}`.replace(/[^a-z0-9_.-]/g, '')],
    delay: '0s',
    reminders: [],
    expiresAfter: '1h',
    survey: {
      editGrace: '0s',
      questions: [
        { id: 'nps', type: 'nps', required: true, label: 'How likely are you to recommend us?' },
        {
          id: 'went_wrong',
          type: 'text',
          label: 'What went wrong?',
          showIf: { question: 'nps', npsCategory: ['detractor'] },
        },
        {
          id: 'went_well',
          type: 'text',
          label: 'What went well?',
          showIf: { question: 'nps', npsCategory: ['promoter'] },
        },
      ],
    },
    email: { subject: 'How did we do?', intro: 'Thanks for your purchase.' },
    contactRules: {
      minIntervalAnyProgram: '0s',
      minIntervalSameProgram: '0s',
      maxPerWindow: { count: 100, window: '1d' },
    },
    themes: { delivery: ['delivery', 'late'], staff: ['staff', 'rude', 'friendly'] },
    ...overrides,
  });
  await storeProgram(h.db, program);
  return id;
}

export function eventFor(
  program: { trigger: string },
  customer: { id: string; email: string },
  extra: Record<string, unknown> = {},
) {
  return {
    id: uid('evt'),
    type: program.trigger,
    occurredAt: new Date().toISOString(),
    customer: { ...customer, name: 'Test Customer' },
    ...extra,
  };
}

export async function triggerOf(h: Harness, programId: string): Promise<string> {
  const program = await c.programs(h.db).findOne({ _id: programId });
  return program!.triggers[0]!;
}

/** The sink's messages for one recipient, newest first: the harness's sink keeps them in its database. */
export async function mailTo(h: Harness, email: string) {
  return c
    .sinkMessages(h.db)
    .find({ to: { $regex: email.replace(/[.+]/g, '\\$&') } })
    .sort({ receivedAt: -1 })
    .toArray();
}

export function surveyLinkIn(text: string): string {
  const match = /(https?:\/\/[^\s]+\/s\/[A-Za-z0-9_-]+)(?=\s|$)/m.exec(text);
  if (!match) throw new Error(`no survey link in:\n${text}`);
  return match[1]!;
}

/** Posts one triggering event for a new customer and waits for its invitation email. */
export async function inviteNewCustomer(
  h: Harness,
  programId: string,
  options: { customer?: Record<string, unknown>; data?: Record<string, unknown>; timeoutMs?: number } = {},
) {
  const trigger = await triggerOf(h, programId);
  const customer = { id: uid('cust'), email: `${uid('c')}@example.com`, ...options.customer };
  const event = eventFor(
    { trigger },
    customer as { id: string; email: string },
    options.data ? { data: options.data } : {},
  );
  const res = await api(h, 'POST', '/api/events', event);
  if (res.status !== 202) throw new Error(`event refused: ${res.text}`);
  const [mail] = await waitUntil(
    'the invitation email',
    async () => {
      const messages = await mailTo(h, customer.email);
      return messages.length ? messages : undefined;
    },
    options.timeoutMs,
  ).catch(async (err: Error) => {
    // Say how far the event got, so a slow or stuck loop can be told apart.
    const [stored, decisions, invitations] = await Promise.all([
      c.events(h.db).findOne({ _id: event.id }),
      c.contactDecisions(h.db).find({ eventId: event.id }).toArray(),
      c.invitations(h.db).find({ eventId: event.id }).toArray(),
    ]);
    throw new Error(
      `${err.message}: event ${stored ? (stored.processedAt ? 'processed' : 'stored, not processed') : 'missing'}; decisions ${JSON.stringify(decisions.map((d) => [d.action, d.reason]))}; invitations ${JSON.stringify(invitations.map((i) => i.status))}`,
    );
  });
  const link = surveyLinkIn(mail!.text);
  return { customer, event, mail: mail!, link, invitationId: `${programId}:${event.id}` };
}

/** The workflow ID of a customer's loop in this deployment: named by the customer's key. */
export async function loopIdOf(h: Harness, customerId: string): Promise<string> {
  return customerLoopId({ customerKeySecret: await customerKeySecret(h.db, h.config.customerKeySecret) }, customerId);
}

export function postForm(url: string, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v);
  return fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
}

/**
 * Waits until a workflow has ended (completed, failed, timed out…). After that it can send no more
 * email and record nothing more, so "exactly once" can be asserted without guessing a delay.
 */
export async function workflowEnded(h: Harness, workflowId: string, timeoutMs = 30_000): Promise<void> {
  const client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
  try {
    const handle = client.workflow.getHandle(workflowId);
    await waitUntil(
      `workflow ${workflowId} to end`,
      async () => (await handle.describe()).status.name !== 'RUNNING',
      timeoutMs,
    );
  } finally {
    await client.connection.close();
  }
}
