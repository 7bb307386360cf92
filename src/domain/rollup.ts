import { cesAverage, csatPercent, npsCategory, npsScore, summaryAverage, type ReplyScores } from './scoring';
import type { Polarity } from './themes';

export const SEGMENT_DIMENSIONS = [
  'region',
  'location',
  'vertical',
  'platform',
  'channel',
  'product',
  'journey',
] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

/** The segment every reply belongs to. */
export const ALL_SEGMENT = 'all';

/**
 * A value usable inside a MongoDB `_id` and as a field name: MongoDB reads `.` as a path and a leading `$` as an
 * operator, and rejects NUL. Empty when nothing usable is left.
 */
export function sanitizeKey(value: string): string {
  return value.trim().replace(/[.\0]/g, '_').replace(/^\$/, '_');
}

function segmentValue(value: unknown): string {
  if (typeof value === 'string') return sanitizeKey(value);
  return typeof value === 'number' && Number.isFinite(value) ? sanitizeKey(String(value)) : '';
}

/** The prefix of an organisation unit's segment: `unit:<unit id>` (unit ids are safe in an `_id`). */
export const UNIT_SEGMENT_PREFIX = 'unit:';

export const unitSegment = (unitId: string) => `${UNIT_SEGMENT_PREFIX}${unitId}`;

/**
 * The segments a root-first unit path counts in besides `all`: the root holds every customer, so its
 * segment would repeat `all` and is not kept (readers map the root to `all`, segmentForUnit).
 */
export const unitPathSegments = (unitPath: readonly string[]): string[] => unitPath.slice(1).map(unitSegment);

/** The unit a segment is of, or null for another segment. */
export const unitOfSegment = (segment: string): string | null =>
  segment.startsWith(UNIT_SEGMENT_PREFIX) ? segment.slice(UNIT_SEGMENT_PREFIX.length) : null;

/**
 * The prefix of a frontline employee's segment, `agent:<id>` (the event's `data.agent`): read by its
 * own page only, by `_id`; not a dashboard dimension nor listed among a month's segments.
 */
export const AGENT_SEGMENT_PREFIX = 'agent:';

export const agentSegment = (agentId: string) => `${AGENT_SEGMENT_PREFIX}${agentId}`;

export const isAgentSegment = (segment: string) => segment.startsWith(AGENT_SEGMENT_PREFIX);

/** Longest frontline ID kept; longer ones are not attributed. */
export const MAX_AGENT_ID = 100;

/**
 * The employee, agent or location ID that served the customer (`agent` of the event's data, as the
 * invitation knows it), usable in an `_id`; null when absent or unusable.
 */
export function agentOf(known: Record<string, unknown>): string | null {
  const value = Object.hasOwn(known, 'agent') ? segmentValue(known.agent) : '';
  return value === '' || value.length > MAX_AGENT_ID ? null : value;
}

/**
 * The segments a reply counts in: `all`, `dimension:value` for each dimension the customer or event
 * has, `unit:<id>` for each organisation unit below the root on the customer's unit path
 * (src/domain/units.ts), and `agent:<id>` when the event named who served the customer.
 */
