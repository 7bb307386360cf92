/**
 * A year of past replies for `npm start`, so that every dashboard chart means something: 240
 * customers across regions, locations, platforms, channels, verticals and products, about 2,500
 * scored replies to the demo's purchase, service and relationship programs, with seasons, a trend
 * and the verbatims the programs' themes find. Generated from a fixed seed: the same each time.
 */
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { insertNewCustomers } from '../db/customers';
import { insertManyOnce } from '../db/insert-once';
import { oncePerDatabase } from '../db/markers';
import type { CustomerProfile } from '../domain/customer';
import { type TProgramInput, ZProgram } from '../domain/program';
import { type FunnelStep, type ScoreContribution, funnelContribution, scoreContribution } from '../domain/rollup';
import { demoAgent } from './frontline';
import { type ReplyScores, isCsatSatisfied, scoreReply } from '../domain/scoring';
import { type CaseChange, type CaseFacts, caseMetricsContribution } from '../domain/case-metrics';
import { FOLLOW_UP_PROGRAM_ID } from '../domain/case-schemas';
import { handOverCounted } from '../temporal/scores-owner';
import { DEFAULT_UNITS, type Unit, unitPath } from '../domain/units';
import { loadUnits } from '../db/units';

const DAY_MS = 86_400_000;
const CUSTOMERS = 240;
const DAYS = 365;

/** mulberry32: a small deterministic generator, so that the demo's history is the same on every machine. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOCATIONS = [
  { region: 'EU', location: 'Berlin' },
  { region: 'EU', location: 'Paris' },
  { region: 'EU', location: 'London' },
  { region: 'NA', location: 'New York' },
  { region: 'NA', location: 'Toronto' },
  { region: 'APAC', location: 'Sydney' },
  { region: 'APAC', location: 'Singapore' },
];
const PLATFORMS = ['web', 'ios', 'android'];
const CHANNELS = ['store', 'online', 'phone'];
const VERTICALS = ['retail', 'telco', 'utilities'];
const PRODUCTS = ['basic', 'plus', 'premium'];

/** Verbatims by how the customer felt; the demo programs' themes find delivery, staff, price, waiting… */
const COMMENTS = {
  low: [
    'The delivery was late again and the box arrived damaged.',
    'Far too expensive for what you get, I want a refund.',
    'The technician was late and I had to wait all morning.',
    'Support never called back, the service was poor.',
    'The staff at the store were rude.',
  ],
  mid: [
    'Fine overall, but shipping took a while.',
    'Okay quality, the price could be lower.',
    'The engineer fixed it, but the wait was long.',
  ],
  high: [
    'Friendly staff and a quick delivery, thank you!',
    'Great quality and a fair price.',
    'The technician was very knowledgeable.',
    'Helpful support, solved in minutes.',
  ],
};

function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)]!;
}

function historyCustomers(random: () => number): CustomerProfile[] {
  return Array.from({ length: CUSTOMERS }, (_, i) => {
    const id = `hist-${String(i + 1).padStart(3, '0')}`;
    const place = pick(random, LOCATIONS);
    return {
      id,
      email: `${id}@example.com`,
      name: `History customer ${i + 1}`,
      locale: place.location === 'Berlin' ? 'de' : 'en',
      attributes: {
        ...place,
        platform: pick(random, PLATFORMS),
        channel: pick(random, CHANNELS),
        vertical: pick(random, VERTICALS),
        product: pick(random, PRODUCTS),
        // Revenue spread over two orders of magnitude, as accounts are.
        revenue: Math.round(500 * Math.exp(random() * 4.6)),
      },
    };
  });
}

/**
 * How a customer feels on a day, 0 (angry) to 1 (delighted): better on premium, worse in APAC and
 * over the year-end delivery crunch, slowly improving over the year.
 */
function mood(random: () => number, attributes: Record<string, unknown>, daysAgo: number, at: Date): number {
  let m = 0.72 + (random() - 0.5) * 0.7;
  if (attributes.product === 'premium') m += 0.08;
  if (attributes.product === 'basic') m -= 0.05;
  if (attributes.region === 'APAC') m -= 0.1;
  if (attributes.channel === 'phone') m -= 0.04;
  const month = at.getUTCMonth();
  if (month === 10 || month === 11) m -= 0.12;
  m += (0.1 * (DAYS - daysAgo)) / DAYS;
  return Math.min(1, Math.max(0, m));
}

