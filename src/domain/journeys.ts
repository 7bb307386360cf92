import { rollupDay } from './rollup';

/**
 * Journeys: a program names a journey and its touch points in order; each scored reply counts at
 * the touch point its event was. Satisfaction with every touch point on its own can be high while
 * few customers are satisfied all the way through — the pattern a journey view must show.
 */

/** A summary score (0–100) at or above this is a satisfied customer: NPS 8+, CSAT 4+, CES 5.5+. */
export const SATISFIED_AT = 75;
/** A touch point scores well when at least this share (percent) of its customers is satisfied. */
export const GOOD_SHARE = 75;

export interface JourneyReply {
  customerId: string;
  step: number;
  score: number;
  at: number;
}

export interface JourneyStep {
  step: number;
  touchPoint: string;
  /** Customers with a reply at this touch point (their latest counts). */
  customers: number;
  averageScore: number | null;
  /** Of those, satisfied here (percent, one decimal). */
  satisfiedPercent: number | null;
  /** Of the customers who answered at every touch point so far, satisfied at every one of them. */
  cumulativePercent: number | null;
  /** Of the customers who answered here and at the touch point before, those whose score fell. */
  fellPercent: number | null;
}

export interface JourneyReport {
  programId: string;
  name: string;
  customers: number;
  steps: JourneyStep[];
  /**
   * A falling journey: every touch point scores well on its own, yet cumulative satisfaction ends
   * below that (`flagged` in the API).
   */
  flagged: boolean;
}

const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);

/**
 * A journey's figures as sums over its customers, one counter each (flat keys, as `$inc` paths):
 * `customers`, and per step `s<step>.` `n` (answered here), `sum` (their scores, in tenths: summary
 * scores have one decimal, so sums stay exact), `sat` (satisfied here), `thru` (answered at every
 * step so far), `cum` (of those, satisfied at each), `wb` (answered here and at the step before) and
 * `fell` (of those, scored lower here). Every figure of the report derives from these, so they can
 * be summed over customers, units and days (src/db/journey-counters.ts).
 */
export type JourneyCounters = Record<string, number>;

/** A customer's latest reply at one step. */
export interface JourneyPoint {
  step: number;
  score: number;
  at: number;
}

const isSatisfied = (score: number) => score >= SATISFIED_AT;

/** The counters one customer adds, from their latest reply per step. */
export function pathCounters(points: readonly JourneyPoint[]): JourneyCounters {
  if (!points.length) return {};
  const scores = new Map(points.map((p) => [p.step, p.score]));
  const counters: JourneyCounters = { customers: 1 };
  const add = (key: string, n: number) => {
    if (n) counters[key] = (counters[key] ?? 0) + n;
  };
  for (const [step, score] of scores) {
    const before = Array.from({ length: step + 1 }, (_, k) => scores.get(k));
    const through = before.every((s) => s !== undefined);
    const previous = scores.get(step - 1);
    add(`s${step}.n`, 1);
    add(`s${step}.sum`, Math.round(score * 10));
    add(`s${step}.sat`, isSatisfied(score) ? 1 : 0);
    add(`s${step}.thru`, through ? 1 : 0);
    add(`s${step}.cum`, through && before.every((s) => isSatisfied(s!)) ? 1 : 0);
    add(`s${step}.wb`, previous !== undefined ? 1 : 0);
    add(`s${step}.fell`, previous !== undefined && score < previous ? 1 : 0);
  }
  return counters;
}

/** `into` plus `sign` times `counters`, leaving out counters that reach 0. */
export function addCounters(into: JourneyCounters, counters: JourneyCounters, sign = 1): JourneyCounters {
  for (const [key, n] of Object.entries(counters)) {
    const sum = (into[key] ?? 0) + sign * n;
    if (sum === 0) delete into[key];
    else into[key] = sum;
  }
  return into;
}

/**
 * The figures from summed counters. Satisfaction with every touch point on its own can be high
 * while few customers are satisfied all the way through (`flagged`).
 */
export function journeyFromCounters(
  journey: { programId: string; name: string; touchPoints: string[] },
  counters: JourneyCounters,
): JourneyReport {
  const at = (step: number, key: string) => counters[`s${step}.${key}`] ?? 0;
  const steps = journey.touchPoints.map((touchPoint, step) => {
    const here = at(step, 'n');
    return {
      step,
      touchPoint,
      customers: here,
      averageScore: here ? Math.round(at(step, 'sum') / here) / 10 : null,
      satisfiedPercent: percent(at(step, 'sat'), here),
      cumulativePercent: percent(at(step, 'cum'), at(step, 'thru')),
      fellPercent: step > 0 ? percent(at(step, 'fell'), at(step, 'wb')) : null,
    };
  });
  const last = steps.at(-1)?.cumulativePercent ?? null;
  const flagged =
    steps.every((s) => s.satisfiedPercent !== null && s.satisfiedPercent >= GOOD_SHARE) &&
    last !== null &&
    last < GOOD_SHARE;
  return { programId: journey.programId, name: journey.name, customers: counters.customers ?? 0, steps, flagged };
}

/**
 * A customer's points with a reply added: it replaces the one at its step when later (a reply as
 * late as the kept one leaves it: the first kept wins, as in journeyReport). Null when unchanged.
 */
export function withReply(points: readonly JourneyPoint[], reply: JourneyPoint): JourneyPoint[] | null {
  const kept = points.find((p) => p.step === reply.step);
  if (kept && !(kept.at < reply.at)) return null;
  const point = { step: reply.step, score: reply.score, at: reply.at };
  return [...points.filter((p) => p !== kept), point].sort((a, b) => a.step - b.step);
}

/** Each customer's latest reply per step. */
function latestPoints(replies: JourneyReply[]): JourneyPoint[][] {
  const byCustomer = new Map<string, JourneyPoint[]>();
  for (const reply of replies)
    byCustomer.set(
      reply.customerId,
      withReply(byCustomer.get(reply.customerId) ?? [], reply) ?? byCustomer.get(reply.customerId)!,
    );
  return [...byCustomer.values()];
}

/** The journey's figures from its replies: each customer's latest score per step counts. */
export function journeyReport(
  journey: { programId: string; name: string; touchPoints: string[] },
  replies: JourneyReply[],
): JourneyReport {
  const total: JourneyCounters = {};
  for (const points of latestPoints(replies)) addCounters(total, pathCounters(points));
  return journeyFromCounters(journey, total);
}

/**
 * One customer's counters split by day so that any `since` day is a sum of days: a report since
 * day m counts, per step, the customer's latest reply there when it is from m on (the latest of
 * the replies from m on is the latest overall, when that one is from m on). So the customer adds
 * C(m) = pathCounters(points from day m on), which changes only on the days of their points; the
 * day d keeps C(d) − C(d + 1), and the days from m on sum to C(m).
 */
export function dailyDifferences(points: readonly JourneyPoint[]): Map<string, JourneyCounters> {
  const days = [...new Set(points.map((p) => rollupDay(p.at)))].sort().reverse();
  const differences = new Map<string, JourneyCounters>();
  let later: JourneyCounters = {};
  for (const day of days) {
    const since = pathCounters(points.filter((p) => rollupDay(p.at) >= day));
    const difference = addCounters({ ...since }, later, -1);
    if (Object.keys(difference).length) differences.set(day, difference);
    later = since;
  }
  return differences;
}