export function rollupSegments(attributes: Record<string, unknown>, unitPath: readonly string[] = []): string[] {
  const segments = SEGMENT_DIMENSIONS.map((dimension) => {
    const value = Object.hasOwn(attributes, dimension) ? segmentValue(attributes[dimension]) : '';
    return value === '' ? '' : `${dimension}:${value}`;
  });
  const agent = agentOf(attributes);
  return [
    ALL_SEGMENT,
    ...segments.filter(Boolean),
    ...unitPathSegments(unitPath),
    ...(agent === null ? [] : [agentSegment(agent)]),
  ];
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function rollupDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function rollupId(programId: string, day: string, segment: string): string {
  return `${programId}|${day}|${segment}`;
}

/** The document holding a program's rollups of one month (`YYYY-MM`) and segment. */
export function rollupMonthId(programId: string, month: string, segment: string): string {
  return `${programId}|${month}|${segment}`;
}

const NPS_COUNTERS = { promoter: 'promoters', passive: 'passives', detractor: 'detractors' } as const;

/** The MongoDB `$inc` of one reply, as flat dotted paths; metrics the reply has no answer for are left out. */
export function rollupIncrement(scores: ReplyScores): Record<string, number> {
  const inc: Record<string, number> = { responses: 1 };
  if (scores.nps !== undefined) {
    inc['nps.count'] = 1;
    inc['nps.sum'] = scores.nps;
    inc[`nps.${NPS_COUNTERS[scores.npsCategory ?? npsCategory(scores.nps)]}`] = 1;
  }
  if (scores.csat !== undefined) {
    inc['csat.count'] = 1;
    inc['csat.sum'] = scores.csat;
    if (scores.csatSatisfied) inc['csat.satisfied'] = 1;
  }
  if (scores.ces !== undefined) {
    inc['ces.count'] = 1;
    inc['ces.sum'] = scores.ces;
  }
  if (scores.summary !== null) {
    inc['summary.count'] = 1;
    inc['summary.sum'] = scores.summary;
  }
  for (const theme of scores.themes.map(sanitizeKey).filter(Boolean)) inc[`themes.${theme}`] = 1;
  inc[`sentiment.${scores.sentiment}`] = 1;
  return inc;
}

/**
 * The reply funnel's steps besides answering (answers are `responses`): an invitation sent, its
 * first reminder sent, expired unanswered, or the customer unsubscribed through its link.
 */
export const FUNNEL_STEPS = ['invited', 'reminded', 'expired', 'unsubscribed'] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** Example replies kept per theme in each rollup, newest last. */
export const THEME_EXAMPLES = 3;

/**
 * The examples key under which an agent's rollups keep their latest commented replies, for the
 * agent's own page (theme names start with a letter: no theme has this key).
 */
export const AGENT_COMMENTS = '~comments';

interface SumCount {
  count?: number;
  sum?: number;
}

export interface RollupDoc {
  responses?: number;
  nps?: SumCount & { promoters?: number; passives?: number; detractors?: number };
  csat?: SumCount & { satisfied?: number };
  ces?: SumCount;
  summary?: SumCount;
  themes?: Record<string, number>;
  sentiment?: Partial<Record<Polarity, number>>;
  funnel?: Partial<Record<FunnelStep, number>>;
  /** Per theme, the IDs of the latest replies that mention it (at most THEME_EXAMPLES). */
  examples?: Record<string, string[]>;
}

export type Funnel = Record<FunnelStep | 'answered', number>;

export interface RollupSummary {
  responses: number;
  nps: number | null;
  npsCounts: { promoters: number; passives: number; detractors: number };
  csatPercent: number | null;
  cesAverage: number | null;
  summary: number | null;
  /** Most frequent first; ties by name. */
  themes: { theme: string; count: number }[];
  sentiment: Record<Polarity, number>;
  funnel: Funnel;
}

function total(docs: RollupDoc[], counter: (doc: RollupDoc) => number | undefined): number {
  return docs.reduce((sum, doc) => sum + (counter(doc) ?? 0), 0);
}

function themeCounts(docs: RollupDoc[]): { theme: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const doc of docs)
    for (const [theme, count] of Object.entries(doc.themes ?? {})) counts.set(theme, (counts.get(theme) ?? 0) + count);
  return [...counts]
    .map(([theme, count]) => ({ theme, count }))
    .sort((a, b) => b.count - a.count || (a.theme < b.theme ? -1 : a.theme > b.theme ? 1 : 0));
}

/** Dashboard figures for a set of rollup documents, e.g. one segment over a date range. */
export function summarizeRollups(docs: RollupDoc[]): RollupSummary {
  const npsCounts = {
    promoters: total(docs, (doc) => doc.nps?.promoters),
    passives: total(docs, (doc) => doc.nps?.passives),
    detractors: total(docs, (doc) => doc.nps?.detractors),
  };
  return {
    responses: total(docs, (doc) => doc.responses),
    nps: npsScore(npsCounts),
    npsCounts,
    csatPercent: csatPercent({
      satisfied: total(docs, (doc) => doc.csat?.satisfied),
      count: total(docs, (doc) => doc.csat?.count),
    }),
    cesAverage: cesAverage({ sum: total(docs, (doc) => doc.ces?.sum), count: total(docs, (doc) => doc.ces?.count) }),
    summary: summaryAverage({
      sum: total(docs, (doc) => doc.summary?.sum),
      count: total(docs, (doc) => doc.summary?.count),
    }),
    themes: themeCounts(docs),
    sentiment: {
      positive: total(docs, (doc) => doc.sentiment?.positive),
      negative: total(docs, (doc) => doc.sentiment?.negative),
      neutral: total(docs, (doc) => doc.sentiment?.neutral),
    },
    funnel: {
      invited: total(docs, (doc) => doc.funnel?.invited),
      reminded: total(docs, (doc) => doc.funnel?.reminded),
      answered: total(docs, (doc) => doc.responses),
      expired: total(docs, (doc) => doc.funnel?.expired),
      unsubscribed: total(docs, (doc) => doc.funnel?.unsubscribed),
    },
  };
}

