/**
 * Insight page latency against the number of replies, with units and scoping on, on a deployment as
 * `npm start` runs it (embedded stack, one `npm run web`): the experience dashboard, quadrants,
 * journeys, case metrics, unit comparison and customers list, for an admin (everything) and for a
 * general manager scoped to one region of a company → 3 regions → 7 locations tree, with
 * BENCH_DASHBOARD_SMALL replies stored (default 10,000), then again with BENCH_DASHBOARD_LARGE
 * (default 200,000): a year of them across three programs (one a journey) and six segment
 * dimensions from 2,000 accounts, every tenth detractor opening a case. Goal: the large figure at
 * most 1.5× the small one, since every figure comes from the rollups by `_id`; the web process's
 * commands that select by anything but `_id` (scans on the embedded store) are counted per page.
 * `npm run bench:dashboard`; results in bench/results/dashboard-<time>.json.
 */
import os from 'node:os';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { lastDays } from '../src/domain/dashboard';
import { caseIncrement } from '../src/domain/case-metrics';
import {
  ALL_SEGMENT,
  rollupDay,
  rollupId,
  rollupIncrement,
  rollupMonthId,
  rollupSegments,
  unitPathSegments,
} from '../src/domain/rollup';
import { type ReplyScores, npsCategory } from '../src/domain/scoring';
import { type Unit, unitPath } from '../src/domain/units';
import { type JourneyPoint, withReply } from '../src/domain/journeys';
import { journeyCounterDocs, journeyMonths, journeySegments, journeyStates } from '../src/db/journey-counters';
import { type AdminClient, createUser, signIn } from '../test/support/admin';
import { round, sleep, startDeployment, writeResults } from './deployment';

const SMALL = Number(process.env.BENCH_DASHBOARD_SMALL ?? 10_000);
const LARGE = Number(process.env.BENCH_DASHBOARD_LARGE ?? 200_000);
const RUNS = 5;
const GOAL = 1.5;
const DAY_MS = 86_400_000;
const PROGRAMS = ['bench-purchase', 'bench-service', 'bench-relationship'];
const JOURNEY = ['signup', 'delivery', 'support'];
/** The regions and their locations: the unit tree below the company. */
const REGIONS: Record<string, string[]> = {
  EU: ['Berlin', 'Paris', 'London'],
  NA: ['New York', 'Toronto'],
  APAC: ['Sydney', 'Singapore'],
};
const DIMENSIONS = {
  platform: ['web', 'ios', 'android'],
  channel: ['store', 'online', 'phone'],
  vertical: ['retail', 'telco', 'utilities'],
  product: ['basic', 'plus', 'premium'],
};
/** Accounts the replies come from and the cases are opened against: accounts are fewer than replies. */
const ACCOUNTS = 2_000;
const unitIdOf = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const SCOPED_REGION = 'EU';

/** company → region → location, each region's and location's rule on the customers' attributes. */
function unitTree(gm: string): Unit[] {
  const units: Unit[] = [{ id: 'company', name: 'Company', parentId: null, manager: null, match: {} }];
  for (const [region, locations] of Object.entries(REGIONS)) {
    const regionId = `region-${unitIdOf(region)}`;
    units.push({
      id: regionId,
      name: region,
      parentId: 'company',
      manager: region === SCOPED_REGION ? gm : null,
      match: { region: [region] },
    });
    for (const location of locations)
      units.push({
        id: unitIdOf(location),
        name: location,
        parentId: regionId,
        manager: null,
        match: { location: [location] },
      });
  }
  return units;
}

/** Account `a`'s region and location: every location has accounts. */
function accountAttributes(a: number): Record<string, string | number> {
  const regions = Object.keys(REGIONS);
  const region = regions[a % regions.length]!;
  const locations = REGIONS[region]!;
  return {
    region,
    location: locations[Math.floor(a / regions.length) % locations.length]!,
    revenue: 1000 + (a % 97) * 500,
  };
}
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
  const account = i % ACCOUNTS;
  const { revenue: _revenue, ...place } = accountAttributes(account);
  const attributes = {
    ...place,
    ...Object.fromEntries(
      Object.entries(DIMENSIONS).map(([dimension, values], k) => [dimension, values[(i + k) % values.length]]),
    ),
  };
  const submittedAt = new Date(now - 1 - Math.floor(((i * 7919) % 365_000) / 1000) * DAY_MS - (i % 1000) * 60_000);
  return {
    id: `bench-${i}`,
    programId: PROGRAMS[i % PROGRAMS.length]!,
    customerId: `bench-account-${account}`,
    scores,
    attributes,
    submittedAt,
  };
}

