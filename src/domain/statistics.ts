/**
 * Confidence intervals of the experience metrics, from the counters the rollups keep (see `rollup.ts`),
 * so that units are compared, and goals judged, on signal rather than noise. Pure and deterministic.
 *
 * Every estimate is in the metric's display unit: NPS in points (−100 to 100), CSAT in % satisfied,
 * CES on its 1–7 answer scale, the summary score from 0 to 100. Values are unrounded; round for display
 * with `roundTo` and `METRIC_DECIMALS`.
 */
import { METRIC_SCALES, roundTo, type Scale } from './scoring';

/** The standard normal's 97.5th percentile: a two-sided 95 % interval is the estimate ± Z_95 standard errors. */
export const Z_95 = 1.959963984540054;

/** Replies a unit needs before its figure is ranked or a goal judged; below it an interval is too wide to mean much. */
export const DEFAULT_MIN_REPLIES = 30;

export const METRICS = ['summary', 'nps', 'csat', 'ces'] as const;
export type Metric = (typeof METRICS)[number];

/** The range of each metric's figure; higher is better for all four (CES 2.0: 7 = very easy). */
export const METRIC_RANGES: Record<Metric, Scale> = {
  summary: { min: 0, max: 100 },
  nps: { min: -100, max: 100 },
  csat: { min: 0, max: 100 },
  ces: METRIC_SCALES.ces,
};

/** Decimals each metric is shown with (as `summarizeRollups` rounds them). */
export const METRIC_DECIMALS: Record<Metric, number> = { summary: 1, nps: 1, csat: 1, ces: 2 };

export const METRIC_LABELS: Record<Metric, string> = { summary: 'Summary score', nps: 'NPS', csat: 'CSAT', ces: 'CES' };

export interface Interval {
  low: number;
  high: number;
}

/** A metric estimated from a sample of replies. */
export interface Estimate {
  value: number;
  /** The confidence interval (95 % unless another z was asked for), within the metric's range. */
  interval: Interval;
  /** The standard error of `value`, in the same unit. */
  standardError: number;
  /** Replies the estimate rests on. */
  replies: number;
  /**
   * The spread was not counted, so the interval assumes the largest variance the answer scale allows
   * with this mean: wider than the data would give, never narrower.
   */
  conservative: boolean;
}

export interface NpsCounts {
  promoters: number;
  passives: number;
  detractors: number;
}

export interface ProportionCounts {
  /** Replies with the trait (e.g. satisfied, or mentioning a theme). */
  hits: number;
  replies: number;
}

/** A mean kept as sum and count; `sumSquares` (Σx²) gives the exact spread when the rollups count it. */
export interface MeanCounts {
  sum: number;
  count: number;
  sumSquares?: number;
}

/** The counters of one metric or another, as a rollup document (or a sum of them) holds them. */
export interface MetricCounters {
  nps?: Partial<NpsCounts>;
  csat?: { satisfied?: number; count?: number };
  ces?: Partial<MeanCounts>;
  summary?: Partial<MeanCounts>;
}

const clamp = (value: number, range: Scale) => Math.min(range.max, Math.max(range.min, value));

function intervalAround(value: number, standardError: number, z: number, range: Scale): Interval {
  return { low: clamp(value - z * standardError, range), high: clamp(value + z * standardError, range) };
}

/**
 * The variance of one reply's contribution to the NPS, in points²: a reply scores +100 (promoter),
 * 0 (passive) or −100 (detractor), so with shares p and d the trinomial gives
 * Var = 100² · [(p + d) − (p − d)²]. The NPS of n replies has variance Var / n.
 */
export function npsReplyVariance(c: NpsCounts): number {
  const n = c.promoters + c.passives + c.detractors;
  if (n <= 0) return 0;
  const p = c.promoters / n;
  const d = c.detractors / n;
  return 10_000 * Math.max(0, p + d - (p - d) ** 2);
}

/**
 * The NPS with its normal-approximation (Wald) interval from the trinomial variance, clamped to ±100.
 * With few replies, or none of one kind, the interval is too narrow (all promoters gives zero width):
 * judge only estimates with at least DEFAULT_MIN_REPLIES replies.
 */
export function npsEstimate(c: NpsCounts, z = Z_95): Estimate | null {
  const n = c.promoters + c.passives + c.detractors;
  if (n <= 0) return null;
  const value = (100 * (c.promoters - c.detractors)) / n;
  const standardError = Math.sqrt(npsReplyVariance(c) / n);
  return {
    value,
    interval: intervalAround(value, standardError, z, METRIC_RANGES.nps),
    standardError,
    replies: n,
    conservative: false,
  };
}

/**
 * The Wilson score interval of a proportion (0–1): unlike p̂ ± z·SE it stays inside [0, 1] and keeps
 * its coverage near 0 and 1 and with few replies.
 * center = (p̂ + z²/2n) / (1 + z²/n), half-width = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²).
 */
