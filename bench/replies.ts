/**
 * Reply ingestion over HTTP: survey replies posted at a fixed concurrency to the production web
 * process (`npm run web`, its own OS process, with one `npm run worker`) on the embedded stack with
 * Temporal's persistent file, as `npm start` runs it — replies/s, p50/p99 latency, and none lost
 * (the program's rollup counts every reply once, with the known NPS sum) — against an Express
 * hello-world measured by the same load generator at the same concurrency in the same run (goal:
 * at least 0.3× its requests/s); then the same number of replies spread over two web processes.
 * `npm run bench:replies` (BENCH_REPLIES, default 200; BENCH_CONCURRENCY, default 16; BENCH_CPU_PROFILE_DIR:
 * the web and worker processes write V8 CPU profiles of each phase's timed replies there); results in
 * bench/results/replies-<time>.json. Exits non-zero when a reply is refused, lost or counted twice.
 * Also counted, independent of load: database commands per reply of each process (web, worker),
 * with the scans among them, the Temporal work a reply sets off, and the same for opening the survey page.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { rollupDay, rollupId } from '../src/domain/rollup';
import { freePort } from '../src/stack/ports';
import { connectTemporalClient } from '../src/temporal/connection';
import { type HistoryWork, historyWork, perUnit, workOfEvents } from '../src/temporal/history-tally';
import { invitationWorkflowId } from '../workflows/definitions';
import type { CxProcess } from '../test/support/launch';
import { waitUntil } from '../test/support/wait';
import { cpuSeconds, cpuSpent, round, sleep, startDeployment, writeResults } from './deployment';

const REPLIES = Number(process.env.BENCH_REPLIES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
/** Replies per web process answered before the clock starts, so the timed ones meet warm code and pools. */
const WARMUP_PER_WEB = 25;
/** The hello-world answers in well under a millisecond: it needs more requests for a steady rate. */
const BASELINE_REQUESTS = Math.max(REPLIES, 5000);
const GOAL = 0.3;
const ROOT = path.resolve(__dirname, '..');
/** Invitation workflows whose histories after the reply are counted (each the same work). */
const HISTORY_SAMPLE = 20;

interface Form {
  url: string;
  /** Posted as a form; without one, the page is fetched (GET). */
  body?: string;
}

interface Load {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Requests not answered 200, by their index in the list. */
  refused: { index: number; detail: string }[];
}

