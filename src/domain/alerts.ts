/**
 * Alerts on real changes only: a unit's score falling, or a theme's share of replies rising, in a
 * recent window against the unit's own baseline window just before it. Each check is a one-sided
 * statistical test with a stated false-alarm rate (ALERT_ALPHA per check when nothing changed), needs a
 * minimum of replies in both windows, and an episode alerts once (`nextAlertState`). Pure and
 * deterministic: the caller reads the windows' counters and keeps each unit's state.
 */
import type { Period } from './dashboard';
import {
  hypergeometricUpperTail,
  normalCdf,
  npsReplyVariance,
  type MetricCounters,
  type NpsCounts,
  type ProportionCounts,
} from './statistics';

/**
 * The false-alarm rate per check: when a unit's true figures did not change, a check alerts with
 * probability 1 %. The tests of shares (themes, CSAT) are exact and stay at or below it at any count;
 * the NPS test rests on the normal approximation, near it from ALERT_MIN_REPLIES replies on (simulated:
 * 1.04–1.09 % at 100–600 replies per window).
 */
export const ALERT_ALPHA = 0.01;

/** Replies each window needs before it is tested at all. */
export const ALERT_MIN_REPLIES = 100;

/**
 * An alerting episode ends once the evidence of a worsening has faded: the one-sided p-value is at least
 * this (the change is within about one standard error of none), not merely above ALERT_ALPHA. The gap
 * between the two thresholds (hysteresis) keeps a lasting drop that hovers near the threshold from
 * alerting again and again.
 */
export const RECOVERY_P_VALUE = 0.16;

export interface ChangeTestOptions {
  /** The false-alarm rate per check; ALERT_ALPHA by default. */
  alpha?: number;
  /** Replies each window needs; ALERT_MIN_REPLIES by default. */
  minReplies?: number;
}

/** The outcome of one test of a recent window against its baseline. */
export interface ChangeCheck {
  /** Both windows have the minimum of replies; otherwise nothing below says anything. */
  testable: boolean;
  /** The figure in each window (NPS points, or %), null without replies. */
  recent: number | null;
  baseline: number | null;
  /** recent − baseline, in the figure's unit. */
  change: number | null;
  /** The one-sided p-value of a change in the alarming direction (a fall of a score, a rise of a share). */
  pValue: number | null;
  /** Significant at alpha: an alert, unless an episode is under way. */
  significant: boolean;
  /** The worsening has faded (p-value ≥ RECOVERY_P_VALUE): an episode under way ends. */
  recovered: boolean;
}

function check(
  enough: boolean,
  recent: number | null,
  baseline: number | null,
  pValue: () => number,
  alpha: number,
): ChangeCheck {
  const change = recent !== null && baseline !== null ? recent - baseline : null;
  if (!enough) return { testable: false, recent, baseline, change, pValue: null, significant: false, recovered: false };
  const p = pValue();
  return {
    testable: true,
    recent,
    baseline,
    change,
    pValue: p,
    significant: p <= alpha,
    recovered: p >= RECOVERY_P_VALUE,
  };
}

const repliesOf = (c: NpsCounts) => c.promoters + c.passives + c.detractors;
const npsOf = (c: NpsCounts) => (repliesOf(c) > 0 ? (100 * (c.promoters - c.detractors)) / repliesOf(c) : null);

/**
 * Has the NPS fallen? A one-sided two-sample z-test of the difference of NPS: under "no change" both
 * windows share one trinomial distribution, so its variance is estimated from both windows pooled,
 * z = (NPS_recent − NPS_baseline) / √(Var_pooled · (1/n_recent + 1/n_baseline)), p = Φ(z).
 */
export function npsDropCheck(recent: NpsCounts, baseline: NpsCounts, options: ChangeTestOptions = {}): ChangeCheck {
  const { alpha = ALERT_ALPHA, minReplies = ALERT_MIN_REPLIES } = options;
  const [nR, nB] = [repliesOf(recent), repliesOf(baseline)];
  const [r, b] = [npsOf(recent), npsOf(baseline)];
  const pValue = () => {
    const pooled = {
      promoters: recent.promoters + baseline.promoters,
      passives: recent.passives + baseline.passives,
      detractors: recent.detractors + baseline.detractors,
    };
    const standardError = Math.sqrt(npsReplyVariance(pooled) * (1 / nR + 1 / nB));
    // No spread at all (every reply the same kind in both windows): a fall is certain or impossible.
    if (standardError === 0) return (r as number) < (b as number) ? 0 : 1;
    return normalCdf(((r as number) - (b as number)) / standardError);
  };
  return check(nR >= minReplies && nB >= minReplies, r, b, pValue, alpha);
}

const shareOf = (c: ProportionCounts) => (c.replies > 0 ? (100 * c.hits) / c.replies : null);

