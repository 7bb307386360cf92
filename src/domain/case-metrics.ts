import type { CaseStatus } from './cases';
import {
  type Bucket,
  type Period,
  bucketFor,
  bucketOf,
  bucketsOf,
  comparisonPeriod,
  type Comparison,
} from './dashboard';
import { ALL_SEGMENT, type ScoreContribution, rollupDay, unitPathSegments } from './rollup';
import { isCsatSatisfied } from './scoring';
import { type Interval, csatEstimate } from './statistics';

/**
 * Case metrics are counted like scores: every change of a case is a contribution to the scores'
 * owner, adding `cases.*` counters to its program's rollup of the day (segment `all`), so the
 * case-metrics page reads the same month documents by `_id` as the experience dashboard and its
 * cost does not grow with the number of cases. The backlog is kept as moves in and out of each
 * owner's and team's backlog, summed over every month.
 */

/** What a change of a case is counted by. */
export interface CaseFacts {
  status: CaseStatus;
  ownerId: string;
  teamId: string;
  rootCause?: string;
  /** A first-response or resolution SLA has run out. */
  breached: boolean;
}

export interface CaseChange {
  kind: string;
  /** Null when the case opens. */
  before: CaseFacts | null;
  after: CaseFacts;
  /** On a resolution: business time from opening, in the team's calendar. */
  businessMsToResolve?: number;
  /** On the close: resolved without a reopen and with at most one contact with the customer. */
  firstContact?: boolean;
  /**
   * On a close or reopen of a resolved case: the CSAT (1–5) of the customer's answer to the follow-up
   * survey ("is your problem solved?") that decided it; absent without an answer.
   */
  followUpCsat?: number;
}

/** Work still to do: not resolved (awaiting the customer's word) and not closed. */
export function inBacklog(status: CaseStatus): boolean {
  return status !== 'resolved' && status !== 'closed';
}

const HOUR_MS = 3_600_000;

/**
 * An owner, team or root cause as a field name, reversibly: MongoDB reads `.` as a path and a
 * leading `$` as an operator (owners are email addresses).
 */
export function fieldKey(value: string): string {
  return value.replace(/%/g, '%25').replace(/\./g, '%2E').replace(/^\$/, '%24').replace(/\0/g, '%00');
}

export function fromFieldKey(key: string): string {
  return decodeURIComponent(key);
}

/** The per-owner and per-root-cause counters a case's facts count in (paths below `cases.`). */
function groupsOf(facts: CaseFacts): string[] {
  return [
    `byOwner.${fieldKey(facts.ownerId)}`,
    ...(facts.rootCause ? [`byRootCause.${fieldKey(facts.rootCause)}`] : []),
  ];
}

/** The counters one change adds: `cases.*` paths for the rollup's `$inc`, zeros left out. */
export function caseIncrement(change: CaseChange): Record<string, number> {
  const inc: Record<string, number> = {};
  const add = (path: string, n = 1) => {
    inc[`cases.${path}`] = (inc[`cases.${path}`] ?? 0) + n;
  };
  const { before, after } = change;
  if (!before) add('opened');
  if (before && inBacklog(before.status)) {
    add(`backlog.owner.${fieldKey(before.ownerId)}`, -1);
    add(`backlog.team.${fieldKey(before.teamId)}`, -1);
  }
  if (inBacklog(after.status)) {
    add(`backlog.owner.${fieldKey(after.ownerId)}`);
    add(`backlog.team.${fieldKey(after.teamId)}`);
  }
  if (change.kind === 'escalated') add('escalations');
  if (after.status === 'resolved' && before?.status !== 'resolved') {
    add('resolved');
    const hours =
      change.businessMsToResolve === undefined
        ? undefined
        : Math.max(1, Math.ceil(change.businessMsToResolve / HOUR_MS));
    if (hours !== undefined) add(`resolutionHours.${hours}`);
    if (after.rootCause) add(`rootCauses.${fieldKey(after.rootCause)}`);
    if (after.breached) add('slaBreached');
    // Per owner and per root cause: resolutions and their times.
    for (const group of groupsOf(after)) {
      add(`${group}.resolved`);
      if (hours !== undefined) add(`${group}.hours.${hours}`);
    }
  }
  // The follow-up answer counts for whoever resolved the case, and its root cause.
  if (before?.status === 'resolved' && after.status !== 'resolved' && change.followUpCsat !== undefined)
    for (const group of groupsOf(before)) {
      add(`${group}.followUps`);
      if (isCsatSatisfied(change.followUpCsat)) add(`${group}.satisfied`);
    }
  if (after.status === 'reopened' && before?.status !== 'reopened') add('reopened');
  if (after.status === 'closed' && before?.status !== 'closed') {
    add('closed');
    if (change.firstContact) add('firstContact');
  }
  return Object.fromEntries(Object.entries(inc).filter(([, n]) => n !== 0));
}