export function wilsonInterval(hits: number, replies: number, z = Z_95): Interval {
  if (replies <= 0) return { low: 0, high: 1 };
  const p = hits / replies;
  const z2 = z * z;
  const denominator = 1 + z2 / replies;
  const center = (p + z2 / (2 * replies)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / replies + z2 / (4 * replies * replies));
  // Exact ends when every reply or none has the trait (the formula gives them up to rounding).
  return {
    low: hits <= 0 ? 0 : Math.max(0, center - half),
    high: hits >= replies ? 1 : Math.min(1, center + half),
  };
}

/** A share of replies in %, with its Wilson interval; the standard error is the plain √(p(1 − p)/n). */
export function proportionEstimate({ hits, replies }: ProportionCounts, z = Z_95): Estimate | null {
  if (replies <= 0) return null;
  const p = hits / replies;
  const interval = wilsonInterval(hits, replies, z);
  return {
    value: 100 * p,
    interval: { low: 100 * interval.low, high: 100 * interval.high },
    standardError: 100 * Math.sqrt((p * (1 - p)) / replies),
    replies,
    conservative: false,
  };
}

/** CSAT, the share of satisfied answers (4–5) in %, as a proportion with its Wilson interval. */
export function csatEstimate(c: { satisfied: number; count: number }, z = Z_95): Estimate | null {
  return proportionEstimate({ hits: c.satisfied, replies: c.count }, z);
}

/**
 * A mean of answers on `scale` with mean ± z·s/√n. The sample variance s² comes from the sum of squares
 * when counted; otherwise from its upper bound: values in [m, M] with mean x̄ have a population
 * variance of at most (M − x̄)(x̄ − m) (Bhatia–Davis), hence s² ≤ (M − x̄)(x̄ − m) · n/(n − 1). One reply
 * says nothing about the spread: its interval is the whole scale.
 */
export function meanEstimate(c: MeanCounts, scale: Scale, z = Z_95): Estimate | null {
  const n = c.count;
  if (n <= 0) return null;
  const value = c.sum / n;
  const conservative = c.sumSquares === undefined;
  if (n < 2)
    return {
      value,
      interval: { low: scale.min, high: scale.max },
      standardError: (scale.max - scale.min) / 2,
      replies: n,
      conservative,
    };
  const variance = conservative
    ? ((scale.max - value) * (value - scale.min) * n) / (n - 1)
    : ((c.sumSquares as number) - (c.sum * c.sum) / n) / (n - 1);
  const standardError = Math.sqrt(Math.max(0, variance) / n);
  return { value, interval: intervalAround(value, standardError, z, scale), standardError, replies: n, conservative };
}

const counted = (value: number | undefined) => value ?? 0;

/** The counters of several rollups (e.g. a unit's days of a quarter) added up. */
export function totalCounters(docs: readonly MetricCounters[]): MetricCounters {
  const sum = (pick: (doc: MetricCounters) => number | undefined) => docs.reduce((t, doc) => t + counted(pick(doc)), 0);
  const mean = (pick: (doc: MetricCounters) => Partial<MeanCounts> | undefined): MeanCounts => {
    const total: MeanCounts = { sum: sum((doc) => pick(doc)?.sum), count: sum((doc) => pick(doc)?.count) };
    // Σx² is known only when every document counted it.
    const everyCounted = docs.every((doc) => !pick(doc)?.count || pick(doc)?.sumSquares !== undefined);
    return everyCounted && total.count > 0 ? { ...total, sumSquares: sum((doc) => pick(doc)?.sumSquares) } : total;
  };
  return {
    nps: {
      promoters: sum((doc) => doc.nps?.promoters),
      passives: sum((doc) => doc.nps?.passives),
      detractors: sum((doc) => doc.nps?.detractors),
    },
    csat: { satisfied: sum((doc) => doc.csat?.satisfied), count: sum((doc) => doc.csat?.count) },
    ces: mean((doc) => doc.ces),
    summary: mean((doc) => doc.summary),
  };
}

function npsCounts(c: MetricCounters): NpsCounts {
  return {
    promoters: counted(c.nps?.promoters),
    passives: counted(c.nps?.passives),
    detractors: counted(c.nps?.detractors),
  };
}

function meanCounts(c: Partial<MeanCounts> | undefined): MeanCounts {
  return {
    sum: counted(c?.sum),
    count: counted(c?.count),
    ...(c?.sumSquares !== undefined && { sumSquares: c.sumSquares }),
  };
}

/** Replies that answered the metric. */
export function metricReplies(c: MetricCounters, metric: Metric): number {
  if (metric === 'nps') {
    const { promoters, passives, detractors } = npsCounts(c);
    return promoters + passives + detractors;
  }
  return counted(c[metric]?.count);
}