const ROOT_CAUSES = ['Delivery delay', 'Billing error', 'Staff behaviour', 'Product defect'];

/**
 * Every tenth detractor's reply opens a case, resolved within 1–40 business hours (a few still
 * open): its changes as the scores' owner counts them, into the program's `all` rollup of the day.
 */
function caseOf(i: number, nps: number): Record<string, number> | null {
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
  return increment;
}

/** What the scores' owner keeps per account: scored replies, their summary, and cases. */
type AccountTotals = { count: number; sum: number; cases: number };

/** What the scores' owner keeps per account along the journey: its latest reply per step, in its units. */
type JourneyState = { points: JourneyPoint[]; segments: string[] };

/**
 * Replies `from` to `to` into `responses` (the journey program's also into `journey_replies`), and
 * their counts into the rollups of `all`, their segments and their units (kept in memory between
 * stages), into the accounts' score documents, and the journey program's into its counters.
 */
async function storeReplies(
  db: Db,
  units: readonly Unit[],
  rollups: Map<string, c.RollupDoc>,
  accounts: Map<string, AccountTotals>,
  journeys: Map<string, JourneyState>,
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
        customerId: r.customerId,
        answers: { nps: r.scores.nps! },
        scores: r.scores,
        submittedAt: r.submittedAt,
        updatedAt: r.submittedAt,
        editableUntil: r.submittedAt,
        finalizedAt: r.submittedAt,
        edits: 0,
      })),
    );
    const journey = page.filter((r) => r.programId === PROGRAMS[0]);
    await c.journeyReplies(db).insertMany(
      journey.map((r, k) => ({
        _id: r.id,
        programId: r.programId,
        customerId: r.customerId,
        step: k % JOURNEY.length,
        touchPoint: JOURNEY[k % JOURNEY.length]!,
        score: r.scores.summary!,
        at: r.submittedAt,
      })),
    );
    for (const [k, r] of journey.entries()) {
      const state = journeys.get(r.customerId) ?? { points: [], segments: [] };
      const point = { step: k % JOURNEY.length, score: r.scores.summary!, at: r.submittedAt.getTime() };
      const points = withReply(state.points, point);
      if (points)
        journeys.set(r.customerId, {
          points,
          segments: [ALL_SEGMENT, ...unitPathSegments(unitPath(units, r.attributes))],
        });
    }
    for (const [k, reply] of page.entries()) {
      const day = rollupDay(reply.submittedAt.getTime());
      const path = unitPath(units, reply.attributes);
      const account = accounts.get(reply.customerId) ?? { count: 0, sum: 0, cases: 0 };
      accounts.set(reply.customerId, {
        ...account,
        count: account.count + 1,
        sum: account.sum + reply.scores.summary!,
      });
      const opened = caseOf(start + k, reply.scores.nps!);
      if (opened) {
        for (const segment of [ALL_SEGMENT, ...unitPathSegments(path)])
          addCounts(rollupOf(rollups, reply.programId, day, segment), opened);
        accounts.get(reply.customerId)!.cases += 1;
      }
      for (const segment of rollupSegments(reply.attributes, path))
        addCounts(rollupOf(rollups, reply.programId, day, segment), rollupIncrement(reply.scores));
    }
    if ((start / 1000) % 20 === 0) console.log(`  ${start + page.length} replies stored`);
  }
  // The accounts' scores, as the owner keeps them in the customers' score documents.
  await c.customerScores(db).deleteMany({});
  const scores = [...accounts].map(([id, totals]) => ({ _id: id, ...totals }));
  for (let i = 0; i < scores.length; i += 500) await c.customerScores(db).insertMany(scores.slice(i, i + 500));
  // As the scores' owner leaves them: each rollup with its counters, and its copy in its month's
  // document (written here at once: the backfill of every rollup took minutes per stage).
  await c.rollups(db).deleteMany({});
  const docs = [...rollups.values()];
  for (let i = 0; i < docs.length; i += 500) await c.rollups(db).insertMany(docs.slice(i, i + 500));
  await c.rollupMonths(db).deleteMany({});
  const months = monthsOf(docs);
  for (let i = 0; i < months.length; i += 200) await c.rollupMonths(db).insertMany(months.slice(i, i + 200));
  await storeJourneyCounters(db, journeys);
  return { rollups: docs.length, months: months.length };
}