function answersFor(random: () => number, programId: string, m: number): Record<string, unknown> {
  const comment = random() < 0.6 ? pick(random, m < 0.45 ? COMMENTS.low : m < 0.7 ? COMMENTS.mid : COMMENTS.high) : '';
  if (programId === 'service-csat')
    return {
      csat: Math.max(1, Math.min(5, Math.round(1 + m * 4))),
      ces: Math.max(1, Math.min(7, Math.round(1 + m * 6))),
      ...(comment ? { comment } : {}),
    };
  const nps = Math.max(0, Math.min(10, Math.round(m * 10)));
  if (programId === 'relationship-nps') return { nps, ...(comment ? { improve: comment } : {}) };
  const follow = nps <= 6 ? 'went_wrong' : nps <= 8 ? 'make_it_ten' : 'went_well';
  return { nps, ...(comment ? { [follow]: comment } : {}) };
}

/** A past reply as stored once scored: its edit window over, final. */
function finalReply(
  id: string,
  programId: string,
  customerId: string,
  answers: c.ResponseDoc['answers'],
  scores: ReplyScores,
  submittedAt: Date,
): c.ResponseDoc {
  return {
    _id: id,
    invitationId: id,
    programId,
    customerId,
    answers,
    submittedAt,
    updatedAt: submittedAt,
    editableUntil: submittedAt,
    finalizedAt: submittedAt,
    edits: 0,
    scores,
  };
}

export interface DemoHistory {
  customers: CustomerProfile[];
  replies: c.ResponseDoc[];
  contributions: ScoreContribution[];
  /** The reply funnel's steps: the replies' invitations and as many again left unanswered. */
  funnel: ScoreContribution[];
  /** Changes of the cases detractors' replies opened, and the answers to their follow-up surveys. */
  cases: ScoreContribution[];
}

/** Each customer's unit path in the organisation tree (replies count in their customer's units). */
const unitPaths = (customers: CustomerProfile[], units: readonly Unit[]) =>
  new Map(customers.map((customer) => [customer.id, unitPath(units, customer.attributes ?? {})]));

/** The history as of `now`: replies on each of the last 365 days, each scored by its program. */
export function demoHistory(
  programs: TProgramInput[],
  now: number,
  units: readonly Unit[] = DEFAULT_UNITS,
): DemoHistory {
  const random = seeded(20261124);
  const customers = historyCustomers(random);
  const paths = unitPaths(customers, units);
  const byId = new Map(programs.map((p) => [p.id, ZProgram.parse(p)]));
  const replies: c.ResponseDoc[] = [];
  const contributions: ScoreContribution[] = [];
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (let daysAgo = DAYS; daysAgo >= 1; daysAgo--) {
    const perDay = 4 + Math.floor(random() * 5);
    for (let k = 0; k < perDay; k++) {
      const customer = pick(random, customers);
      const r = random();
      const program = byId.get(r < 0.6 ? 'purchase-nps' : r < 0.9 ? 'service-csat' : 'relationship-nps');
      if (!program) continue;
      const submittedAt = new Date(today - daysAgo * DAY_MS + Math.floor(random() * DAY_MS));
      const answers = answersFor(random, program.id, mood(random, customer.attributes ?? {}, daysAgo, submittedAt));
      const scores = scoreReply(program.survey, answers as never, program.themes);
      const id = `hist:${program.id}:${customer.id}:${submittedAt.getTime()}`;
      const agent = demoAgent(customer.attributes ?? {}, replies.length);
      const reply = finalReply(id, program.id, customer.id, answers as c.ResponseDoc['answers'], scores, submittedAt);
      replies.push(agent ? { ...reply, agent } : reply);
      contributions.push(
        scoreContribution(
          { id, programId: program.id, customerId: customer.id, submittedAt: submittedAt.getTime() },
          scores,
          { ...customer.attributes, ...(agent ? { agent } : {}) },
          paths.get(customer.id),
        ),
      );
    }
  }
  return {
    customers,
    replies,
    contributions,
    funnel: historyFunnel(replies, customers, now, paths),
    cases: historyCases(replies, customers, now, paths),
  };
}

/** The root cause an owner would name for a complaint, by the first theme found in it. */
const ROOT_CAUSES: Record<string, string> = {
  delivery: 'Delivery delay',
  price: 'Billing error',
  staff: 'Staff behaviour',
  waiting: 'Product defect',
};

/**
 * Cases for most detractors (NPS ≤ 6 or CSAT ≤ 2), routed as the demo routes them: a quarter
 * escalate, they are resolved within hours to days, a few are reopened by the customer, and each
 * resolution is followed by the customer's CSAT; most of those opened lately are still open.
 */