/** The key a change counts under: its place in the case's timeline. */
export const caseChangeKey = (caseId: string, seq: number) => `case:${caseId}:${seq}`;
export const isCaseChange = (key: string) => key.startsWith('case:');

/** The settings document holding the day of the earliest case change counted. */
export const CASE_METRICS_SINCE = 'case-metrics-since';

/**
 * What one change moves in the routing state (ROUTING_STATE_ID): its owner's count of unclosed
 * cases (`open.<owner>`, resolved ones included, as least-loaded assignment counts them) and, when
 * the case opens, its team's count of cases opened (`opened.<team>`, the round-robin turn). Zeros
 * left out.
 */
export function routingIncrement({ before, after }: Pick<CaseChange, 'before' | 'after'>): Record<string, number> {
  const inc: Record<string, number> = {};
  const add = (path: string, n: number) => {
    inc[path] = (inc[path] ?? 0) + n;
  };
  if (before && before.status !== 'closed') add(`open.${fieldKey(before.ownerId)}`, -1);
  if (after.status !== 'closed') add(`open.${fieldKey(after.ownerId)}`, 1);
  if (!before) add(`opened.${fieldKey(after.teamId)}`, 1);
  return Object.fromEntries(Object.entries(inc).filter(([, n]) => n !== 0));
}

/**
 * One change of a case, for the scores' owner; an opening also counts a case against the account.
 * Null when the change counts for nothing (a note, an attached reply), so nothing is handed over.
 * Counted in `all` and in the units of `unitPath` (those of the reply that opened the case) below
 * the root; a change that moves only the routing state (a resolved case reassigned) in no rollup.
 */
export function caseContribution(
  theCase: { id: string; programId: string; customerId: string },
  seq: number,
  at: number,
  change: CaseChange,
  unitPath: readonly string[] = [],
): ScoreContribution | null {
  const increment = caseIncrement(change);
  const routing = routingIncrement(change);
  const rolledUp = Object.keys(increment).length > 0;
  if (!rolledUp && !Object.keys(routing).length) return null;
  return {
    replyId: caseChangeKey(theCase.id, seq),
    programId: theCase.programId,
    customerId: theCase.customerId,
    day: rollupDay(at),
    segments: rolledUp ? [ALL_SEGMENT, ...unitPathSegments(unitPath)] : [],
    increment,
    ...(change.before ? {} : { customerIncrement: { cases: 1 } }),
    ...(Object.keys(routing).length ? { routing } : {}),
  };
}

/**
 * A change for the case metrics only: changes rebuilt from a timeline or invented for the demo are
 * not the live cases' moves, which the routing state counts (with what migration 9 found). Null
 * when it moves no metric (a resolved case reassigned), so nothing waits for it to be counted.
 */
export function caseMetricsContribution(...args: Parameters<typeof caseContribution>): ScoreContribution | null {
  const contribution = caseContribution(...args);
  if (!contribution?.segments.length) return null;
  const { routing: _routing, ...metrics } = contribution;
  return metrics;
}

/** A timeline entry as the case's history keeps it. */
export interface TimelineEntry {
  seq: number;
  kind: string;
  at: Date;
  summary: string;
}

/**
 * The changes a case went through, rebuilt from its timeline (for cases recorded before case
 * metrics were counted), keyed as the live count keys them so that nothing counts twice. The
 * owner and team are the case's current ones throughout; a resolution's root cause is read from
 * its entry ("Resolved (root cause: …)").
 */
export function changesFromTimeline(
  theCase: { ownerId: string; teamId: string; openedAt: Date },
  entries: TimelineEntry[],
  businessMs: (from: number, to: number) => number,
): { seq: number; at: Date; change: CaseChange }[] {
  const changes: { seq: number; at: Date; change: CaseChange }[] = [];
  let facts: CaseFacts | null = null;
  let contacts = 0;
  let reopened = false;
  for (const entry of entries) {
    const before: CaseFacts | null = facts;
    const now: CaseFacts = before ?? {
      status: 'open',
      ownerId: theCase.ownerId,
      teamId: theCase.teamId,
      breached: false,
    };
    let after: CaseFacts = now;
    const change: Partial<CaseChange> = {};
    if (entry.kind === 'escalated') after = { ...now, breached: true };
    if (entry.kind === 'contact') contacts++;
    if (entry.kind === 'resolve') {
      const rootCause = /root cause: (.*)\)$/.exec(entry.summary)?.[1];
      after = { ...now, status: 'resolved', ...(rootCause ? { rootCause } : {}) };
      change.businessMsToResolve = businessMs(theCase.openedAt.getTime(), entry.at.getTime());
    }
    if (entry.kind === 'reopen' || entry.kind === 'reopened') {
      after = { ...now, status: 'reopened' };
      reopened = true;
    }
    if (entry.kind === 'closed') {
      after = { ...now, status: 'closed' };
      change.firstContact = contacts <= 1 && !reopened;
    }
    changes.push({ seq: entry.seq, at: entry.at, change: { kind: entry.kind, before, after, ...change } });
    facts = after;
  }
  return changes;
}

