import { z } from 'zod';
import { ZAttributeName } from './audience';

/**
 * The quadrant rule: a customer is placed by their summary score (0–100) against a score cut-off
 * and their revenue (a customer attribute) against a revenue cut-off. Segments select customers
 * by quadrant; the quadrant report places every scored account and shows how accounts moved.
 */

export const QUADRANTS = ['model', 'growth', 'at-risk', 'dangling'] as const;
export type Quadrant = (typeof QUADRANTS)[number];

export const ZQuadrantCutoffs = z
  .object({
    /** A summary score (0–100) at or above this is high. */
    score: z.number().min(0).max(100).default(70),
    /** Revenue at or above this is high. */
    revenue: z.number().finite().min(0).default(10_000),
    /** The customer attribute that holds revenue. */
    revenueAttribute: ZAttributeName.default('revenue'),
  })
  .strict();
export type TQuadrantCutoffs = z.infer<typeof ZQuadrantCutoffs>;

/**
 * The account's revenue, as reports and charts show it: its revenue attribute as a finite number,
 * null when the attribute is missing or not a number.
 */
export function revenueOf(attributes: Record<string, unknown>, cutoffs: TQuadrantCutoffs): number | null {
  const revenue = Number(attributes[cutoffs.revenueAttribute]);
  return Number.isFinite(revenue) ? revenue : null;
}

/**
 * Revenue at or above the cut-off. A missing revenue counts as 0 (so a cut-off of 0 makes it
 * high); one that is not a number is never high.
 */
function highRevenue(attributes: Record<string, unknown>, cutoffs: TQuadrantCutoffs): boolean {
  const revenue = attributes[cutoffs.revenueAttribute] === undefined ? 0 : revenueOf(attributes, cutoffs);
  return revenue !== null && revenue >= cutoffs.revenue;
}

/** The customer's quadrant; none without a score. */
export function quadrantOf(
  score: number | undefined,
  attributes: Record<string, unknown>,
  cutoffs: TQuadrantCutoffs,
): Quadrant | undefined {
  if (score === undefined) return undefined;
  const high = highRevenue(attributes, cutoffs);
  if (score >= cutoffs.score) return high ? 'model' : 'growth';
  return high ? 'at-risk' : 'dangling';
}

/** A customer's summary score as the scores' owner keeps it: total and by month (`YYYY-MM`). */
export interface ScoreTotals {
  count: number;
  sum: number;
  months?: Record<string, { count?: number; sum?: number }>;
}

const average = (sum: number, count: number) => Math.round((sum / count) * 10) / 10;

/** The customer's summary score now (all replies), 0–100; null without one. */
export function scoreNow(totals: ScoreTotals): number | null {
  return totals.count > 0 ? average(totals.sum, totals.count) : null;
}

/**
 * The score from the replies before `month`: the total less the months from `month` on. Replies
 * scored before months were kept count as earlier ones. Null when every reply is that recent.
 */
export function scoreBefore(totals: ScoreTotals, month: string): number | null {
  let { count, sum } = totals;
  for (const [m, part] of Object.entries(totals.months ?? {})) {
    if (m < month) continue;
    count -= part.count ?? 0;
    sum -= part.sum ?? 0;
  }
  return count > 0 ? average(sum, count) : null;
}

export interface Account {
  id: string;
  name?: string;
  attributes: Record<string, unknown>;
  totals: ScoreTotals;
}

export interface PlacedAccount {
  id: string;
  name?: string;
  score: number;
  revenue: number | null;
  quadrant: Quadrant;
  /** Where it was before the period; null when it had no score then. */
  previous: Quadrant | null;
}

export interface QuadrantReport {
  cutoffs: TQuadrantCutoffs;
  since: string;
  accounts: PlacedAccount[];
  counts: Record<Quadrant, number>;
  /** How many accounts moved from each quadrant (or `new`: no score before) to each other one. */
  movement: { from: Quadrant | 'new'; to: Quadrant; count: number }[];
  /** Low score, high revenue: largest revenue first. */
  atRisk: PlacedAccount[];
}

/** Places each scored account by its score and revenue, and compares with the months before `sinceMonth`. */
export function quadrantReport(accounts: Account[], cutoffs: TQuadrantCutoffs, sinceMonth: string): QuadrantReport {
  const placed: PlacedAccount[] = [];
  for (const account of accounts) {
    const score = scoreNow(account.totals);
    if (score === null) continue;
    const before = scoreBefore(account.totals, sinceMonth);
    placed.push({
      id: account.id,
      ...(account.name ? { name: account.name } : {}),
      score,
      revenue: revenueOf(account.attributes, cutoffs),
      quadrant: quadrantOf(score, account.attributes, cutoffs)!,
      previous: before === null ? null : quadrantOf(before, account.attributes, cutoffs)!,
    });
  }
  const counts = Object.fromEntries(QUADRANTS.map((q) => [q, 0])) as Record<Quadrant, number>;
  const moves = new Map<string, number>();
  for (const account of placed) {
    counts[account.quadrant] += 1;
    const from = account.previous ?? 'new';
    if (from !== account.quadrant)
      moves.set(`${from}>${account.quadrant}`, (moves.get(`${from}>${account.quadrant}`) ?? 0) + 1);
  }
  const movement = [...moves]
    .map(([key, count]) => {
      const [from, to] = key.split('>') as [Quadrant | 'new', Quadrant];
      return { from, to, count };
    })
    .sort((a, b) => b.count - a.count || `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`));
  const atRisk = placed
    .filter((a) => a.quadrant === 'at-risk')
    .sort((a, b) => (b.revenue ?? 0) - (a.revenue ?? 0) || a.id.localeCompare(b.id));
  return { cutoffs, since: sinceMonth, accounts: placed, counts, movement, atRisk };
}