/**
 * Has a share of replies risen? Fisher's exact one-sided test: given the hits of both windows together,
 * under "no change" the recent window's hits are hypergeometric, and the p-value is the chance of at
 * least as many. Exact, so the false-alarm rate stays at most alpha even for rare themes, where a
 * z-test of two proportions alerts too often.
 */
export function shareRiseCheck(
  recent: ProportionCounts,
  baseline: ProportionCounts,
  options: ChangeTestOptions = {},
): ChangeCheck {
  const { alpha = ALERT_ALPHA, minReplies = ALERT_MIN_REPLIES } = options;
  const pValue = () =>
    hypergeometricUpperTail(
      recent.hits,
      recent.replies,
      recent.hits + baseline.hits,
      recent.replies + baseline.replies,
    );
  return check(
    recent.replies >= minReplies && baseline.replies >= minReplies,
    shareOf(recent),
    shareOf(baseline),
    pValue,
    alpha,
  );
}

/** Has the CSAT (% satisfied) fallen? The share of unsatisfied answers rising, by `shareRiseCheck`. */
export function csatDropCheck(
  recent: { satisfied: number; count: number },
  baseline: { satisfied: number; count: number },
  options: ChangeTestOptions = {},
): ChangeCheck {
  const unsatisfied = (c: { satisfied: number; count: number }) => ({ hits: c.count - c.satisfied, replies: c.count });
  const rise = shareRiseCheck(unsatisfied(recent), unsatisfied(baseline), options);
  const satisfied = (share: number | null) => (share === null ? null : 100 - share);
  return {
    ...rise,
    recent: satisfied(rise.recent),
    baseline: satisfied(rise.baseline),
    change: rise.change === null ? null : -rise.change,
  };
}

/** The metrics a unit's score alert watches. */
export type AlertMetric = 'nps' | 'csat';

const counted = (value: number | undefined) => value ?? 0;

/** A score drop check from two windows' rollup counters (each the sum of its days, `totalCounters`). */
export function scoreDropCheck(
  metric: AlertMetric,
  recent: MetricCounters,
  baseline: MetricCounters,
  options: ChangeTestOptions = {},
): ChangeCheck {
  if (metric === 'csat') {
    const csat = (c: MetricCounters) => ({ satisfied: counted(c.csat?.satisfied), count: counted(c.csat?.count) });
    return csatDropCheck(csat(recent), csat(baseline), options);
  }
  const nps = (c: MetricCounters) => ({
    promoters: counted(c.nps?.promoters),
    passives: counted(c.nps?.passives),
    detractors: counted(c.nps?.detractors),
  });
  return npsDropCheck(nps(recent), nps(baseline), options);
}

/**
 * A theme's share rise check: `mentions` are the replies that mention it (a rollup's `themes[theme]`),
 * `replies` all replies in the window (its `responses`).
 */
export function themeRiseCheck(
  recent: { mentions: number; replies: number },
  baseline: { mentions: number; replies: number },
  options: ChangeTestOptions = {},
): ChangeCheck {
  return shareRiseCheck(
    { hits: recent.mentions, replies: recent.replies },
    { hits: baseline.mentions, replies: baseline.replies },
    options,
  );
}

/** What the caller keeps per unit and watched figure between checks. */
export interface AlertState {
  /** The check (e.g. its day) that opened the episode under way; null when none is. */
  since: string | null;
}

export const NO_EPISODE: AlertState = { since: null };

export interface AlertStep {
  state: AlertState;
  /** `alert`: tell the responsible people now; `recovered`: the episode is over; null: nothing new. */
  event: 'alert' | 'recovered' | null;
}

/**
 * The episode logic: a significant check opens an episode and alerts once; further checks of the same
 * episode stay silent, significant or not, until one shows recovery; a check with too few replies
 * changes nothing. `at` names the check (e.g. its day).
 */
export function nextAlertState(previous: AlertState, latest: ChangeCheck, at: string): AlertStep {
  if (!latest.testable) return { state: previous, event: null };
  if (previous.since === null)
    return latest.significant ? { state: { since: at }, event: 'alert' } : { state: previous, event: null };
  return latest.recovered ? { state: NO_EPISODE, event: 'recovered' } : { state: previous, event: null };
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The windows of a check on `today`: the recent window is the last `recentDays` days up to today, the
 * baseline the `baselineDays` days just before it, so that the two never overlap.
 */
export function alertWindows(
  today: string,
  { recentDays, baselineDays }: { recentDays: number; baselineDays: number },
): { recent: Period; baseline: Period } {
  const end = Date.parse(`${today}T00:00:00Z`);
  const recentFrom = end - (recentDays - 1) * DAY_MS;
  return {
    recent: { from: dayOf(recentFrom), to: today },
    baseline: { from: dayOf(recentFrom - baselineDays * DAY_MS), to: dayOf(recentFrom - DAY_MS) },
  };
}