/** A metric's estimate and interval from its counters; null without replies. */
export function metricEstimate(c: MetricCounters, metric: Metric, z = Z_95): Estimate | null {
  switch (metric) {
    case 'nps':
      return npsEstimate(npsCounts(c), z);
    case 'csat':
      return csatEstimate({ satisfied: counted(c.csat?.satisfied), count: counted(c.csat?.count) }, z);
    case 'ces':
    case 'summary':
      return meanEstimate(meanCounts(c[metric]), METRIC_RANGES[metric], z);
  }
}

/** One metric of one unit on a comparison page. */
export interface MetricCell {
  replies: number;
  estimate: Estimate | null;
  /** At least the minimum of replies: shown and ranked; below it, greyed and not ranked. */
  ranked: boolean;
}

export interface UnitComparison<U> {
  unit: U;
  metrics: Record<Metric, MetricCell>;
  /** 1 for the best by the ranking metric; equal shown values share a rank; null when not ranked. */
  rank: number | null;
}

/**
 * Units side by side: every metric with its replies and interval, marked unranked below `minReplies`,
 * and a rank by `rankBy` among the ranked units only. Rows keep their order.
 */
export function comparableUnits<U>(
  rows: readonly { unit: U; counters: MetricCounters }[],
  minReplies = DEFAULT_MIN_REPLIES,
  rankBy: Metric = 'summary',
): UnitComparison<U>[] {
  const compared = rows.map(({ unit, counters }) => ({
    unit,
    metrics: Object.fromEntries(
      METRICS.map((metric): [Metric, MetricCell] => {
        const replies = metricReplies(counters, metric);
        return [metric, { replies, estimate: metricEstimate(counters, metric), ranked: replies >= minReplies }];
      }),
    ) as Record<Metric, MetricCell>,
  }));
  const shown = (cell: MetricCell) =>
    cell.ranked && cell.estimate ? roundTo(cell.estimate.value, METRIC_DECIMALS[rankBy]) : null;
  const rankedValues = compared.map((row) => shown(row.metrics[rankBy])).filter((v): v is number => v !== null);
  return compared.map((row) => {
    const value = shown(row.metrics[rankBy]);
    return { ...row, rank: value === null ? null : 1 + rankedValues.filter((other) => other > value).length };
  });
}

/**
 * The standard normal distribution function Φ(x), by Marsaglia's series
 * Φ(x) = ½ + φ(x) · (x + x³/3 + x⁵/(3·5) + …), accurate to about 1e-15 absolute; beyond ±10 it is 0 or 1.
 */
export function normalCdf(x: number): number {
  if (x <= -10) return 0;
  if (x >= 10) return 1;
  let term = x;
  let sum = x;
  for (let k = 1; Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
    term *= (x * x) / (2 * k + 1);
    sum += term;
  }
  return 0.5 + (sum * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);
}

/** ln(n!): summed below 30, Stirling's series beyond (error far below 1e-12 there). */
function logFactorial(n: number): number {
  if (n < 30) {
    let sum = 0;
    for (let k = 2; k <= n; k++) sum += Math.log(k);
    return sum;
  }
  return (
    n * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI * n) + 1 / (12 * n) - 1 / (360 * n ** 3) + 1 / (1260 * n ** 5)
  );
}

const logChoose = (n: number, k: number) => logFactorial(n) - logFactorial(k) - logFactorial(n - k);

/**
 * P(X ≥ x) for X hypergeometric: `draws` taken without replacement from `population` items of which
 * `successes` are marked (the one-sided p-value of Fisher's exact test). Sums the decreasing side of
 * the unimodal probabilities, so that no term that matters underflows.
 */
export function hypergeometricUpperTail(x: number, draws: number, successes: number, population: number): number {
  const lowest = Math.max(0, draws - (population - successes));
  const highest = Math.min(draws, successes);
  if (x <= lowest) return 1;
  if (x > highest) return 0;
  const probability = (k: number) =>
    Math.exp(logChoose(successes, k) + logChoose(population - successes, draws - k) - logChoose(population, draws));
  // P(k + 1) / P(k), and its inverse going down.
  const ratio = (k: number) => ((successes - k) * (draws - k)) / ((k + 1) * (population - successes - draws + k + 1));
  const mode = Math.floor(((draws + 1) * (successes + 1)) / (population + 2));
  const sumFrom = (start: number, step: 1 | -1, end: number) => {
    let term = probability(start);
    let sum = 0;
    for (let k = start; step === 1 ? k <= end : k >= end; k += step) {
      sum += term;
      term *= step === 1 ? ratio(k) : 1 / ratio(k - 1);
      if (term <= sum * 1e-17) break;
    }
    return sum;
  };
  if (x > mode) return Math.min(1, sumFrom(x, 1, highest));
  return Math.max(0, 1 - sumFrom(x - 1, -1, lowest));
}
