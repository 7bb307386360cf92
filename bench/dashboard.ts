/**
 * Experience dashboard and case-metrics latency against the number of replies, on a deployment as
 * `npm start` runs it (embedded stack, one `npm run web`): the pages and their APIs with
 * BENCH_DASHBOARD_SMALL replies stored (default 10,000), then again with BENCH_DASHBOARD_LARGE
 * (default 200,000), a year of them across three programs and six segment dimensions, every tenth
 * detractor opening a case against one of 2,000 accounts. Goal: the
 * large figure at most 1.5× the small one, since every figure comes from the rollups.
 * `npm run bench:dashboard`; results in bench/results/dashboard-<time>.json.
 */
import os from 'node:os';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { backfillRollupTotals } from '../src/db/rollup-totals';
import { lastDays } from '../src/domain/dashboard';
import { caseIncrement } from '../src/domain/case-metrics';
import { ALL_SEGMENT, rollupDay, rollupId, rollupIncrement, rollupSegments } from '../src/domain/rollup';
import { type ReplyScores, npsCategory } from '../src/domain/scoring';
import { type AdminClient, createUser, signIn } from '../test/support/admin';
import { round, startDeployment, writeResults } from './deployment';

const SMALL = Number(process.env.BENCH_DASHBOARD_SMALL ?? 10_000);
const LARGE = Number(process.env.BENCH_DASHBOARD_LARGE ?? 200_000);
const RUNS = 7;
const GOAL = 1.5;
const DAY_MS = 86_400_000;
const PROGRAMS = ['bench-purchase', 'bench-service', 'bench-relationship'];
const DIMENSIONS = {
  region: ['EU', 'NA', 'APAC'],
  location: ['Berlin', 'Paris', 'London', 'New York', 'Toronto', 'Sydney', 'Singapore'],
  platform: ['web', 'ios', 'android'],
  channel: ['store', 'online', 'phone'],
  vertical: ['retail', 'telco', 'utilities'],
  product: ['basic', 'plus', 'premium'],
};
const THEMES = ['delivery', 'staff', 'price', 'quality', 'waiting'];

/** Reply `i`: spread evenly over the last year, the programs and every segment value. */
function replyAt(i: number, now: number) {
  const nps = (i * 7) % 11;
  const scores: ReplyScores = {
    nps,
    npsCategory: npsCategory(nps),
    csat: 1 + (i % 5),
    csatSatisfied: i % 5 >= 3,
    summary: nps * 10,
    themes: [THEMES[i % THEMES.length]!],
    sentiment: nps >= 9 ? 'positive' : nps <= 6 ? 'negative' : 'neutral',
    verbatim: 'bench',
  } as ReplyScores;
  const attributes = Object.fromEntries(
    Object.entries(DIMENSIONS).map(([dimension, values], k) => [dimension, values[(i + k) % values.length]]),
  );
  const submittedAt = new Date(now - 1 - Math.floor(((i * 7919) % 365_000) / 1000) * DAY_MS - (i % 1000) * 60_000);
  return { id: `bench-${i}`, programId: PROGRAMS[i % PROGRAMS.length]!, scores, attributes, submittedAt };
}

const ROOT_CAUSES = ['Delivery delay', 'Billing error', 'Staff behaviour', 'Product defect'];
/** Accounts the cases are opened against: accounts are fewer than replies. */
const ACCOUNTS = 2_000;

/**
 * Every tenth detractor's reply opens a case, resolved within 1–40 business hours (a few still
 * open): its changes as the scores' owner counts them, into the program's `all` rollup of the day.
 */