function historyCases(
  replies: c.ResponseDoc[],
  customers: CustomerProfile[],
  now: number,
  paths: ReadonlyMap<string, string[]>,
): ScoreContribution[] {
  const random = seeded(20261204);
  const region = new Map(customers.map((customer) => [customer.id, customer.attributes?.region]));
  const out: ScoreContribution[] = [];
  for (const reply of replies) {
    const scores = reply.scores!;
    const detractor = (scores.nps !== undefined && scores.nps <= 6) || (scores.csat !== undefined && scores.csat <= 2);
    if (!detractor || random() >= 0.6) continue;
    const theCase = { id: reply._id, programId: reply.programId, customerId: reply.customerId };
    const na = region.get(reply.customerId) === 'NA';
    const owner = {
      ownerId: na || random() < 0.5 ? 'ben@cxloop.localhost' : 'olga@cxloop.localhost',
      teamId: na ? 'na-care' : 'eu-care',
    };
    const rootCause = ROOT_CAUSES[scores.themes[0] ?? ''] ?? pick(random, [...Object.values(ROOT_CAUSES), 'Other']);
    let seq = 0;
    let at = reply.submittedAt.getTime() + 60_000;
    let facts: CaseFacts = { status: 'open', ...owner, breached: false };
    const change = (kind: string, after: CaseFacts, extra: Partial<CaseChange> = {}) => {
      if (at >= now) return false;
      const before = seq === 0 ? null : facts;
      const path = paths.get(theCase.customerId);
      // Metrics only: these cases have no case document, so no owner's load.
      const contribution = caseMetricsContribution(theCase, seq, at, { kind, before, after, ...extra }, path);
      if (contribution) out.push(contribution);
      seq++;
      facts = after;
      return true;
    };
    change('opened', facts);
    let opened = at;
    if (random() < 0.25) {
      at += 8 * 3_600_000;
      change('escalated', { ...facts, breached: true });
    }
    // Most of the last ten days' cases are still being worked on.
    if (now - opened < 10 * DAY_MS && random() < 0.6) continue;
    const reopens = random() < 0.12 ? 1 : 0;
    for (let round = 0; round <= reopens; round++) {
      const hours = 1 + Math.floor(random() ** 2 * 40);
      // Business hours are about a third of the clock.
      at = opened + hours * 3 * 3_600_000;
      if (!change('resolve', { ...facts, status: 'resolved', rootCause }, { businessMsToResolve: hours * 3_600_000 }))
        break;
      const satisfied = round === reopens;
      at += DAY_MS;
      const csat = satisfied ? 4 + Math.floor(random() * 2) : 1 + Math.floor(random() * 2);
      if (at < now) out.push(followUpAnswer(theCase, round, at, csat, paths.get(theCase.customerId)));
      if (!satisfied) {
        change('reopened', { ...facts, status: 'reopened' }, { followUpCsat: csat });
        opened = at;
      } else
        change(
          'closed',
          { ...facts, status: 'closed' },
          { firstContact: reopens === 0 && random() < 0.7, followUpCsat: csat },
        );
    }
  }
  return out;
}

/** The customer's answer to the follow-up survey after a resolution: counted under the follow-up program. */
function followUpAnswer(
  theCase: { id: string; customerId: string },
  round: number,
  at: number,
  csat: number,
  path: readonly string[] = [],
): ScoreContribution {
  return scoreContribution(
    {
      id: `${theCase.id}:follow-up-${round}`,
      programId: FOLLOW_UP_PROGRAM_ID,
      customerId: theCase.customerId,
      submittedAt: at,
    },
    { csat, csatSatisfied: isCsatSatisfied(csat), summary: null, themes: [], sentiment: 'neutral', verbatim: '' },
    {},
    path,
  );
}

/**
 * The invitations behind the replies (sent up to two days before, a third of them reminded) and
 * about half as many again that were never answered: mostly reminded, expired after 14 days, a few
 * unsubscribed. Its own generator, so the replies stay the same.
 */
function historyFunnel(
  replies: c.ResponseDoc[],
  customers: CustomerProfile[],
  now: number,
  paths: ReadonlyMap<string, string[]>,
): ScoreContribution[] {
  const random = seeded(20261203);
  const known = new Map(customers.map((customer) => [customer.id, customer.attributes ?? {}]));
  const steps: ScoreContribution[] = [];
  const add = (invitation: { _id: string; programId: string; customerId: string }, step: FunnelStep, at: number) => {
    if (at < now)
      steps.push(
        funnelContribution(
          { ...invitation, known: known.get(invitation.customerId)! },
          step,
          at,
          paths.get(invitation.customerId),
        ),
      );
  };
  for (const reply of replies) {
    const answeredAt = reply.submittedAt.getTime();
    const sentAt = answeredAt - Math.floor(random() * 2 * DAY_MS);
    add({ _id: reply._id, programId: reply.programId, customerId: reply.customerId }, 'invited', sentAt);
    if (random() < 0.33) add(reply, 'reminded', (sentAt + answeredAt) / 2);
    if (random() < 0.5) {
      const unanswered = {
        _id: `${reply._id}:unanswered`,
        programId: reply.programId,
        customerId: pick(random, customers).id,
      };
      add(unanswered, 'invited', sentAt);
      if (random() < 0.85) add(unanswered, 'reminded', sentAt + 3 * DAY_MS);
      if (random() < 0.05) add(unanswered, 'unsubscribed', sentAt + DAY_MS);
      add(unanswered, 'expired', sentAt + 14 * DAY_MS);
    }
  }
  return steps;
}

