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

/** Each customer's latest score per step. */
function latestScores(replies: JourneyReply[]): Map<string, Map<number, JourneyReply>> {
  const byCustomer = new Map<string, Map<number, JourneyReply>>();
  for (const reply of replies) {
    const steps = byCustomer.get(reply.customerId) ?? new Map<number, JourneyReply>();
    const kept = steps.get(reply.step);
    if (!kept || kept.at < reply.at) steps.set(reply.step, reply);
    byCustomer.set(reply.customerId, steps);
  }
  return byCustomer;
}

export function journeyReport(
  journey: { programId: string; name: string; touchPoints: string[] },
  replies: JourneyReply[],
): JourneyReport {
  const customers = [...latestScores(replies).values()];
  const satisfied = (reply: JourneyReply | undefined) => reply !== undefined && reply.score >= SATISFIED_AT;
  const steps = journey.touchPoints.map((touchPoint, step) => {
    const here = customers.filter((c) => c.has(step));
    const throughHere = customers.filter((c) => journey.touchPoints.slice(0, step + 1).every((_, k) => c.has(k)));
    const withBefore = step > 0 ? here.filter((c) => c.has(step - 1)) : [];
    const scores = here.map((c) => c.get(step)!.score);
    return {
      step,
      touchPoint,
      customers: here.length,
      averageScore: scores.length ? Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 10) / 10 : null,
      satisfiedPercent: percent(here.filter((c) => satisfied(c.get(step))).length, here.length),
      cumulativePercent: percent(
        throughHere.filter((c) => journey.touchPoints.slice(0, step + 1).every((_, k) => satisfied(c.get(k)))).length,
        throughHere.length,
      ),
      fellPercent:
        step > 0
          ? percent(withBefore.filter((c) => c.get(step)!.score < c.get(step - 1)!.score).length, withBefore.length)
          : null,
    };
  });
  const last = steps.at(-1)?.cumulativePercent ?? null;
  const flagged =
    steps.every((s) => s.satisfiedPercent !== null && s.satisfiedPercent >= GOOD_SHARE) &&
    last !== null &&
    last < GOOD_SHARE;
  return { programId: journey.programId, name: journey.name, customers: customers.length, steps, flagged };
}