function caseOf(i: number, nps: number): { increment: Record<string, number>; account: string } | null {
  if (i % 10 !== 0 || nps > 6) return null;
  const facts = {
    status: 'open' as const,
    ownerId: `owner-${i % 7}@bench.test`,
    teamId: `team-${i % 3}`,
    breached: i % 4 === 0,
  };
  const increment = caseIncrement({ kind: 'opened', before: null, after: facts });
  if (i % 50 !== 0)
    for (const [path, n] of Object.entries(
      caseIncrement({
        kind: 'resolve',
        before: facts,
        after: { ...facts, status: 'resolved', rootCause: ROOT_CAUSES[i % ROOT_CAUSES.length]! },
        businessMsToResolve: (1 + (i % 40)) * 3_600_000,
      }),
    ))
      increment[path] = (increment[path] ?? 0) + n;
  return { increment, account: `bench-account-${i % ACCOUNTS}` };
}

/** Replies `from` to `to` into `responses`, and their counts into the rollups (kept in memory between stages). */
async function storeReplies(
  db: Db,
  rollups: Map<string, c.RollupDoc>,
  accounts: Map<string, number>,
  from: number,
  to: number,
  now: number,
) {
  for (let start = from; start < to; start += 1000) {
    const page = Array.from({ length: Math.min(1000, to - start) }, (_, k) => replyAt(start + k, now));
    await c.responses(db).insertMany(
      page.map((r) => ({
        _id: r.id,
        invitationId: r.id,
        programId: r.programId,
        customerId: `bench-customer-${r.id}`,
        answers: { nps: r.scores.nps! },
        scores: r.scores,
        submittedAt: r.submittedAt,
        updatedAt: r.submittedAt,
        editableUntil: r.submittedAt,
        finalizedAt: r.submittedAt,
        edits: 0,
      })),
    );
    for (const [k, reply] of page.entries()) {
      const day = rollupDay(reply.submittedAt.getTime());
      const opened = caseOf(start + k, reply.scores.nps!);
      if (opened) {
        addCounts(
          rollups.get(rollupId(reply.programId, day, ALL_SEGMENT)) ?? newRollup(rollups, reply.programId, day),
          opened.increment,
        );
        accounts.set(opened.account, (accounts.get(opened.account) ?? 0) + 1);
      }
      for (const segment of rollupSegments(reply.attributes)) {
        const id = rollupId(reply.programId, day, segment);
        const doc = rollups.get(id) ?? newRollup(rollups, reply.programId, day, segment);
        addCounts(doc, rollupIncrement(reply.scores));
      }
    }
    if ((start / 1000) % 20 === 0) console.log(`  ${start + page.length} replies stored`);
  }
  // The accounts' case counts, as the owner keeps them in the customers' score documents.
  await c.customerScores(db).deleteMany({});
  const scores = [...accounts].map(([id, cases]) => ({ _id: id, count: 0, sum: 0, cases }));
  for (let i = 0; i < scores.length; i += 500) await c.customerScores(db).insertMany(scores.slice(i, i + 500));
  // As the scores' owner leaves them: each rollup with its counters.
  await c.rollups(db).deleteMany({});
  const docs = [...rollups.values()];
  for (let i = 0; i < docs.length; i += 500) await c.rollups(db).insertMany(docs.slice(i, i + 500));
  const started = performance.now();
  await c.rollupMonths(db).deleteMany({});
  await backfillRollupTotals(db);
  return { rollups: docs.length, backfillSeconds: round((performance.now() - started) / 1000) };
}

function newRollup(rollups: Map<string, c.RollupDoc>, programId: string, day: string, segment = ALL_SEGMENT) {
  const id = rollupId(programId, day, segment);
  const doc: c.RollupDoc = { _id: id, programId, day, segment };
  rollups.set(id, doc);
  return doc;
}

/** Adds an `$inc` of dotted paths (any depth) to a document held in memory. */
function addCounts(doc: c.RollupDoc, increment: Record<string, number>) {
  for (const [path, n] of Object.entries(increment)) {
    const keys = path.split('.');
    let target = doc as unknown as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    const last = keys.at(-1)!;
    target[last] = ((target[last] as number | undefined) ?? 0) + n;
  }
}