export interface DemoJourneys {
  replies: c.ResponseDoc[];
  contributions: ScoreContribution[];
  steps: c.JourneyReplyDoc[];
}

/**
 * Customers through the demo's two journeys over the past year: onboarding (signup, kyc, first
 * order), where each step on its own satisfies about 86 % but independently of the others, so
 * that only about two in three are satisfied all the way (the falling journey); and a support
 * request (opened, closed), where the same customers (about 85 %) are satisfied at both.
 */
export function demoJourneys(
  programs: TProgramInput[],
  now: number,
  units: readonly Unit[] = DEFAULT_UNITS,
): DemoJourneys {
  const random = seeded(20261205);
  const customers = historyCustomers(seeded(20261124));
  const paths = unitPaths(customers, units);
  const byId = new Map(programs.map((p) => [p.id, ZProgram.parse(p)]));
  const out: DemoJourneys = { replies: [], contributions: [], steps: [] };
  const answer = (programId: string, customer: CustomerProfile, step: number, at: number, satisfied: boolean) => {
    const program = byId.get(programId);
    if (!program?.journey || at >= now) return;
    const answers: c.ResponseDoc['answers'] =
      programId === 'onboarding'
        ? { nps: satisfied ? 8 + Math.floor(random() * 3) : 2 + Math.floor(random() * 5) }
        : { csat: satisfied ? 4 + Math.floor(random() * 2) : 1 + Math.floor(random() * 2) };
    const scores = scoreReply(program.survey, answers, program.themes);
    const submittedAt = new Date(at);
    const id = `hist-journey:${programId}:${customer.id}:${step}`;
    out.replies.push(finalReply(id, programId, customer.id, answers, scores, submittedAt));
    out.contributions.push(
      scoreContribution(
        { id, programId, customerId: customer.id, submittedAt: at },
        scores,
        customer.attributes ?? {},
        paths.get(customer.id),
      ),
    );
    out.steps.push({
      _id: id,
      programId,
      customerId: customer.id,
      step,
      touchPoint: program.journey.touchPoints[step]!,
      score: scores.summary!,
      at: submittedAt,
    });
  };
  const started = () => now - Math.floor(random() * 330) * DAY_MS - Math.floor(random() * DAY_MS);
  for (const customer of customers.slice(0, 150)) {
    const at = started();
    for (const [step, after] of [0, 2, 7].entries())
      answer('onboarding', customer, step, at + after * DAY_MS, random() < 0.86);
  }
  for (const customer of customers.slice(100, 200)) {
    const at = started();
    const satisfied = random() < 0.85;
    answer('support-journey', customer, 0, at, satisfied);
    answer('support-journey', customer, 1, at + 2 * DAY_MS, satisfied);
  }
  return out;
}

/** The journeys' history once per database (also for a demo seeded before journeys existed). */
export function seedDemoJourneys(db: Db, temporal: Client, taskQueue: string, programs: TProgramInput[]) {
  return oncePerDatabase(db, 'demo-journeys', async () => {
    const { replies, contributions, steps } = demoJourneys(programs, Date.now(), await loadUnits(db));
    await insertManyOnce(c.responses(db), replies);
    await insertManyOnce(c.journeyReplies(db), steps);
    await handOverCounted(db, temporal, taskQueue, contributions);
    return replies.length;
  });
}

/**
 * Stores the history once per database and hands each reply's scores to the scores' owner, as a
 * scored reply does (the owner counts each once, so an interrupted seeding simply runs again).
 */
export function seedDemoHistory(
  db: Db,
  temporal: Client,
  taskQueue: string,
  programs: TProgramInput[],
): Promise<number | undefined> {
  return oncePerDatabase(db, 'demo-history', async () => {
    const { customers, replies, contributions, funnel, cases } = demoHistory(programs, Date.now(), await loadUnits(db));
    await insertNewCustomers(db, customers);
    for (let i = 0; i < replies.length; i += 500) await insertManyOnce(c.responses(db), replies.slice(i, i + 500));
    await handOverCounted(db, temporal, taskQueue, [...contributions, ...funnel, ...cases]);
    return replies.length;
  });
}