/** The journey's counters as the scores' owner leaves them (src/db/journey-counters.ts). */
async function storeJourneyCounters(db: Db, journeys: Map<string, JourneyState>) {
  const docs = journeyCounterDocs(
    [...journeys].map(([customerId, state]) => ({ programId: PROGRAMS[0]!, customerId, ...state })),
  );
  for (const [collection, list] of [
    [journeyMonths(db), docs.months],
    [journeySegments(db), docs.segments],
    [journeyStates(db), docs.states],
  ] as const) {
    await collection.deleteMany({});
    for (let i = 0; i < list.length; i += 200) await collection.insertMany(list.slice(i, i + 200) as never[]);
  }
}

/** The rollups' month documents, as the owner's copies leave them (src/db/rollup-totals.ts). */
function monthsOf(rollups: c.RollupDoc[]): c.RollupMonthDoc[] {
  const months = new Map<string, c.RollupMonthDoc>();
  for (const { _id, programId, day, segment, ...counters } of rollups) {
    const month = day.slice(0, 7);
    const id = rollupMonthId(programId, month, segment);
    const doc = months.get(id) ?? { _id: id, programId, month, segment, days: {} };
    doc.days![day.slice(8, 10)] = counters;
    months.set(id, doc);
    const allId = rollupMonthId(programId, month, ALL_SEGMENT);
    const all = months.get(allId) ?? { _id: allId, programId, month, segment: ALL_SEGMENT, days: {} };
    all.segments = [...new Set([...(all.segments ?? []), segment])];
    months.set(allId, all);
  }
  return [...months.values()];
}

/** The accounts as customers, placed in the units by their region and location. */
async function storeAccounts(db: Db) {
  const at = new Date();
  const customers = Array.from({ length: ACCOUNTS }, (_, a) => ({
    _id: `bench-account-${a}`,
    email: `account-${a}@bench.test`,
    name: `Account ${a}`,
    locale: 'en',
    attributes: accountAttributes(a),
    unsubscribed: false,
    createdAt: at,
    updatedAt: at,
  }));
  for (let i = 0; i < customers.length; i += 500) await c.customers(db).insertMany(customers.slice(i, i + 500));
}

const rollupOf = (rollups: Map<string, c.RollupDoc>, programId: string, day: string, segment: string) =>
  rollups.get(rollupId(programId, day, segment)) ?? newRollup(rollups, programId, day, segment);

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

type Tally = () => Map<string, number>;

/** The commands counted in `after` beyond `before`, by collection and command. */
function added(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [key, n] of after) if (n > (before.get(key) ?? 0)) diff[key] = n - (before.get(key) ?? 0);
  return diff;
}

/**
 * The median of RUNS timed fetches, in ms, and the web process's commands that selected by anything
 * but `_id` per fetch (its tally file is rewritten twice a second, hence the wait).
 */
async function measured(path: string, fetchPage: () => Promise<Response>, scans: Tally) {
  const before = scans();
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const res = await fetchPage();
    await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    times.push(performance.now() - started);
  }
  await sleep(1_200);
  const perFetch = Object.fromEntries(Object.entries(added(before, scans())).map(([k, n]) => [k, round(n / RUNS)]));
  return { ms: round(times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!), scans: perFetch };
}

const PAGES = (today: string) => {
  const year = lastDays(today, 365);
  return {
    dashboard90Days: '/admin/dashboard',
    dashboardYear: `/admin/dashboard?from=${year.from}&to=${year.to}&compare=year`,
    quadrants: '/admin/quadrants',
    journeys: '/admin/journeys',
    caseMetrics90Days: '/admin/case-metrics',
    caseMetricsYear: `/admin/case-metrics?from=${year.from}&to=${year.to}&compare=year`,
    unitComparison: '/admin/units/compare',
    customers: '/admin/customers',
  };
};

/** Collections that grow with replies or customers: a page must not scan them. */
const GROWING = ['responses', 'customers', 'customer_scores', 'journey_replies', 'invitations', 'cases'];

async function measure(people: Record<string, AdminClient>, today: string, scans: Tally) {
  const figures: Record<string, Record<string, { ms: number; scans: Record<string, number> }>> = {};
  for (const [who, client] of Object.entries(people)) {
    figures[who] = {};
    for (const [page, path] of Object.entries(PAGES(today)))
      figures[who][page] = await measured(path, () => client.get(path), scans);
  }
  return figures;
}