/**
 * What one finalized reply, or one step of an invitation's funnel, adds to the pre-aggregated
 * documents: its program's rollups for the day (one per segment) and, for a scored reply, the
 * customer's summary score. Sent to the single owner of those documents.
 */
export interface ScoreContribution {
  /** The reply's ID, or a funnel step's key (`funnelKey`): what a document counts once. */
  replyId: string;
  programId: string;
  customerId: string;
  day: string;
  segments: string[];
  increment: Record<string, number>;
  /** The reply's summary score, absent when it has none. */
  summary?: number;
  /** Other counters of the customer's document (e.g. a case opened against the account). */
  customerIncrement?: Record<string, number>;
  /** The reply has a comment: an agent's rollups keep it among their examples (AGENT_COMMENTS). */
  commented?: true;
  /**
   * A case change's counters of the routing state (ROUTING_STATE_ID): `open.<owner>` and
   * `opened.<team>` (field keys), what assignment reads (src/domain/routing.ts).
   */
  routing?: Record<string, number>;
}

/** The one document of `routing_state`: the counters case assignment reads by `_id`. */
export const ROUTING_STATE_ID = 'routing';

/**
 * A scored reply's contribution. `unitPath` is the customer's unit path when the reply is scored: a
 * reply counts in the units its customer was in then, and stays there — unit rules edited later do
 * not move replies already counted (the rollups are sums, not queries).
 */
export function scoreContribution(
  reply: { id: string; programId: string; customerId: string; submittedAt: number },
  scores: ReplyScores,
  attributes: Record<string, unknown>,
  unitPath: readonly string[] = [],
): ScoreContribution {
  return {
    replyId: reply.id,
    programId: reply.programId,
    customerId: reply.customerId,
    day: rollupDay(reply.submittedAt),
    segments: rollupSegments(attributes, unitPath),
    increment: rollupIncrement(scores),
    ...(scores.summary !== null ? { summary: scores.summary } : {}),
    ...(scores.verbatim.trim() ? { commented: true as const } : {}),
  };
}

/** The key a funnel step counts under; distinct from every reply ID (an invitation ID). */
export function funnelKey(invitationId: string, step: FunnelStep): string {
  return `funnel:${step}:${invitationId}`;
}

/** Whether a key a rollup counts is a reply's (not a funnel step's or a case change's). */
export const isReplyKey = (key: string) => !key.startsWith('funnel:') && !key.startsWith('case:');

/**
 * One step of an invitation's funnel, counted on the day it happened in the invitation's segments
 * and in the units of `unitPath` (the customer's when the step is counted, as for a reply).
 */
export function funnelContribution(
  invitation: { _id: string; programId: string; customerId: string; known: Record<string, unknown> },
  step: FunnelStep,
  at: number,
  unitPath: readonly string[] = [],
): ScoreContribution {
  return {
    replyId: funnelKey(invitation._id, step),
    programId: invitation.programId,
    customerId: invitation.customerId,
    day: rollupDay(at),
    segments: rollupSegments(invitation.known, unitPath),
    increment: { [`funnel.${step}`]: 1 },
  };
}

/**
 * The funnel steps an invitation has taken so far, as the invitation record tells them (for the
 * backfill of invitations sent before the funnel was counted). An expiry counts on its due day.
 */
export function invitationFunnel(invitation: {
  _id: string;
  programId: string;
  customerId: string;
  known: Record<string, unknown>;
  status: string;
  sentAt?: Date;
  remindedAt?: Date[];
  expiresAt?: Date;
}): ScoreContribution[] {
  const steps: [FunnelStep, Date | undefined][] = [
    ['invited', invitation.sentAt],
    ['reminded', invitation.remindedAt?.[0]],
    ['expired', invitation.status === 'expired' ? invitation.expiresAt : undefined],
  ];
  return steps.flatMap(([step, at]) => (at ? [funnelContribution(invitation, step, at.getTime())] : []));
}

/** The themes a contribution counts (none for a funnel step). */
function themesOf(contribution: ScoreContribution): string[] {
  return Object.keys(contribution.increment)
    .filter((path) => path.startsWith('themes.'))
    .map((path) => path.slice('themes.'.length));
}

