/**
 * Goals per unit and metric for a calendar period (e.g. NPS ≥ 40 in 2027-Q1), judged with the metric's
 * 95 % confidence interval so that a goal counts as met (or missed) with confidence only when the
 * whole interval is on that side of the target. Pure and deterministic.
 */
import { z } from 'zod';
import type { Period } from './dashboard';
import {
  DEFAULT_MIN_REPLIES,
  METRICS,
  METRIC_LABELS,
  METRIC_RANGES,
  metricEstimate,
  metricReplies,
  type Interval,
  type MetricCounters,
} from './statistics';

const PERIOD_PATTERN = /^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$/;
const FIRST_YEAR = 2000;
const LAST_YEAR = 2100;

/** A calendar period (UTC): a year `2027`, a quarter `2027-Q1` or a month `2027-03`. */
export const ZGoalPeriod = z
  .string()
  .max(7)
  .regex(PERIOD_PATTERN, 'a year (2027), quarter (2027-Q1) or month (2027-03)')
  // Checked only once the regex has passed: an unreadable period is reported by the regex alone.
  .refine((period) => {
    const year = Number(PERIOD_PATTERN.exec(period)?.[1] ?? FIRST_YEAR);
    return year >= FIRST_YEAR && year <= LAST_YEAR;
  }, `a year from ${FIRST_YEAR} to ${LAST_YEAR}`);
export type GoalPeriod = z.infer<typeof ZGoalPeriod>;

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The first and last day of a period (valid per ZGoalPeriod). */
export function periodRange(period: GoalPeriod): Period {
  const match = PERIOD_PATTERN.exec(period);
  if (!match) throw new RangeError(`not a goal period: ${period}`);
  const [, year, quarter, month] = match;
  const firstMonth = quarter ? 3 * (Number(quarter) - 1) : month ? Number(month) - 1 : 0;
  const months = quarter ? 3 : month ? 1 : 12;
  const start = Date.UTC(Number(year), firstMonth, 1);
  return { from: dayOf(start), to: dayOf(Date.UTC(Number(year), firstMonth + months, 1) - DAY_MS) };
}

/** The share of the period's days elapsed by the end of `today` (YYYY-MM-DD), from 0 to 1. */
export function periodElapsed(period: GoalPeriod, today: string): number {
  const { from, to } = periodRange(period);
  const days = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
  const elapsed = (days(today) - days(from) + 1) / (days(to) - days(from) + 1);
  return Math.min(1, Math.max(0, elapsed));
}

/** At least (`>=`) or at most (`<=`) the target; ASCII so that forms and the API carry it plainly. */
export const GOAL_COMPARATORS = ['>=', '<='] as const;
export type GoalComparator = (typeof GOAL_COMPARATORS)[number];
const COMPARATOR_SYMBOLS: Record<GoalComparator, string> = { '>=': '≥', '<=': '≤' };

/** A target for one metric over one period; the unit it belongs to is kept beside it. */
export const ZGoal = z
  .object({
    metric: z.enum(METRICS),
    comparator: z.enum(GOAL_COMPARATORS),
    target: z.number(),
    period: ZGoalPeriod,
  })
  .strict()
  .refine(({ metric, target }) => target >= METRIC_RANGES[metric].min && target <= METRIC_RANGES[metric].max, {
    path: ['target'],
    message: 'a target within the metric’s range (NPS −100 to 100, CSAT and summary 0 to 100, CES 1 to 7)',
  });
export type Goal = z.infer<typeof ZGoal>;

/** E.g. `NPS ≥ 40 in 2027-Q1`. */
export function describeGoal(goal: Goal): string {
  return `${METRIC_LABELS[goal.metric]} ${COMPARATOR_SYMBOLS[goal.comparator]} ${goal.target} in ${goal.period}`;
}

export const GOAL_STATUSES = [
  'met-with-confidence',
  'met-not-yet-confident',
  'not-met-within-margin',
  'missed-with-confidence',
  'too-few-replies',
] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export const GOAL_STATUS_LABELS: Record<GoalStatus, string> = {
  'met-with-confidence': 'Met with confidence',
  'met-not-yet-confident': 'Met, not yet with confidence',
  'not-met-within-margin': 'Not met, within the margin of error',
  'missed-with-confidence': 'Missed with confidence',
  'too-few-replies': 'Too few replies',
};

