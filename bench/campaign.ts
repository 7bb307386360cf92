/**
 * A pulsed campaign to a large segment, on a deployment as `npm start` runs it (embedded stack with
 * Temporal's persistent file; one `npm run web`, one `npm run worker`):
 *   - customers signalled per second by the campaign's fan-out, against the raw signal-with-start
 *     rate of the same Temporal server measured in the same run (the same call, at the same
 *     concurrency, to loops no worker runs); goal at least 0.7×;
 *   - surveys sent per second (emails arriving in the SMTP sink) while the campaign runs;
 *   - the worker's resident memory at 1,000 and at 10,000 open customer loops (loops it has run,
 *     now waiting for the reply), median and peak; goal: medians within 20%.
 * `npm run bench:campaign` (BENCH_CAMPAIGN_CUSTOMERS, default 100,000; BENCH_RAW_SIGNALS, default
 * 5,000; BENCH_SEND_SECONDS: how long sends are counted after the last customer is signalled,
 * default 120; BENCH_MAX_SECONDS: when to stop and report what was handed over so far;
 * WORKER_MAX_CACHED_WORKFLOWS is passed on to the worker, BENCH_NODE_OPTIONS as NODE_OPTIONS to the
 * web and the worker). Results in
 * bench/results/campaign-<time>.json. Exits non-zero when an email is sent twice.
 */
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import { insertNewCustomers } from '../src/db/customers';
import { signalCustomerLoop } from '../src/temporal/loop-client';
import { SIGNAL_CONCURRENCY } from '../activities/hand-over';
import { type Deployment, round, rssMb, sleep, startDeployment, writeResults } from './deployment';
import { historyWork, perUnit } from '../src/temporal/history-tally';
import { campaignDecidedSignal } from '../workflows/definitions';
import { codecDataConverter, newCodecKeyEntry, parseCodecKeys } from '../src/temporal/codec';

const CUSTOMERS = Number(process.env.BENCH_CAMPAIGN_CUSTOMERS ?? 100_000);
const RAW_SIGNALS = Number(process.env.BENCH_RAW_SIGNALS ?? 5_000);
const SEND_SECONDS = Number(process.env.BENCH_SEND_SECONDS ?? 120);
/** A bound on the run: past it the figures are taken from what was handed over so far. */
const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 600 + CUSTOMERS / 3);
/** The concurrency of the campaign's hand-over (activities/hand-over.ts). */
const SIGNAL_GOAL = 0.7;
const MEMORY_GOAL = 0.2;
const PROGRAM_ID = 'bench-pulse';
const CAMPAIGN_ID = 'bench-campaign';

/** signalCustomerLoop itself, `count` times at the hand-over's concurrency, to a task queue no worker polls. */
async function rawSignalWithStartRate(temporalAddress: string, count: number): Promise<number> {
  const connection = await Connection.connect({ address: temporalAddress });
  try {
    const loop = {
      // Encrypted like the web's client, so the codec's cost is in the rate.
      temporal: new Client({
        connection,
        dataConverter: codecDataConverter(parseCodecKeys(newCodecKeyEntry('bench'))),
      }),
      taskQueue: `bench-raw-${Date.now().toString(36)}`,
      loopIdleTimeout: '1h',
      customerKeySecret: 'bench-customer-key-secret-0123456789',
      log: (msg: string) => {
        throw new Error(msg);
      },
    };
    const limit = pLimit(SIGNAL_CONCURRENCY);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: count }, (_, i) => limit(() => signalCustomerLoop(loop, `raw-${i}`, `raw-event-${i}`))),
    );
    return count / ((performance.now() - started) / 1000);
  } finally {
    await connection.close();
  }
}

/**
 * What handing one customer over and deciding on them costs, counted: the web and worker's database
 * commands while the campaign ran (its sends included) per customer decided, the campaign
 * workflow's history per customer decided, and the histories of a sample of the loops and
 * invitations it started.
 */
