import { z } from 'zod';
import { ZAttributeName, inAudience } from './audience';
import { stableFraction } from './hash';
import { LIMITS } from './limits';
import { QUADRANTS, ZQuadrantCutoffs, quadrantOf } from './quadrants';

/**
 * Segments for pulsed campaigns: which customers a campaign reaches, from their attributes,
 * latest summary score, quadrant (see quadrants.ts), and when they were last contacted or last
 * answered; optionally a reproducible random sample of them.
 */

const ZScore = z.number().min(0).max(100);

export const ZSegment = z
  .object({
    /** Every attribute listed must equal one of its values, e.g. `{ region: ['EU'] }`. */
    attributes: z
      .record(
        ZAttributeName,
        z.array(z.union([z.string().max(500), z.number().finite(), z.boolean()])).max(LIMITS.audienceValues),
      )
      .refine((rules) => Object.keys(rules).length <= LIMITS.audienceRules, `at most ${LIMITS.audienceRules} rules`)
      .default({}),
    /** Latest summary score (0–100), inclusive; customers who never answered have none and do not match. */
    score: z
      .object({ min: ZScore.optional(), max: ZScore.optional() })
      .strict()
      .refine((s) => s.min === undefined || s.max === undefined || s.min <= s.max, 'min must not exceed max')
      .optional(),
    /** Customers in any of these quadrants (customers without a score are in none). */
    quadrants: z.array(z.enum(QUADRANTS)).min(1).max(QUADRANTS.length).optional(),
    cutoffs: ZQuadrantCutoffs.default(ZQuadrantCutoffs.parse({})),
    /** Surveyed (sent or scheduled) at or after this time. */
    contactedSince: z.iso.datetime({ offset: true }).optional(),
    /** Not surveyed since this time (never surveyed included). */
    notContactedSince: z.iso.datetime({ offset: true }).optional(),
    /** Answered at or after this time. */
    respondedSince: z.iso.datetime({ offset: true }).optional(),
    /** Not answered since this time (never answered included). */
    notRespondedSince: z.iso.datetime({ offset: true }).optional(),
    /** Customers whose case was resolved with this root cause within the period (the outer loop). */
    rootCause: z
      .object({
        name: z.string().trim().min(1).max(200),
        from: z.iso.datetime({ offset: true }),
        to: z.iso.datetime({ offset: true }),
      })
      .strict()
      .refine((r) => Date.parse(r.from) <= Date.parse(r.to), 'the period starts after it ends')
      .optional(),
  })
  .strict();
export type TSegment = z.infer<typeof ZSegment>;

/** Count or percent of the matching customers, chosen reproducibly from the seed. */
export const ZSample = z.union([
  z.object({ count: z.number().int().min(1).max(10_000_000), seed: z.string().min(1).max(100) }).strict(),
  z.object({ percent: z.number().gt(0).max(100), seed: z.string().min(1).max(100) }).strict(),
]);
export type TSample = z.infer<typeof ZSample>;

/** What a segment looks at for one customer. */
export interface SegmentFacts {
  attributes: Record<string, unknown>;
  /** Latest summary score, 0–100. */
  score?: number;
  lastContactAt?: Date;
  lastReplyAt?: Date;
  /** A case of theirs was resolved with the segment's root cause in its period. */
  hadRootCause?: boolean;
}

export function matchesSegment(segment: TSegment, facts: SegmentFacts): boolean {
  if (!inAudience(segment.attributes, facts.attributes)) return false;
  if (segment.rootCause && !facts.hadRootCause) return false;
  if (segment.score) {
    if (facts.score === undefined) return false;
    if (segment.score.min !== undefined && facts.score < segment.score.min) return false;
    if (segment.score.max !== undefined && facts.score > segment.score.max) return false;
  }
  if (segment.quadrants) {
    const quadrant = quadrantOf(facts.score, facts.attributes, segment.cutoffs);
    if (!quadrant || !segment.quadrants.includes(quadrant)) return false;
  }
  return (
    since(facts.lastContactAt, segment.contactedSince, segment.notContactedSince) &&
    since(facts.lastReplyAt, segment.respondedSince, segment.notRespondedSince)
  );
}

function since(last: Date | undefined, atOrAfter: string | undefined, notAfter: string | undefined): boolean {
  if (atOrAfter !== undefined && !(last && last.getTime() >= Date.parse(atOrAfter))) return false;
  if (notAfter !== undefined && last && last.getTime() >= Date.parse(notAfter)) return false;
  return true;
}

/** The customer's place in the sample's draw, in [0, 1): the same seed draws the same customers. */
export const sampleDraw = (seed: string, customerId: string): number => stableFraction(`${seed}\u0000${customerId}`);

/**
 * How many of `matched` customers the sample takes: `count` (at most all of them) or `percent`
 * of them, rounded, at least one when any match.
 */
export function sampleSize(sample: TSample | undefined, matched: number): number {
  if (!sample) return matched;
  if ('count' in sample) return Math.min(sample.count, matched);
  return matched === 0 ? 0 : Math.max(1, Math.round((matched * sample.percent) / 100));
}

/**
 * The draw at or below which a customer is in the sample: the `size`-th smallest of the matching
 * customers' draws (Infinity takes everyone). A pass collects the draws, a second pass takes the
 * customers at or below the cutoff: only numbers are held, never the customers.
 */
export function sampleCutoff(draws: number[], size: number): number {
  if (size >= draws.length) return Infinity;
  if (size <= 0) return -Infinity;
  return [...draws].sort((a, b) => a - b)[size - 1]!;
}