export interface GoalProgress {
  /** The metric over the period so far; null without replies. */
  value: number | null;
  /** Its 95 % confidence interval. */
  interval: Interval | null;
  replies: number;
  /** How far the value is on the goal's side of the target (≥ 0: met), in the metric's unit. */
  margin: number | null;
  status: GoalStatus;
  /** Where a running period is heading (goalPace); null once the period is over: `status` is final. */
  pace: GoalPace | null;
}

/**
 * Where a goal stands, from the unit's counters over the goal's period: met or missed *with
 * confidence* when the whole 95 % interval is on one side of the target (each is then wrong at most
 * 2.5 % of the time), otherwise by the point value alone; `too-few-replies` below `minReplies`.
 * A value exactly on the target meets the goal.
 */
export function goalProgress(
  goal: Goal,
  counters: MetricCounters,
  minReplies = DEFAULT_MIN_REPLIES,
  elapsed = 1,
): GoalProgress {
  const replies = metricReplies(counters, goal.metric);
  const estimate = metricEstimate(counters, goal.metric);
  const running = elapsed < 1;
  if (!estimate)
    return {
      value: null,
      interval: null,
      replies,
      margin: null,
      status: 'too-few-replies',
      pace: running ? 'too-few-replies' : null,
    };
  // Signed so that "on the goal's side" is always ≥ 0, whichever the comparator.
  const side = (x: number) => (goal.comparator === '>=' ? x - goal.target : goal.target - x);
  const margin = side(estimate.value);
  const worst = Math.min(side(estimate.interval.low), side(estimate.interval.high));
  const best = Math.max(side(estimate.interval.low), side(estimate.interval.high));
  const status: GoalStatus =
    replies < minReplies
      ? 'too-few-replies'
      : worst >= 0
        ? 'met-with-confidence'
        : margin >= 0
          ? 'met-not-yet-confident'
          : best >= 0
            ? 'not-met-within-margin'
            : 'missed-with-confidence';
  const pace = running ? goalPace(goal, { interval: estimate.interval, replies, margin }, elapsed, minReplies) : null;
  return { value: estimate.value, interval: estimate.interval, replies, margin, status, pace };
}

export const GOAL_PACES = [
  'met-with-confidence',
  'on-track',
  'at-risk',
  'missed-with-confidence',
  'too-few-replies',
] as const;
export type GoalPace = (typeof GOAL_PACES)[number];

export const GOAL_PACE_LABELS: Record<GoalPace, string> = {
  'met-with-confidence': 'Met with confidence',
  'on-track': 'On track',
  'at-risk': 'At risk',
  'missed-with-confidence': 'Missed with confidence',
  'too-few-replies': 'Too few replies',
};

/**
 * Where a goal of a running period is heading, `elapsed` (0–1) of it gone. The period's final value
 * is the so-far value weighted by `elapsed` plus the rest of the period's weighted by `1 − elapsed`
 * (replies assumed to come evenly over the period; every metric is a mean of replies). The goal is
 * decided *with confidence* when no rest of the period could change it: met when the worst end of
 * the 95 % interval, followed by replies all at the worst end of the scale, still meets it; missed
 * when the best end, followed by replies all at the best end of the scale, still misses it. Once
 * the period is over (`elapsed` = 1) this is goalProgress's own test. Otherwise `on-track` when the
 * value so far meets the goal, `at-risk` when it does not.
 */
export function goalPace(
  goal: Goal,
  progress: Pick<GoalProgress, 'interval' | 'replies' | 'margin'>,
  elapsed: number,
  minReplies = DEFAULT_MIN_REPLIES,
): GoalPace {
  const { interval, margin } = progress;
  if (!interval || margin === null || progress.replies < minReplies) return 'too-few-replies';
  const share = Math.min(1, Math.max(0, elapsed));
  const range = METRIC_RANGES[goal.metric];
  const side = (x: number) => (goal.comparator === '>=' ? x - goal.target : goal.target - x);
  // The scale's ends and the interval's, as the goal sees them: worst and best for the goal.
  const [scaleWorst, scaleBest] = [side(range.min), side(range.max)].sort((a, b) => a - b) as [number, number];
  const [worst, best] = [side(interval.low), side(interval.high)].sort((a, b) => a - b) as [number, number];
  if (share * worst + (1 - share) * scaleWorst >= 0) return 'met-with-confidence';
  if (share * best + (1 - share) * scaleBest < 0) return 'missed-with-confidence';
  return margin >= 0 ? 'on-track' : 'at-risk';
}