async function costPerCustomer(deployment: Deployment, before: Map<string, number>) {
  const connection = await Connection.connect({ address: deployment.stack.temporalAddress });
  try {
    const client = new Client({ connection });
    const time = await handOverTime(client);
    const decided = Math.max(time.decided, 1);
    console.log(
      `  hand-over time: ${time.pageSeconds} s in fan-out pages, ${time.waitSeconds} s waiting for decisions (${time.waits} waits); ${time.decided} decided`,
    );
    const commands = new Map(
      [...deployment.commandCounts()].map(([key, n]) => [key, n - (before.get(key) ?? 0)] as const),
    );
    const byCommand = Object.fromEntries(
      [...commands]
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([key, n]) => [key, round(n / decided)]),
    );
    const campaign = await historyWork(client, `WorkflowType = "campaignWorkflow"`);
    const sample = (type: string) => historyWork(client, `WorkflowType = "${type}"`, { limit: 200 });
    const [loops, invitations] = await Promise.all([
      sample('customerLoopWorkflow'),
      sample('surveyInvitationWorkflow'),
    ]);
    const temporal = {
      campaignWorkflow: perUnit(campaign.total, decided),
      customerLoopWorkflow: perUnit(loops.total, Math.max(loops.total.runs, 1)),
      surveyInvitationWorkflow: perUnit(invitations.total, Math.max(invitations.total.runs, 1)),
    };
    const total = Object.values(byCommand).reduce((a, b) => a + b, 0);
    console.log(`  database commands per customer decided (hand-over, decision, invitation, email): ${round(total)}`);
    console.table(byCommand);
    console.log('  Temporal work per customer (the campaign per customer decided; a loop and an invitation per run):');
    console.table(temporal);
    return { databaseCommands: { total: round(total), byCommand }, temporal, handOverTime: time };
  } finally {
    await connection.close();
  }
}

type HistoryEvents = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>;

const eventMs = (event: HistoryEvents[number]) =>
  Number(event.eventTime?.seconds ?? 0) * 1000 + (event.eventTime?.nanos ?? 0) / 1e6;

/**
 * Where the campaign's hand-over time went, from its histories: seconds inside its fan-out pages
 * (signal-with-start calls) and seconds its flow control waited for the loops' decisions (the
 * catch-up timer of `campaignWorkflow`, 2 minutes, cancelled when the loops caught up); and the
 * decisions it counted (its progress document, which the bench polls, is saved only between pages).
 */
async function handOverTime(client: Client) {
  let pageSeconds = 0;
  let waitSeconds = 0;
  let waits = 0;
  let decided = 0;
  for await (const run of client.workflow.list({ query: `WorkflowType = "campaignWorkflow"` })) {
    const events = (await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory()).events ?? [];
    const pages = new Map<string, number>();
    const catchUps = new Map<string, number>();
    for (const event of events) {
      const at = eventMs(event);
      if (event.workflowExecutionSignaledEventAttributes?.signalName === campaignDecidedSignal.name) decided++;
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'fanOutCampaign') pages.set(String(event.eventId), at);
      const done = event.activityTaskCompletedEventAttributes;
      const started = pages.get(String(done?.scheduledEventId));
      if (started !== undefined) pageSeconds += (at - started) / 1000;
      const timer = event.timerStartedEventAttributes;
      if (timer && Number(timer.startToFireTimeout?.seconds) === 120) catchUps.set(timer.timerId!, at);
      const ended = event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId;
      const waited = ended === undefined || ended === null ? undefined : catchUps.get(ended);
      if (waited !== undefined) {
        waitSeconds += (at - waited) / 1000;
        waits++;
      }
    }
  }
  return { pageSeconds: round(pageSeconds), waitSeconds: round(waitSeconds), waits, decided };
}

interface Sample {
  seconds: number;
  status: string;
  signalled: number;
  decided: number;
  emails: number;
  workerRssMb: number;
}

