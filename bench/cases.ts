/**
 * Closed loops end to end — event → invitation → email → detractor reply → case → resolve →
 * follow-up survey → CSAT → closed — for N customers, against the rate at which the same Temporal
 * server runs no-op workflows with the same activity, local-activity and child-workflow steps (the ceiling),
 * measured in one run on Temporal's persistent SQLite file, as `npm start` runs it. The no-op
 * ceiling is also measured with SQLite's default pragmas and in memory, to weigh the pragmas.
 * `npm run bench:cases` (BENCH_LOOPS, default 100); results in bench/results/cases-<time>.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import pLimit from 'p-limit';
import { customerKeySecret, ensureAdmin, ensureApiKey, surveyTokenSecret } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import * as c from '../src/db/collections';
import { connectDatabase } from '../src/db/connection';
import { surveyTokenFor } from '../src/db/survey-tokens';
import { followUpProgram } from '../src/domain/follow-up-program';
import { ZProgram } from '../src/domain/program';
import { startWeb, startWorker } from '../src/runtime';
import { startEmbeddedStack } from '../src/stack/embedded';
import { newCodecKeyEntry } from '../src/temporal/codec';
import { connectTemporalClient } from '../src/temporal/connection';
import { installWorkerLogging } from '../src/temporal/worker';
import { storeProgram } from '../src/app/programs';
import { customerLoopId } from '../src/temporal/customer-key';
import { startCommandTally } from '../src/db/command-tally';
import { type HistoryWork, historyWork, perUnit, workOfEvents } from '../src/temporal/history-tally';
import type { NoopShape } from './noop-workflows';

const LOOPS = Number(process.env.BENCH_LOOPS ?? 100);
const CONCURRENCY = 16;
const OWNER = 'bench-owner@example.com';
const round = (n: number) => Math.round(n * 100) / 100;

const followUp = ZProgram.parse({
  ...followUpProgram,
  id: 'bench-follow-up',
  reminders: [],
  survey: { ...followUpProgram.survey, editGrace: '0s' },
});

const program = ZProgram.parse({
  id: 'bench-cases',
  name: 'Bench cases',
  kind: 'transactional',
  triggers: ['bench_purchase'],
  reminders: [],
  survey: { editGrace: '0s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
  email: { subject: 'How did we do?', intro: 'Tell us.' },
  contactRules: {
    minIntervalAnyProgram: '0s',
    minIntervalSameProgram: '0s',
    maxPerWindow: { count: 100, window: '1d' },
  },
  caseRules: [{ when: { metric: 'nps', op: 'lte', value: 6 }, priority: 'normal', reason: 'Detractor' }],
  caseHandling: { sla: { firstResponse: '1d', resolution: '5d' }, followUpProgram: followUp.id },
});

/** CPU seconds used so far by this process and by the stack's children (found by their data directory). */
function cpuSeconds(dir: string): Record<'node' | 'temporal' | 'ferretdb', number> {
  const ticks = 100; // USER_HZ on Linux
  const usage = process.cpuUsage();
  const result = { node: (usage.user + usage.system) / 1e6, temporal: 0, ferretdb: 0 };
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let cmdline: string;
    let stat: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    if (!cmdline.includes(dir) || cmdline.includes('supervise')) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const seconds = (Number(fields[11]) + Number(fields[12])) / ticks;
    if (cmdline.includes('start-dev')) result.temporal += seconds;
    else if (cmdline.includes('ferretdb')) result.ferretdb += seconds;
  }
  return result;
}

const cpuSpent = (before: ReturnType<typeof cpuSeconds>, after: ReturnType<typeof cpuSeconds>, loops: number) =>
  Object.fromEntries(
    (Object.keys(before) as (keyof typeof before)[]).map((k) => [
      k,
      Math.round(((after[k] - before[k]) / loops) * 1000),
    ]),
  );

/** Activities, local activities and child workflows of a workflow and, recursively, of its children, from their histories. */
async function shapeOf(client: Client, workflowId: string): Promise<NoopShape> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const { activities, localActivities } = workOfEvents(events);
  const childIds = events
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId)
    .filter((id): id is string => !!id);
  return { activities, localActivities, children: await Promise.all(childIds.map((id) => shapeOf(client, id))) };
}