/** Posts every form with `concurrency` requests in flight (fetch keeps the connections alive), timing each. */
async function load(forms: Form[], concurrency: number): Promise<Load> {
  const latencies: number[] = [];
  const refused: Load['refused'] = [];
  let next = 0;
  const client = async () => {
    while (next < forms.length) {
      const index = next++;
      const { url, body } = forms[index]!;
      const started = performance.now();
      try {
        const res = await fetch(
          url,
          body === undefined
            ? {}
            : { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body },
        );
        const text = await res.text(); // read to the end, or the connection is not reused
        if (res.status !== 200) refused.push({ index, detail: `${res.status} ${url}: ${text.slice(0, 300)}` });
      } catch (err) {
        refused.push({ index, detail: `${url}: ${(err as Error).message}` });
      }
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const percentile = (q: number) => round(latencies[Math.max(0, Math.ceil(q * latencies.length) - 1)] ?? 0);
  return {
    requests: forms.length,
    perSecond: round(forms.length / seconds),
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    refused,
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

type Commands = Map<string, number>;

/** The commands one process counted so far (src/db/command-tally.ts), all and scans. */
function tallyOf(dir: string, pid: number): { counts: Commands; scans: Commands } {
  try {
    const file = JSON.parse(readFileSync(path.join(dir, `${pid}.json`), 'utf8')) as Record<
      'counts' | 'scans',
      [string, number][]
    >;
    return { counts: new Map(file.counts), scans: new Map(file.scans) };
  } catch {
    return { counts: new Map(), scans: new Map() };
  }
}

/** The commands of `pids` (summed) counted since `before`, per unit of work, most frequent first. */
function commandsSince(dir: string, pids: number[], before: Map<number, ReturnType<typeof tallyOf>>, units: number) {
  const total = (which: 'counts' | 'scans') => {
    const sum: Commands = new Map();
    for (const pid of pids) {
      const earlier = before.get(pid)?.[which] ?? new Map<string, number>();
      for (const [key, n] of tallyOf(dir, pid)[which]) sum.set(key, (sum.get(key) ?? 0) + n - (earlier.get(key) ?? 0));
    }
    return [...sum].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  };
  const per = (rows: [string, number][]) => Object.fromEntries(rows.map(([key, n]) => [key, round(n / units)]));
  const sum = (rows: [string, number][]) => round(rows.reduce((n, [, k]) => n + k, 0) / units);
  const counts = total('counts');
  const scans = total('scans');
  return { total: sum(counts), scans: sum(scans), byCommand: per(counts), scansByCommand: per(scans) };
}

type CommandsPerUnit = ReturnType<typeof commandsSince>;

/** Every process's tally now, to subtract later. */
const talliesNow = (dir: string, pids: number[]) => new Map(pids.map((pid) => [pid, tallyOf(dir, pid)]));

/**
 * The Temporal work of a reply in its invitation's workflow: the events from the reply's signal on
 * (acknowledge, wait out the edit window, finalize, decide on a case), from a sample of histories.
 */
async function replyWorkInInvitations(client: Client, invitationIds: string[]): Promise<HistoryWork> {
  const sample = invitationIds.slice(0, HISTORY_SAMPLE);
  const afterReplies = [];
  for (const id of sample) {
    const events = (await client.workflow.getHandle(invitationWorkflowId(id)).fetchHistory()).events ?? [];
    const signalled = events.findIndex((event) => event.workflowExecutionSignaledEventAttributes);
    if (signalled < 0) throw new Error(`invitation ${id} never received its reply`);
    afterReplies.push(...events.slice(signalled));
  }
  return perUnit(workOfEvents(afterReplies), sample.length);
}

/** The scores' owner's work so far, over all its runs. */
const scoresOwnerWork = async (client: Client) => (await historyWork(client, 'WorkflowType = "scoresWorkflow"')).total;

/** As test/support/harness.ts reads it (not imported: the harness imports vitest). */
function surveyLinkIn(text: string): string {
  const match = /(https?:\/\/[^\s]+\/s\/[A-Za-z0-9_-]+)(?=\s|$)/m.exec(text);
  if (!match) throw new Error(`no survey link in:\n${text}`);
  return match[1]!;
}

/** One configuration: its own program and customers, whose replies go round-robin to `webs`. */
interface Phase {
  label: string;
  programId: string;
  trigger: string;
  webs: CxProcess[];
  customers: { id: string; eventId: string; nps: number }[];
}

function phaseOf(label: string, run: string, webs: CxProcess[]): Phase {
  const programId = `bench-replies-${label}-${run}`;
  return {
    label,
    programId,
    trigger: `purchase_${programId.replace(/-/g, '_')}`,
    webs,
    customers: Array.from({ length: WARMUP_PER_WEB * webs.length + REPLIES }, (_, i) => ({
      id: `${programId}-c${i}`,
      eventId: `${programId}-e${i}`,
      nps: i % 11,
    })),
  };
}

/** The program's replies and NPS sum in its rollups, once they count `target` replies or the time is up. */
async function rollupCount(db: Db, programId: string, since: number, target: number) {
  const deadline = Date.now() + 60_000 + target * 1_000;
  for (;;) {
    // Filtered on _id alone: the one filter FerretDB answers from an index (README, bench:cases).
    const days = [...new Set([rollupDay(since), rollupDay(Date.now())])];
    const docs = await Promise.all(days.map((day) => c.rollups(db).findOne({ _id: rollupId(programId, day, 'all') })));
    const replies = docs.reduce((n, doc) => n + (doc?.responses ?? 0), 0);
    const npsSum = docs.reduce((n, doc) => n + (doc?.nps?.sum ?? 0), 0);
    if (replies >= target || Date.now() > deadline) return { replies, npsSum, at: Date.now() };
    await sleep(200);
  }
}

/** What a phase measures with: the processes, where they count their commands, Temporal. */
interface Probe {
  db: Db;
  pids: Record<string, number>;
  tallyDir: string;
  workerPids: number[];
  temporal: Client;
  /** Start and stop the CPU profiles of the web and worker processes (bench/cpu-profile.mjs). */
  profile: boolean;
}

/** Starts, or stops and writes, the CPU profiles of `pids` (bench/cpu-profile.mjs). */
const toggleProfiles = (pids: number[]) => {
  for (const pid of pids) process.kill(pid, 'SIGURG');
};

/** Waits until the workers' commands stop growing: the last replies' workflow steps after the rollup counted them. */
async function workersSettled(probe: Probe): Promise<void> {
  const totalNow = () =>
    probe.workerPids.reduce(
      (n, pid) => n + [...tallyOf(probe.tallyDir, pid).counts.values()].reduce((a, b) => a + b, 0),
      0,
    );
  let last = -1;
  for (let waited = 0; waited < 30_000; waited += 1_500) {
    const now = totalNow();
    if (now === last) return;
    last = now;
    await sleep(1_500); // each process rewrites its tally twice a second
  }
}

/**
 * Warm-up replies, then (with `pages`) the timed replies' survey pages opened first, as a customer
 * does, then the timed replies, then the wait until the rollup counts them all.
 */
async function replyPhase(phase: Phase, mails: Map<string, string>, probe: Probe, pages: boolean) {
  const { db, pids, tallyDir } = probe;
  const webPids = phase.webs.map((web) => web.pid);
  const forms = phase.customers.map((customer, i): Form => {
    const web = phase.webs[i % phase.webs.length]!;
    const link = surveyLinkIn(mails.get(`${phase.programId}:${customer.eventId}`)!);
    return { url: link.replace(/^https?:\/\/[^/]+/, web.url!), body: `nps=${customer.nps}` };
  });
  const warmups = WARMUP_PER_WEB * phase.webs.length;
  const since = Date.now();
  const warmup = await load(forms.slice(0, warmups), CONCURRENCY);
  // The warm-up's replies are counted before the clock starts, so their workflow work is not timed.
  await rollupCount(db, phase.programId, since, warmups - warmup.refused.length);
  await workersSettled(probe);
  let pageViews: (Omit<Load, 'refused'> & { refused: number; webCommands: CommandsPerUnit }) | undefined;
  if (pages) {
    const tallies = talliesNow(tallyDir, webPids);
    await sleep(1_000);
    const { refused, ...viewed } = await load(
      forms.slice(warmups).map(({ url }) => ({ url })),
      CONCURRENCY,
    );
    await sleep(1_000); // each process rewrites its tally twice a second
    pageViews = {
      ...viewed,
      refused: refused.length,
      webCommands: commandsSince(tallyDir, webPids, tallies, viewed.requests),
    };
  }
  const tallies = talliesNow(tallyDir, [...webPids, ...probe.workerPids]);
  const ownerBefore = await scoresOwnerWork(probe.temporal);
  const profiled = [...webPids, ...probe.workerPids];
  if (probe.profile) toggleProfiles(profiled);
  const before = cpuSeconds(pids);
  const started = Date.now();
  const timed = await load(forms.slice(warmups), CONCURRENCY);
  const afterReplies = cpuSeconds(pids);
  await sleep(1_000);
  const webCommands = commandsSince(tallyDir, webPids, tallies, timed.requests);
  const refused = [...warmup.refused, ...timed.refused.map((r) => ({ ...r, index: r.index + warmups }))];
  const refusedIndexes = new Set(refused.map((r) => r.index));
  const accepted = phase.customers.filter((_, i) => !refusedIndexes.has(i));
  const total = await rollupCount(db, phase.programId, since, accepted.length);
  const cpuUntilCounted = cpuSpent(before, cpuSeconds(pids));
  if (probe.profile) toggleProfiles(profiled);
  await workersSettled(probe);
  const workerCommands = commandsSince(tallyDir, probe.workerPids, tallies, timed.requests);
  const ownerAfter = await scoresOwnerWork(probe.temporal);
  const ownerWork = Object.fromEntries(
    Object.entries(ownerAfter).map(([key, n]) => [key, n - ownerBefore[key as keyof HistoryWork]]),
  ) as unknown as HistoryWork;
  const timedIds = phase.customers.slice(warmups).map((customer) => `${phase.programId}:${customer.eventId}`);
  const expectedNpsSum = accepted.reduce((n, customer) => n + customer.nps, 0);
  const webCpuSeconds = webPids.reduce((n, pid) => {
    const name = Object.keys(pids).find((key) => pids[key] === pid)!;
    return n + (afterReplies[name]! - before[name]!);
  }, 0);
  return {
    webs: phase.webs.length,
    replies: timed.requests,
    warmupReplies: warmups,
    perSecond: timed.perSecond,
    p50Ms: timed.p50Ms,
    p99Ms: timed.p99Ms,
    refused: refused.length,
    counted: total.replies,
    /** Answered 200 but never counted; refused replies (the customer saw an error) are counted apart. */
    lost: Math.max(0, accepted.length - total.replies),
    overcounted: Math.max(0, total.replies - accepted.length),
    npsSum: { expected: expectedNpsSum, counted: total.npsSum },
    /** Timed replies per second from the first request until the rollup counts the last: web, workflow and rollup. */
    countedPerSecond: round(timed.requests / ((total.at - started) / 1000)),
    cpuSeconds: { replies: cpuSpent(before, afterReplies), untilCounted: cpuUntilCounted },
    /** CPU of the web processes per reply while the replies were posted. */
    webCpuMsPerReply: round((webCpuSeconds * 1000) / timed.requests),
    commandsPerReply: { web: webCommands, worker: workerCommands },
    temporalPerReply: {
      invitation: await replyWorkInInvitations(probe.temporal, timedIds),
      scoresOwner: perUnit(ownerWork, timed.requests),
    },
    pageViews,
    refusals: refused.slice(0, 5).map((r) => r.detail),
  };
}

type PhaseResult = Awaited<ReturnType<typeof replyPhase>>;

/** The counted cost of a reply (and of opening its page): load-independent, unlike the times. */
function printCosts(result: PhaseResult) {
  const { web, worker } = result.commandsPerReply;
  if (result.pageViews) {
    const { perSecond, p50Ms, p99Ms, webCommands } = result.pageViews;
    console.log(
      `    survey page (GET): ${perSecond}/s, p50 ${p50Ms} ms, p99 ${p99Ms} ms; ` +
        `web commands per page ${webCommands.total} (scans ${webCommands.scans})`,
    );
  }
  console.log(
    `    per reply: web CPU ${result.webCpuMsPerReply} ms; database commands web ${web.total} ` +
      `(scans ${web.scans}), worker ${worker.total} (scans ${worker.scans})`,
  );
  console.table({
    ...Object.fromEntries(Object.entries(web.byCommand).map(([key, n]) => [`web: ${key}`, n])),
    ...Object.fromEntries(Object.entries(worker.byCommand).map(([key, n]) => [`worker: ${key}`, n])),
  });
  if (web.scans || worker.scans)
    console.log('    scans per reply:', { ...web.scansByCommand, ...worker.scansByCommand });
  console.log('    Temporal work per reply (invitation after the reply; scores owner):');
  console.table(result.temporalPerReply);
}

function problemsOf(label: string, result: PhaseResult): string[] {
  const problems: string[] = [];
  if (result.refused) problems.push(`${label}: ${result.refused} replies refused:\n  ${result.refusals.join('\n  ')}`);
  if (result.lost) problems.push(`${label}: ${result.lost} accepted replies never counted by the rollup`);
  if (result.overcounted)
    problems.push(`${label}: the rollup counts ${result.overcounted} replies more than were accepted`);
  if (result.npsSum.counted !== result.npsSum.expected)
    problems.push(`${label}: NPS sum ${result.npsSum.counted}, expected ${result.npsSum.expected}`);
  return problems;
}

async function main() {
  console.log(`reply ingestion: ${REPLIES} replies per configuration, ${CONCURRENCY} requests in flight`);
  console.log('starting the embedded stack, bundling the workflows, starting two web processes and a worker…');
  const profiles = process.env.BENCH_CPU_PROFILE_DIR;
  const deployment = await startDeployment({
    name: 'cxloop_bench_replies',
    webs: 2,
    workers: 1,
    ...(profiles
      ? {
          env: {
            NODE_OPTIONS: `--import ${path.join(__dirname, 'cpu-profile.mjs')}`,
            CXLOOP_CPU_PROFILE_DIR: path.resolve(profiles),
          },
        }
      : {}),
  });
  /** Undone in reverse order, whatever happens. */
  const cleanup: (() => Promise<unknown>)[] = [() => deployment.stop()];
  try {
    const { stack, webs, db } = deployment;
    const [webA, webB] = webs as [CxProcess, CxProcess];
    const pids = deployment.pids();

    // Customers answer the emails they receive; the sink tells this process as each arrives, so
    // the wait adds no reads to the database.
    const mails = new Map<string, string>();
    stack.sink!.onMessage((message) => {
      const invitationId = message.headers['x-cxloop-invitation'];
      if (invitationId) mails.set(invitationId, message.text);
    });

    const run = Date.now().toString(36);
    const phases = [phaseOf('one-web', run, [webA]), phaseOf('two-webs', run, [webA, webB])];
    const call = (web: CxProcess, method: string, route: string, body: unknown) =>
      deployment.api(method, route, body, web);
    const invited = Date.now();
    for (const phase of phases) {
      await call(webA, 'PUT', `/api/programs/${phase.programId}`, {
        id: phase.programId,
        name: `Bench replies (${phase.label})`,
        kind: 'transactional',
        triggers: [phase.trigger],
        reminders: [],
        survey: { editGrace: '0s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
        email: { subject: 'How did we do?', intro: 'Tell us.' },
        contactRules: { minIntervalAnyProgram: '0s', minIntervalSameProgram: '0s' },
      });
      const events = phase.customers.map((customer) => ({
        id: customer.eventId,
        type: phase.trigger,
        occurredAt: new Date().toISOString(),
        customer: { id: customer.id, email: `${customer.id}@example.com`, name: customer.id },
      }));
      for (let i = 0; i * 50 < events.length; i++)
        await call(phase.webs[i % phase.webs.length]!, 'POST', '/api/events:batch', {
          events: events.slice(i * 50, i * 50 + 50),
        });
    }
    const invitations = phases.reduce((n, phase) => n + phase.customers.length, 0);
    await waitUntil(
      `${invitations} invitation emails`,
      async () => mails.size >= invitations,
      // One worker on 2 cores sends about 1–3 invitations a second.
      60_000 + invitations * 1_500,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${mails.size} arrived`);
    });
    console.log(`  ${invitations} invitations emailed in ${round((Date.now() - invited) / 1000)} s`);

    const port = await freePort();
    const hello = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'hello-world.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    cleanup.push(() => stopChild(hello));
    const helloUrl = `http://127.0.0.1:${port}/`;
    await waitUntil('the hello-world to answer', () =>
      fetch(helloUrl).then(
        (res) => res.ok,
        () => false,
      ),
    );
    const helloForms = (n: number) => Array.from({ length: n }, (_, i) => ({ url: helloUrl, body: `nps=${i % 11}` }));
    await load(helloForms(500), CONCURRENCY);
    const helloPids = { hello: hello.pid!, ...pids };
    const cpuBefore = cpuSeconds(helloPids);
    const baseline = await load(helloForms(BASELINE_REQUESTS), CONCURRENCY);
    const helloWorld = {
      requests: baseline.requests,
      perSecond: baseline.perSecond,
      p50Ms: baseline.p50Ms,
      p99Ms: baseline.p99Ms,
      cpuSeconds: cpuSpent(cpuBefore, cpuSeconds(helloPids)),
    };
    await stopChild(hello);
    if (baseline.refused.length) throw new Error(`the hello-world refused: ${baseline.refused[0]!.detail}`);
    console.log(
      `  hello-world: ${helloWorld.perSecond} requests/s, p50 ${helloWorld.p50Ms} ms, p99 ${helloWorld.p99Ms} ms`,
    );

    const temporal = await connectTemporalClient({ address: stack.temporalAddress, namespace: 'default' });
    cleanup.push(() => temporal.connection.close());
    const probe: Probe = {
      db,
      pids,
      tallyDir: path.join(deployment.dir, 'command-tallies'),
      workerPids: deployment.workers.map((worker) => worker.pid),
      temporal,
      profile: Boolean(profiles),
    };
    const results: Record<string, PhaseResult> = {};
    for (const [i, phase] of phases.entries()) {
      const result = await replyPhase(phase, mails, probe, i === 0);
      results[phase.label] = result;
      console.log(
        `  ${phase.label}: ${result.perSecond} replies/s (${round(result.perSecond / helloWorld.perSecond)}× hello-world), ` +
          `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; refused ${result.refused}, lost ${result.lost}; ` +
          `counted by the rollup at ${result.countedPerSecond}/s`,
      );
      printCosts(result);
    }
    const oneWeb = results['one-web']!;
    const twoWebs = results['two-webs']!;
    const result = {
      at: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      concurrency: CONCURRENCY,
      replies: REPLIES,
      helloWorld,
      oneWeb,
      twoWebs,
      ratios: {
        oneWebOverHelloWorld: round(oneWeb.perSecond / helloWorld.perSecond),
        twoWebsOverHelloWorld: round(twoWebs.perSecond / helloWorld.perSecond),
        twoWebsOverOneWeb: round(twoWebs.perSecond / oneWeb.perSecond),
      },
      goal: { oneWebOverHelloWorld: GOAL, met: oneWeb.perSecond / helloWorld.perSecond >= GOAL },
    };
    console.log(
      `one web process reaches ${result.ratios.oneWebOverHelloWorld}× the hello-world's requests/s ` +
        `(goal ≥ ${GOAL}×: ${result.goal.met ? 'met' : 'not met'}); two web processes ` +
        `${result.ratios.twoWebsOverHelloWorld}×, ${result.ratios.twoWebsOverOneWeb}× one`,
    );
    console.log('  CPU seconds during the timed replies:', {
      'one-web': oneWeb.cpuSeconds.replies,
      'two-webs': twoWebs.cpuSeconds.replies,
    });
    console.log(`results written to ${writeResults('replies', result)}`);

    const problems = [...problemsOf('one web', oneWeb), ...problemsOf('two webs', twoWebs)];
    if (problems.length) {
      throw new Error(problems.join('\n'));
    }
  } catch (err) {
    process.exitCode = 1;
    console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
    await sleep(1000); // the processes' logs are written asynchronously
    console.error(deployment.outputs());
  } finally {
    for (const undo of cleanup.reverse()) await undo().catch((err: Error) => console.error(err.message));
  }
}

void main();