/** `page: ms` for each person, and the collections that grow that each page scanned. */
function summary(figures: Awaited<ReturnType<typeof measure>>) {
  return Object.fromEntries(
    Object.entries(figures).map(([who, pages]) => [
      who,
      Object.fromEntries(
        Object.entries(pages).map(([page, f]) => [
          page,
          {
            ms: f.ms,
            scans: Object.entries(f.scans)
              .filter(([key]) => GROWING.includes(key.split(' ')[0]!))
              .map(([key, n]) => `${key} ×${n}`),
          },
        ]),
      ),
    ]),
  );
}

async function main() {
  console.log(`insight pages with units: ${SMALL} replies, then ${LARGE}`);
  const deployment = await startDeployment({ name: 'cxloop_bench_dashboard', webs: 1, workers: 0 });
  try {
    const { db } = deployment;
    const baseUrl = deployment.webs[0]!.url!;
    const adminUser = await createUser(db, 'admin');
    // The GM manages one region and is assigned nothing else: they see that region and below (a
    // case owner, as a viewer has no customers list).
    const gmUser = await createUser(db, 'case_owner');
    await c.users(db).updateOne({ _id: gmUser.email }, { $set: { units: [] } });
    const units = unitTree(gmUser.email);
    await deployment.api('PUT', '/api/units', { units, version: 0 });
    const people = {
      admin: await signIn(baseUrl, adminUser.email, adminUser.password),
      gm: await signIn(baseUrl, gmUser.email, gmUser.password),
    };
    const now = Date.now();
    const today = rollupDay(now);
    const rollups = new Map<string, c.RollupDoc>();
    const accounts = new Map<string, AccountTotals>();
    const journeys = new Map<string, JourneyState>();
    // The dashboard's "all programs" are the programs defined; the first follows a journey.
    for (const [k, id] of PROGRAMS.entries())
      await deployment.api('PUT', `/api/programs/${id}`, {
        id,
        name: id,
        kind: k === 0 ? 'transactional' : 'pulsed',
        ...(k === 0 ? { triggers: JOURNEY, journey: { name: 'Onboarding', touchPoints: JOURNEY } } : {}),
        reminders: [],
        survey: { questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
        email: { subject: 'One question', intro: 'Tell us.' },
      });
    await storeAccounts(db);

    const smallStore = await storeReplies(db, units, rollups, accounts, journeys, 0, SMALL, now);
    const small = await measure(people, today, deployment.commandScans);
    console.log(`  ${SMALL} replies (${smallStore.rollups} rollups):`, JSON.stringify(summary(small)));
    const largeStore = await storeReplies(db, units, rollups, accounts, journeys, SMALL, LARGE, now);
    const large = await measure(people, today, deployment.commandScans);
    console.log(`  ${LARGE} replies (${largeStore.rollups} rollups):`, JSON.stringify(summary(large)));

    const ratios = Object.fromEntries(
      Object.entries(small).map(([who, pages]) => [
        who,
        Object.fromEntries(Object.entries(pages).map(([page, f]) => [page, round(large[who]![page]!.ms / f.ms)])),
      ]),
    );
    const worst = Math.max(...Object.values(ratios).flatMap((pages) => Object.values(pages)));
    console.log(
      `\n| page | admin ${SMALL} → ${LARGE} (ratio) | GM of ${SMALL} → ${LARGE} (ratio) | GM's scans of growing collections per request |`,
    );
    console.log('| --- | --- | --- | --- |');
    for (const page of Object.keys(small.admin!)) {
      const cell = (who: string) =>
        `${round(small[who]![page]!.ms / 1000)} → ${round(large[who]![page]!.ms / 1000)} s (${ratios[who]![page]}×)`;
      const scanned = summary(large).gm![page]!.scans;
      console.log(`| ${page} | ${cell('admin')} | ${cell('gm')} | ${scanned.length ? scanned.join(', ') : 'none'} |`);
    }
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, loadavg: os.loadavg() },
      replies: { small: SMALL, large: LARGE },
      accounts: ACCOUNTS,
      units: units.length,
      rollups: { small: smallStore.rollups, large: largeStore.rollups },
      months: { small: smallStore.months, large: largeStore.months },
      figures: { small, large },
      ratios,
      goal: { largeOverSmall: GOAL, met: worst <= GOAL },
    };
    console.log(
      `\nworst large/small ${worst} (goal ≤ ${GOAL}×: ${worst <= GOAL ? 'met' : 'not met'}); ` +
        `${largeStore.rollups} rollups in ${largeStore.months} month documents; load ${os.loadavg().map(round).join(' ')}`,
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
