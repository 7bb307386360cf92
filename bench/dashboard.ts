/**
 * Experience dashboard latency against the number of replies, on a deployment as `npm start` runs
 * it (embedded stack, one `npm run web`): the page and `GET /api/metrics/experience` with
 * BENCH_DASHBOARD_SMALL replies stored (default 10,000), then again with BENCH_DASHBOARD_LARGE
 * (default 200,000), a year of them across three programs and six segment dimensions. Goal: the
 * large figure at most 1.5× the small one, since every figure comes from the rollups.
 * `npm run bench:dashboard`; results in bench/results/dashboard-<time>.json.
 */
import os from 'node:os';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { backfillRollupTotals } from '../src/db/rollup-totals';
import { lastDays } from '../src/domain/dashboard';
import { rollupDay, rollupId, rollupIncrement, rollupSegments } from '../src/domain/rollup';
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

/** Replies `from` to `to` into `responses`, and their counts into the rollups (kept in memory between stages). */
async function storeReplies(db: Db, rollups: Map<string, c.RollupDoc>, from: number, to: number, now: number) {
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
    for (const reply of page) {
      const day = rollupDay(reply.submittedAt.getTime());
      for (const segment of rollupSegments(reply.attributes)) {
        const id = rollupId(reply.programId, day, segment);
        const doc = rollups.get(id) ?? { _id: id, programId: reply.programId, day, segment, replyIds: [] };
        addCounts(doc, rollupIncrement(reply.scores));
        doc.replyIds.push(reply.id);
        rollups.set(id, doc);
      }
    }
    if ((start / 1000) % 20 === 0) console.log(`  ${start + page.length} replies stored`);
  }
  // As the scores' owner leaves them: each rollup with its counters and its reply list.
  await c.rollups(db).deleteMany({});
  const docs = [...rollups.values()];
  for (let i = 0; i < docs.length; i += 500) await c.rollups(db).insertMany(docs.slice(i, i + 500));
  const started = performance.now();
  await c.rollupMonths(db).deleteMany({});
  await backfillRollupTotals(db);
  return { rollups: docs.length, backfillSeconds: round((performance.now() - started) / 1000) };
}

function addCounts(doc: c.RollupDoc, increment: Record<string, number>) {
  const target = doc as unknown as Record<string, Record<string, number> | number>;
  for (const [path, n] of Object.entries(increment)) {
    const [head, tail] = path.split('.') as [string, string | undefined];
    if (tail) {
      const group = (target[head] ??= {}) as Record<string, number>;
      group[tail] = (group[tail] ?? 0) + n;
    } else target[head] = ((target[head] as number | undefined) ?? 0) + n;
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

    const smallStore = await storeReplies(db, rollups, 0, SMALL, now);
    const small = await measure(admin, baseUrl, deployment.apiKey, today);
    console.log(`  ${SMALL} replies (${smallStore.rollups} rollups): ${JSON.stringify(small)} ms`);
    const largeStore = await storeReplies(db, rollups, SMALL, LARGE, now);
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