/** The median of RUNS timed fetches of `path`, in ms. */
async function medianMs(fetchPath: () => Promise<Response>): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const res = await fetchPath();
    await res.text();
    if (!res.ok) throw new Error(`dashboard answered ${res.status}`);
    times.push(performance.now() - started);
  }
  return round(times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!);
}

async function measure(admin: AdminClient, baseUrl: string, apiKey: string, today: string) {
  const year = lastDays(today, 365);
  const queries = {
    page90Days: '/admin/dashboard',
    pageYear: `/admin/dashboard?from=${year.from}&to=${year.to}&compare=year`,
    pageSegment: `/admin/dashboard?segment=region:EU&program=${PROGRAMS[0]}`,
  };
  const figures: Record<string, number> = {};
  for (const [name, path] of Object.entries(queries)) figures[name] = await medianMs(() => admin.get(path));
  figures.apiYear = await medianMs(() =>
    fetch(`${baseUrl}/api/metrics/experience?from=${year.from}&to=${year.to}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    }),
  );
  figures.casesPage90Days = await medianMs(() => admin.get('/admin/case-metrics'));
  figures.casesPageYear = await medianMs(() =>
    admin.get(`/admin/case-metrics?from=${year.from}&to=${year.to}&compare=year`),
  );
  figures.casesApiYear = await medianMs(() =>
    fetch(`${baseUrl}/api/metrics/cases?from=${year.from}&to=${year.to}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    }),
  );
  return figures;
}

async function main() {
  console.log(`dashboard latency: ${SMALL} replies, then ${LARGE}`);
  const deployment = await startDeployment({ name: 'cxloop_bench_dashboard', webs: 1, workers: 0 });
  try {
    const { db } = deployment;
    const baseUrl = deployment.webs[0]!.url!;
    const user = await createUser(db, 'viewer');
    const admin = await signIn(baseUrl, user.email, user.password);
    const now = Date.now();
    const today = rollupDay(now);
    const rollups = new Map<string, c.RollupDoc>();
    const accounts = new Map<string, number>();
    // The dashboard's "all programs" are the programs defined.
    for (const id of PROGRAMS)
      await deployment.api('PUT', `/api/programs/${id}`, {
        id,
        name: id,
        kind: 'pulsed',
        reminders: [],
        survey: { questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
        email: { subject: 'One question', intro: 'Tell us.' },
      });

    const smallStore = await storeReplies(db, rollups, accounts, 0, SMALL, now);
    const small = await measure(admin, baseUrl, deployment.apiKey, today);
    console.log(`  ${SMALL} replies (${smallStore.rollups} rollups): ${JSON.stringify(small)} ms`);
    const largeStore = await storeReplies(db, rollups, accounts, SMALL, LARGE, now);
    const large = await measure(admin, baseUrl, deployment.apiKey, today);
    console.log(`  ${LARGE} replies (${largeStore.rollups} rollups): ${JSON.stringify(large)} ms`);

    const ratios = Object.fromEntries(Object.keys(small).map((k) => [k, round(large[k]! / small[k]!)]));
    const worst = Math.max(...Object.values(ratios));
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      replies: { small: SMALL, large: LARGE },
      rollups: { small: smallStore.rollups, large: largeStore.rollups },
      backfillSeconds: { small: smallStore.backfillSeconds, large: largeStore.backfillSeconds },
      medianMs: { small, large },
      ratios,
      goal: { largeOverSmall: GOAL, met: worst <= GOAL },
    };
    console.log(
      `large/small: ${JSON.stringify(ratios)} (goal ≤ ${GOAL}×: ${worst <= GOAL ? 'met' : 'not met'}); ` +
        `backfill of ${largeStore.rollups} rollups ${largeStore.backfillSeconds} s`,
    );
    console.log(`results: ${writeResults('dashboard', results)}`);
  } catch (err) {
    process.exitCode = 1;
    console.error(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
    console.error(deployment.outputs().slice(-20_000));
  } finally {
    await deployment.stop();
  }
}

void main();