type Steps = { workflows: number; activities: number; localActivities: number };
const count = (shape: NoopShape): Steps =>
  shape.children.map(count).reduce(
    (a, b) => ({
      workflows: a.workflows + b.workflows,
      activities: a.activities + b.activities,
      localActivities: a.localActivities + b.localActivities,
    }),
    { workflows: 1, activities: shape.activities, localActivities: shape.localActivities },
  );

/** The shape with its local activities as regular ones: the ceiling the loop had before it ran any locally. */
const allRegular = (shape: NoopShape): NoopShape => ({
  activities: shape.activities + shape.localActivities,
  localActivities: 0,
  children: shape.children.map(allRegular),
});

/** Starts `n` no-op trees of `shape` at once and waits for all: trees per second. */
async function noopRate(address: string, shape: NoopShape, n: number, label: string): Promise<number> {
  const taskQueue = `noop-${label}`;
  const connection = await NativeConnection.connect({ address });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflowsPath: require.resolve('./noop-workflows'),
    activities: { noop: async () => {} },
  });
  const running = worker.run();
  const client = await connectTemporalClient({ address, namespace: 'default' });
  try {
    const started = Date.now();
    const handles = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        client.workflow.start('noopTree', {
          taskQueue,
          workflowId: `noop-${label}-${i}`,
          args: [shape, `noop-${label}-${i}`],
        }),
      ),
    );
    await Promise.all(handles.map((h) => h.result()));
    return (n / (Date.now() - started)) * 1000;
  } finally {
    worker.shutdown();
    await running;
    await client.connection.close();
    await connection.close();
  }
}