/** What a segment's rollup keeps the contribution as an example of: its themes, and an agent's comments. */
function examplesOf(contribution: ScoreContribution, segment: string): string[] {
  const themes = themesOf(contribution);
  return contribution.commented && isAgentSegment(segment) ? [...themes, AGENT_COMMENTS] : themes;
}

/** A rollup's examples of a theme after adding newly counted replies: the latest THEME_EXAMPLES. */
export function latestExamples(kept: readonly string[] | undefined, added: readonly string[]): string[] {
  return [...(kept ?? []), ...added].slice(-THEME_EXAMPLES);
}

/**
 * A reply's share of its customer's summary score: in the total, and in its month's, so that the
 * score before a given month can be told (`scoreBefore`, for quadrant movement).
 */
function customerScoreIncrement(day: string, summary: number): Record<string, number> {
  const month = day.slice(0, 7);
  return { count: 1, sum: summary, [`months.${month}.count`]: 1, [`months.${month}.sum`]: summary };
}

const touchesCustomer = (c: ScoreContribution) => c.summary !== undefined || c.customerIncrement !== undefined;

/** What a contribution adds to its customer's document. */
function customerIncrementOf(c: ScoreContribution): Record<string, number> {
  return { ...(c.summary !== undefined ? customerScoreIncrement(c.day, c.summary) : {}), ...c.customerIncrement };
}

/** The documents a batch touches, by kind: rollup IDs, and customer IDs for customer scores. */
export function touchedBy(batch: ScoreContribution[]): { rollups: string[]; customerScores: string[] } {
  return {
    rollups: [...new Set(batch.flatMap((c) => c.segments.map((s) => rollupId(c.programId, c.day, s))))],
    customerScores: [...new Set(batch.filter(touchesCustomer).map((c) => c.customerId))],
  };
}

/** The changes to one document: increments summed over the keys it does not count yet. */
export interface FoldedChange {
  id: string;
  /** The keys (`ScoreContribution.replyId`) this change counts. */
  keys: string[];
  increment: Record<string, number>;
  /** The fields a new document starts with. */
  fields: Record<string, string>;
  /** Per theme, the replies newly counted that mention it (rollups only). */
  examples: Record<string, string[]>;
}

/**
 * A batch of contributions as one change per document, leaving out replies a document already
 * counts (`counted`) and replies repeated in the batch: a contribution delivered twice counts once.
 */
export function foldContributions(
  batch: ScoreContribution[],
  counted: {
    rollups: ReadonlyMap<string, ReadonlySet<string>>;
    customerScores: ReadonlyMap<string, ReadonlySet<string>>;
    routing?: ReadonlyMap<string, ReadonlySet<string>>;
  },
): { rollups: FoldedChange[]; customerScores: FoldedChange[]; routing: FoldedChange[] } {
  const folded = {
    rollups: new Map<string, FoldedChange>(),
    customerScores: new Map<string, FoldedChange>(),
    routing: new Map<string, FoldedChange>(),
  };
  const add = (
    kind: keyof typeof folded,
    id: string,
    fields: Record<string, string>,
    replyId: string,
    increment: Record<string, number>,
    themes: string[] = [],
  ) => {
    const change = folded[kind].get(id) ?? { id, keys: [], increment: {}, fields, examples: {} };
    if (counted[kind]?.get(id)?.has(replyId) || change.keys.includes(replyId)) return;
    change.keys.push(replyId);
    for (const [path, n] of Object.entries(increment)) change.increment[path] = (change.increment[path] ?? 0) + n;
    for (const theme of themes) change.examples[theme] = [...(change.examples[theme] ?? []), replyId];
    folded[kind].set(id, change);
  };
  for (const c of batch) {
    for (const segment of c.segments) {
      const fields = { programId: c.programId, day: c.day, segment };
      add('rollups', rollupId(c.programId, c.day, segment), fields, c.replyId, c.increment, examplesOf(c, segment));
    }
    if (touchesCustomer(c)) add('customerScores', c.customerId, {}, c.replyId, customerIncrementOf(c));
    if (c.routing) add('routing', ROUTING_STATE_ID, {}, c.replyId, c.routing);
  }
  return {
    rollups: [...folded.rollups.values()],
    customerScores: [...folded.customerScores.values()],
    routing: [...folded.routing.values()],
  };
}