/** The counters a rollup holds about cases. */
export interface CaseCounters {
  opened?: number;
  resolved?: number;
  reopened?: number;
  closed?: number;
  escalations?: number;
  slaBreached?: number;
  firstContact?: number;
  resolutionHours?: Record<string, number>;
  rootCauses?: Record<string, number>;
  backlog?: { owner?: Record<string, number>; team?: Record<string, number> };
  /** Resolutions, their business hours and the follow-up answers after them, per owner (field key). */
  byOwner?: Record<string, GroupCounters>;
  /** The same per root cause (field key). */
  byRootCause?: Record<string, GroupCounters>;
}

/** A group's resolutions and the follow-up answers after them. */
export interface GroupCounters {
  resolved?: number;
  /** Resolutions per whole business hours taken, as `resolutionHours`. */
  hours?: Record<string, number>;
  /** Follow-up answers with a CSAT, and those satisfied (4–5). */
  followUps?: number;
  satisfied?: number;
}

export type CaseRollup = { programId: string; day: string; segment: string; cases?: CaseCounters };

/**
 * The smallest whole number of business hours within which `p` (0–1) of the resolutions took:
 * nearest rank over the histogram of hours. Null without resolutions.
 */
export function percentileHours(histogram: Record<string, number>, p: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([hours, count]) => [Number(hours), count] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, count]) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [hours, count] of buckets) {
    seen += count;
    if (seen >= rank) return hours;
  }
  return null;
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

function addInto(target: Record<string, number>, source: Record<string, number> | undefined) {
  for (const [key, n] of Object.entries(source ?? {})) target[key] = (target[key] ?? 0) + n;
}

export interface CaseFigures {
  opened: number;
  resolved: number;
  reopened: number;
  closed: number;
  escalations: number;
  /** Of resolutions, the share whose case had breached an SLA (percent, one decimal). */
  slaBreachRate: number | null;
  /** Reopenings per resolution (percent). */
  reopenRate: number | null;
  /** Of closed cases, the share resolved at the first contact without a reopen (percent). */
  firstContactRate: number | null;
  /** Business hours from opening to resolution. */
  medianResolutionHours: number | null;
  p90ResolutionHours: number | null;
}

/** The figures of a set of rollups (a period). */
export function caseFigures(docs: CaseRollup[]): CaseFigures {
  const sum = (key: 'opened' | 'resolved' | 'reopened' | 'closed' | 'escalations' | 'slaBreached' | 'firstContact') =>
    docs.reduce((total, doc) => total + (doc.cases?.[key] ?? 0), 0);
  const hours: Record<string, number> = {};
  for (const doc of docs) addInto(hours, doc.cases?.resolutionHours);
  const resolved = sum('resolved');
  const closed = sum('closed');
  return {
    opened: sum('opened'),
    resolved,
    reopened: sum('reopened'),
    closed,
    escalations: sum('escalations'),
    slaBreachRate: percent(sum('slaBreached'), resolved),
    reopenRate: percent(sum('reopened'), resolved),
    firstContactRate: percent(sum('firstContact'), closed),
    medianResolutionHours: percentileHours(hours, 0.5),
    p90ResolutionHours: percentileHours(hours, 0.9),
  };
}

/** An owner's or root cause's resolutions in a period and the customers' CSAT after them. */
export interface CaseGroupRow {
  id: string;
  resolved: number;
  medianResolutionHours: number | null;
  p90ResolutionHours: number | null;
  /** Follow-up answers with a CSAT after this group's resolutions: the CSAT's n. */
  followUps: number;
  /** Their CSAT (% satisfied), with its 95 % Wilson interval; null without answers. */
  postResolutionCsat: number | null;
  postResolutionCsatInterval: Interval | null;
}

/**
 * The rows of one grouping (per owner or per root cause) from a period's rollups: resolutions with
 * median and 90th-percentile business hours, and the post-resolution CSAT with n and its 95 %
 * interval; most resolutions first (then most answers, then by name).
 */