/** One Temporal server (and FerretDB, SMTP sink) with the given pragmas; stopped afterwards. */
async function withStack<T>(
  label: string,
  options: { persistTemporal: boolean; temporalSqlitePragmas?: string[] },
  run: (stack: Awaited<ReturnType<typeof startEmbeddedStack>>, dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `cxloop-bench-${label}-`));
  const stack = await startEmbeddedStack({ dataDir: dir, mongoDbName: 'cxloop_bench', mode: 'test', ...options });
  try {
    return await run(stack, dir);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** N closed loops through the public endpoints, driven by the emails; loops per second and one loop's shape. */
async function closedLoops(stack: Awaited<ReturnType<typeof startEmbeddedStack>>, dir: string) {
  const config = loadConfig({
    ...process.env,
    MONGODB_DB: 'cxloop_bench',
    DATA_DIR: dir,
    MIGRATE_ON_START: 'true',
    // Encrypted like production, so the codec's cost is in the numbers.
    TEMPORAL_CODEC_KEYS: process.env.TEMPORAL_CODEC_KEYS || newCodecKeyEntry('bench'),
    RATE_LIMIT_API: '10000000',
    RATE_LIMIT_PUBLIC: '10000000',
    LOG_LEVEL: 'warn',
  });
  const services = { ...stack, embeddedMail: true };
  const database = await connectDatabase(stack.mongoUri, config.mongo.dbName);
  const db = database.db;
  await ensureAdmin(db, OWNER, 'bench owner password');
  await storeProgram(db, followUp);
  await storeProgram(db, program);
  // After the harness's own connection: its once-a-second count is not the loops' cost.
  const tally = startCommandTally();
  const web = await startWeb(config, services, { port: 0 });
  const worker = await startWorker(config, services, { publicBaseUrl: web.url });
  const apiKey = 'bench-api-key-0123456789';
  await ensureApiKey(db, apiKey);
  const secret = await surveyTokenSecret(db, config.surveyTokenSecret);
  const limit = pLimit(CONCURRENCY);
  /** As a helpdesk would: a 503 (the case was busy) is retried after Retry-After, with the same Idempotency-Key. */
  const post = async (url: string, init: RequestInit) => {
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(url, init);
      if (res.status < 300) return;
      if (res.status !== 503 || attempt === 10) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      stats.retried++;
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    }
  };
  const stats = { retried: 0, redelivered: 0 };
  const form = (fields: Record<string, string>) => ({ method: 'POST', body: new URLSearchParams(fields) });
  const api = (body: unknown, idempotencyKey?: string) => ({
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
  });
  const ids = Array.from({ length: LOOPS }, (_, i) => `bench-${i}`);
  const stages: Record<string, number> = {};
  const reached = (name: string, n: number) => {
    if (n >= LOOPS) stages[name] ??= Date.now() - started;
  };
  const acted = { 'invitations answered': 0, 'cases resolved': 0, 'follow-ups answered': 0 };
  /** What each email asks for, done once: a message delivered twice (an SMTP retry) is read once. */
  const handled = new Set<string>();
  let failure: Error | undefined;
  const act = (stage: keyof typeof acted, step: () => Promise<void>) =>
    limit(step).then(
      () => reached(stage, ++acted[stage]),
      (err: Error) => {
        failure ??= err;
      },
    );
  const reply = (invitationId: string, answers: Record<string, string>) =>
    post(`${web.url}/s/${surveyTokenFor(secret, invitationId)}`, form(answers));
  // Customers and the owner act on the emails they receive, as people would: no polling of the
  // database, whose reads would be counted against the loop.
  const stopReading = stack.sink!.onMessage((message) => {
    const invitationId = message.headers['x-cxloop-invitation'];
    const caseId = message.headers['x-cxloop-case'];
    const subject = invitationId ?? (caseId && message.to.includes(OWNER) ? `owner:${caseId}` : undefined);
    if (!subject) return;
    if (handled.has(subject)) {
      stats.redelivered++;
      return;
    }
    handled.add(subject);
    if (invitationId?.startsWith(`${program.id}:`))
      act('invitations answered', () => reply(invitationId, { nps: '2' }));
    else if (invitationId?.startsWith(`${followUp.id}:`))
      act('follow-ups answered', () => reply(invitationId, { solved: 'yes', csat: '5' }));
    else if (caseId)
      act('cases resolved', () =>
        post(
          `${web.url}/api/cases/${encodeURIComponent(caseId)}/resolve`,
          api({ rootCause: 'Other', customerMessage: 'Fixed.' }, `resolve-${caseId.replace(/\W/g, '-')}`),
        ),
      );
  });
  const cpuBefore = cpuSeconds(dir);
  tally.reset();
  const started = Date.now();
  try {
    const events = ids.map((id) => ({
      id: `evt-${id}`,
      type: 'bench_purchase',
      occurredAt: new Date().toISOString(),
      customer: { id, email: `${id}@example.com`, name: id },
    }));
    await post(`${web.url}/api/events:batch`, api({ events }));
    // Once a second: a count of closed cases is the one read the harness makes.
    for (;;) {
      if (failure) throw failure;
      const closed = await c.cases(db).countDocuments({ status: 'closed' });
      if (closed >= LOOPS) break;
      if (Date.now() - started > 900_000) throw new Error(`only ${closed} of ${LOOPS} loops closed after 15 minutes`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    reached('closed', LOOPS);
    const loopsPerSecond = (LOOPS / (Date.now() - started)) * 1000;
    const commands = { total: round(tally.total / LOOPS), byCommand: tally.perUnit(LOOPS) };
    // The web tier, the worker and the driver share this process: `node` is all of them.
    const cpuMsPerLoop = cpuSpent(cpuBefore, cpuSeconds(dir), LOOPS);
    const client = await connectTemporalClient({ address: stack.temporalAddress, namespace: 'default' });
    // The loop's tree: customer loop → invitation → case (started by the invitation, so a child
    // of it in the no-op) → follow-up invitation.
    const loopId = customerLoopId(
      { customerKeySecret: await customerKeySecret(db, config.customerKeySecret) },
      ids[0]!,
    );
    const shape = await shapeOf(client, loopId);
    const temporalWork = await historyWork(
      client,
      `TaskQueue = "${config.temporal.taskQueue}" AND WorkflowType != "sweepWorkflow"`,
    );
    await client.connection.close();
    return {
      loopsPerSecond,
      commands,
      temporal: {
        total: perUnit(temporalWork.total, LOOPS),
        byType: Object.fromEntries(Object.entries(temporalWork.byType).map(([type, w]) => [type, perUnit(w, LOOPS)])),
      },
      stages,
      shape,
      cpuMsPerLoop,
      retriedRequests: stats.retried,
      redeliveredEmails: stats.redelivered,
    };
  } finally {
    tally.stop();
    stopReading();
    await worker.stop();
    await web.stop();
    await database.close();
  }
}

/** The counted cost of one closed loop: database commands by collection and command, Temporal work by workflow type. */
function printCosts(
  commands: { total: number; byCommand: { command: string; perUnit: number }[] },
  temporal: { total: HistoryWork; byType: Record<string, HistoryWork> },
) {
  console.log(`  database commands per closed loop: ${commands.total}`);
  console.table(Object.fromEntries(commands.byCommand.map((row) => [row.command, row.perUnit])));
  console.log('  Temporal work per closed loop, by workflow type:');
  console.table({ ...temporal.byType, total: temporal.total });
}

async function main() {
  installWorkerLogging('error');
  console.log(`closed loops: ${LOOPS} customers, ${CONCURRENCY} requests at a time`);
  const wal = await withStack('wal', { persistTemporal: true }, async (stack, dir) => {
    const loops = await closedLoops(stack, dir);
    console.log(`  closed loops on the persistent file (WAL): ${round(loops.loopsPerSecond)}/s`, loops.stages);
    console.log('  CPU ms per closed loop:', loops.cpuMsPerLoop);
    printCosts(loops.commands, loops.temporal);
    const before = cpuSeconds(dir);
    const noop = await noopRate(stack.temporalAddress, loops.shape, LOOPS, 'wal');
    const noopCpuMsPerLoop = cpuSpent(before, cpuSeconds(dir), LOOPS);
    console.log(`  no-op loops of the same shape, same server: ${round(noop)}/s; CPU ms per loop:`, noopCpuMsPerLoop);
    const noopRegular = await noopRate(stack.temporalAddress, allRegular(loops.shape), LOOPS, 'wal-regular');
    console.log(`  the same steps, all regular activities (the shape before local ones): ${round(noopRegular)}/s`);
    return { loops, noop, noopCpuMsPerLoop, noopRegular };
  });
  const steps = count(wal.loops.shape);
  console.log(
    `  one loop = ${steps.workflows} workflows, ${steps.activities} activities, ${steps.localActivities} local activities`,
  );
  const defaults = await withStack('defaults', { persistTemporal: true, temporalSqlitePragmas: [] }, (stack) =>
    noopRate(stack.temporalAddress, wal.loops.shape, LOOPS, 'defaults'),
  );
  console.log(`  no-op loops on the persistent file with SQLite's defaults: ${round(defaults)}/s`);
  const memory = await withStack('memory', { persistTemporal: false }, (stack) =>
    noopRate(stack.temporalAddress, wal.loops.shape, LOOPS, 'memory'),
  );
  console.log(`  no-op loops in memory: ${round(memory)}/s`);

  const result = {
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    loops: LOOPS,
    shape: steps,
    closedLoopsPerSecond: round(wal.loops.loopsPerSecond),
    perClosedLoop: { databaseCommands: wal.loops.commands, temporal: wal.loops.temporal },
    stagesMs: wal.loops.stages,
    cpuMsPerLoop: { closed: wal.loops.cpuMsPerLoop, noop: wal.noopCpuMsPerLoop },
    retriedRequests: wal.loops.retriedRequests,
    redeliveredEmails: wal.loops.redeliveredEmails,
    noopPerSecond: {
      wal: round(wal.noop),
      walAllRegular: round(wal.noopRegular),
      sqliteDefaults: round(defaults),
      memory: round(memory),
    },
    ratioClosedOverNoop: round(wal.loops.loopsPerSecond / wal.noop),
    ratioClosedOverAllRegularNoop: round(wal.loops.loopsPerSecond / wal.noopRegular),
    ratioWalOverDefaults: round(wal.noop / defaults),
    ratioMemoryOverWal: round(memory / wal.noop),
  };
  console.log(
    `closed loops reach ${result.ratioClosedOverNoop}× the no-op ceiling (${result.ratioClosedOverAllRegularNoop}× its steps all regular); WAL runs ${result.ratioWalOverDefaults}× SQLite's defaults; memory ${result.ratioMemoryOverWal}× WAL`,
  );
  const out = path.join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `cases-${result.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  writeFileSync(path.join(out, 'cases-latest.json'), JSON.stringify(result, null, 2));
  console.log(`results written to ${path.relative(process.cwd(), file)}`);
}

main().catch((err: Error) => {
  console.error(`benchmark failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