async function main() {
  console.log(
    `campaign fan-out: ${CUSTOMERS} customers; raw signal-with-start baseline: ${RAW_SIGNALS} signals, ${SIGNAL_CONCURRENCY} in flight`,
  );
  const cache = process.env.WORKER_MAX_CACHED_WORKFLOWS;
  const nodeOptions = process.env.BENCH_NODE_OPTIONS;
  const deployment = await startDeployment({
    name: 'cxloop_bench_campaign',
    webs: 1,
    workers: 1,
    env: {
      ...(cache ? { WORKER_MAX_CACHED_WORKFLOWS: cache } : {}),
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
  });
  let failed = false;
  try {
    const { db, stack } = deployment;
    const workerPid = deployment.workers[0]!.pid;
    const raw = round(await rawSignalWithStartRate(stack.temporalAddress, RAW_SIGNALS));
    console.log(`  raw signal-with-start: ${raw}/s`);

    for (let from = 0; from < CUSTOMERS; from += 1_000) {
      const profiles = Array.from({ length: Math.min(1_000, CUSTOMERS - from) }, (_, k) => {
        const id = `bench-${String(from + k).padStart(7, '0')}`;
        return { id, email: `${id}@example.com`, locale: 'en', attributes: { cohort: 'bench' } };
      });
      await insertNewCustomers(db, profiles);
    }
    console.log(`  ${CUSTOMERS} customers stored`);
    await deployment.api('PUT', `/api/programs/${PROGRAM_ID}`, {
      id: PROGRAM_ID,
      name: 'Bench pulse',
      kind: 'pulsed',
      reminders: [],
      survey: { questions: [{ id: 'ces', type: 'ces', required: true, label: 'How easy was it?' }] },
      email: { subject: 'One quick question', intro: 'Tell us.' },
      contactRules: {
        minIntervalAnyProgram: '0s',
        minIntervalSameProgram: '0s',
        maxPerWindow: { count: 1000, window: '1d' },
      },
    });

    // Every email, by its Message-ID: the sink sees a second delivery of one invitation.
    const deliveries = new Map<string, number>();
    stack.sink!.onMessage((message) => {
      const id = message.headers['x-cxloop-invitation'];
      if (id) deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
    });
    const samples: Sample[] = [];
    const commandsBefore = deployment.commandCounts();
    const launched = performance.now();
    await deployment.api('POST', '/api/campaigns', {
      id: CAMPAIGN_ID,
      name: 'Bench campaign',
      programId: PROGRAM_ID,
      segment: { attributes: { cohort: ['bench'] } },
    });
    let signalledAt: number | undefined;
    const deadline = launched + MAX_SECONDS * 1000;
    let last: Sample;
    for (;;) {
      await sleep(500);
      const { progress } = (await deployment.api('GET', `/api/campaigns/${CAMPAIGN_ID}`)) as {
        progress: { status: string; matched: number; signalled: number; decided: number };
      };
      const now = performance.now();
      const sample: Sample = {
        seconds: round((now - launched) / 1000),
        status: progress.status,
        signalled: progress.signalled,
        decided: progress.decided,
        emails: deliveries.size,
        workerRssMb: round(rssMb(workerPid)),
      };
      samples.push(sample);
      last = sample;
      if (samples.length % 20 === 0)
        console.log(
          `  ${sample.seconds} s: ${sample.status}, ${sample.signalled} signalled, ${sample.decided} decided, ${sample.emails} emails, worker ${sample.workerRssMb} MB`,
        );

      if (signalledAt === undefined && progress.matched === CUSTOMERS && progress.signalled >= CUSTOMERS)
        signalledAt = now;
      if (signalledAt !== undefined && (now - signalledAt > SEND_SECONDS * 1000 || deliveries.size >= CUSTOMERS)) break;
      if (now > deadline) break;
    }
    await deployment.api('POST', `/api/campaigns/${CAMPAIGN_ID}/cancel`).catch(() => undefined);

    // From the first page saved to the last customer handed over: the progress shows the selection
    // until the first page ends, so that page's own time cannot be told apart and is left out.
    const firstPage = samples.find((s) => s.signalled > 0) ?? last;
    const signalSeconds = ((signalledAt ?? performance.now()) - launched) / 1000 - firstPage.seconds;
    const signalledPerSecond = round((last.signalled - firstPage.signalled) / signalSeconds);
    const emailsPerSecond = round(last.emails / last.seconds);
    /**
     * The worker's resident memory while the loops it has run (each then stays open, waiting for
     * the reply) number from `from` up to twice that: the median, since V8's heaps rise and fall by
     * a hundred MB or more between collections, and the peak. Loops signalled but not yet run by the
     * worker are left out: they cost it nothing yet.
     */
    const rssWhileOpen = (from: number) => {
      const rss = samples
        .filter((s) => s.decided >= from && s.decided < 2 * from)
        .map((s) => s.workerRssMb)
        .sort((a, b) => a - b);
      return rss.length ? { median: rss[Math.floor(rss.length / 2)]!, peak: rss.at(-1)! } : null;
    };
    const rssAt1k = rssWhileOpen(1_000);
    const rssAt10k = rssWhileOpen(10_000);
    const memoryGrowth = rssAt1k && rssAt10k ? round(rssAt10k.median / rssAt1k.median - 1) : null;
    const duplicates = [...deliveries.values()].filter((n) => n > 1).length;
    const costs = await costPerCustomer(deployment, commandsBefore);
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      customers: CUSTOMERS,
      workerMaxCachedWorkflows: cache ?? 'default',
      nodeOptions: nodeOptions ?? null,
      /** Handed over by the end of the run: all of them, unless BENCH_MAX_SECONDS stopped it first. */
      handedOver: last.signalled,
      complete: signalledAt !== undefined,
      rawSignalWithStartPerSecond: raw,
      firstPageSavedAtSeconds: firstPage.seconds,
      signalSeconds: round(signalSeconds),
      signalledPerSecond,
      signalledVsRaw: round(signalledPerSecond / raw),
      emails: last.emails,
      emailsPerSecond,
      duplicateEmails: duplicates,
      workerRssMb: { at1kLoops: rssAt1k, at10kLoops: rssAt10k, growth: memoryGrowth },
      perCustomer: costs,
      goals: {
        signalledVsRaw: { goal: SIGNAL_GOAL, met: signalledPerSecond / raw >= SIGNAL_GOAL },
        memoryGrowth: { goal: MEMORY_GOAL, met: memoryGrowth !== null && memoryGrowth <= MEMORY_GOAL },
      },
      samples,
    };
    if (signalledAt === undefined)
      console.log(
        `stopped after ${last.seconds} s (BENCH_MAX_SECONDS) with ${last.signalled} of ${CUSTOMERS} handed over`,
      );
    console.log(
      `signalled ${signalledPerSecond}/s = ${results.signalledVsRaw}× raw signal-with-start (goal ≥ ${SIGNAL_GOAL}×: ${results.goals.signalledVsRaw.met ? 'met' : 'not met'}); ` +
        `${last.emails} surveys sent in ${last.seconds} s (${emailsPerSecond}/s); ` +
        `worker RSS (median/peak) ${rssAt1k?.median}/${rssAt1k?.peak} MB at 1,000 open loops, ${rssAt10k?.median}/${rssAt10k?.peak} MB at 10,000 (${memoryGrowth === null ? 'not reached' : `${round(memoryGrowth * 100)}%`}, goal ≤ ${MEMORY_GOAL * 100}%)`,
    );
    console.log(`results: ${writeResults('campaign', results)}`);
    if (duplicates) throw new Error(`${duplicates} invitations were emailed more than once`);
  } catch (err) {
    failed = true;
    console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
    await sleep(1000); // the processes' logs are written asynchronously
    console.error(deployment.outputs().slice(-20_000));
  } finally {
    await deployment.stop();
  }
  if (failed) process.exitCode = 1;
}

void main();