export function caseGroups(docs: CaseRollup[], by: 'byOwner' | 'byRootCause'): CaseGroupRow[] {
  const totals = new Map<
    string,
    { resolved: number; hours: Record<string, number>; followUps: number; satisfied: number }
  >();
  for (const doc of docs)
    for (const [key, counters] of Object.entries(doc.cases?.[by] ?? {})) {
      const total = totals.get(key) ?? { resolved: 0, hours: {}, followUps: 0, satisfied: 0 };
      total.resolved += counters.resolved ?? 0;
      addInto(total.hours, counters.hours);
      total.followUps += counters.followUps ?? 0;
      total.satisfied += counters.satisfied ?? 0;
      totals.set(key, total);
    }
  return [...totals]
    .filter(([, t]) => t.resolved > 0 || t.followUps > 0)
    .map(([key, t]) => {
      const csat = csatEstimate({ satisfied: t.satisfied, count: t.followUps });
      return {
        id: fromFieldKey(key),
        resolved: t.resolved,
        medianResolutionHours: percentileHours(t.hours, 0.5),
        p90ResolutionHours: percentileHours(t.hours, 0.9),
        followUps: t.followUps,
        postResolutionCsat: csat ? csat.value : null,
        postResolutionCsatInterval: csat ? csat.interval : null,
      };
    })
    .sort((a, b) => b.resolved - a.resolved || b.followUps - a.followUps || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface CaseMetrics {
  period: Period;
  comparison: Period | null;
  bucket: Bucket;
  current: CaseFigures;
  previous: CaseFigures | null;
  /** Cases opened and resolved per bucket: the seasonality of cases. */
  series: { bucket: string; opened: number; resolved: number }[];
  /** Root causes of the period's resolutions, most frequent first. */
  rootCauses: { rootCause: string; count: number; previous: number | null }[];
  /** Open work now, most first (from every month, whatever the period). */
  backlog: { owners: { id: string; open: number }[]; teams: { id: string; open: number }[] };
  /** The period's resolutions and post-resolution CSAT per owner (who resolved the case). */
  byOwner: CaseGroupRow[];
  /** The same per root cause (issue type). */
  byRootCause: CaseGroupRow[];
}

const within = (period: Period) => (doc: CaseRollup) => doc.day >= period.from && doc.day <= period.to;

/** Field keys back to names, most first. */
function ranked(counts: Record<string, number>): { id: string; count: number }[] {
  return Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([key, count]) => ({ id: fromFieldKey(key), count }))
    .sort((a, b) => b.count - a.count || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The case metrics of a period from rollups of segment `all`: `docs` covers the period and its
 * comparison, `allTime` every month (for the backlog).
 */
export function caseMetrics(
  filters: Period & { programId?: string; compare: Comparison; segment?: string },
  docs: CaseRollup[],
  allTime: CaseRollup[],
): CaseMetrics {
  // `all`, or a unit's segment (a unit's own cases).
  const segment = filters.segment ?? ALL_SEGMENT;
  const ofProgram = (list: CaseRollup[]) =>
    list.filter((doc) => doc.segment === segment && (!filters.programId || doc.programId === filters.programId));
  const comparison = comparisonPeriod(filters, filters.compare);
  const current = ofProgram(docs).filter(within(filters));
  const before = comparison ? ofProgram(docs).filter(within(comparison)) : null;

  const bucket = bucketFor(filters);
  const series = bucketsOf(filters, bucket).map((name) => {
    const inBucket = current.filter((doc) => bucketOf(doc.day, bucket) === name);
    const figures = caseFigures(inBucket);
    return { bucket: name, opened: figures.opened, resolved: figures.resolved };
  });

  const causes = (list: CaseRollup[]) => {
    const counts: Record<string, number> = {};
    for (const doc of list) addInto(counts, doc.cases?.rootCauses);
    return counts;
  };
  const previousCauses = before ? causes(before) : null;
  const rootCauses = ranked(causes(current)).map(({ id, count }) => ({
    rootCause: id,
    count,
    previous: previousCauses ? (previousCauses[id] ?? 0) : null,
  }));

  const owners: Record<string, number> = {};
  const teams: Record<string, number> = {};
  for (const doc of ofProgram(allTime)) {
    addInto(owners, doc.cases?.backlog?.owner);
    addInto(teams, doc.cases?.backlog?.team);
  }
  const open = (counts: Record<string, number>) => ranked(counts).map(({ id, count }) => ({ id, open: count }));
  return {
    period: { from: filters.from, to: filters.to },
    comparison,
    bucket,
    current: caseFigures(current),
    previous: before ? caseFigures(before) : null,
    series,
    rootCauses,
    backlog: { owners: open(owners), teams: open(teams) },
    byOwner: caseGroups(current, 'byOwner'),
    byRootCause: caseGroups(current, 'byRootCause'),
  };
}
