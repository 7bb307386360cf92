import { describe, expect, it } from 'vitest';
import {
  type JourneyCounters,
  type JourneyReply,
  SATISFIED_AT,
  addCounters,
  dailyDifferences,
  journeyFromCounters,
  journeyReport,
  withReply,
} from '../../src/domain/journeys';
import { rollupDay } from '../../src/domain/rollup';
import { mulberry32 } from '../support/prng';

const DAY_MS = 86_400_000;
const journey = {
  programId: 'onboarding',
  name: 'Onboarding',
  touchPoints: ['signup', 'kyc', 'first_order', 'renewal'],
};

/** The report as it was computed before the counters: straight from each customer's latest replies. */
function reference(replies: JourneyReply[]) {
  const byCustomer = new Map<string, Map<number, JourneyReply>>();
  for (const reply of replies) {
    const steps = byCustomer.get(reply.customerId) ?? new Map<number, JourneyReply>();
    const kept = steps.get(reply.step);
    if (!kept || kept.at < reply.at) steps.set(reply.step, reply);
    byCustomer.set(reply.customerId, steps);
  }
  const customers = [...byCustomer.values()];
  const percent = (part: number, whole: number) => (whole > 0 ? Math.round((part / whole) * 1000) / 10 : null);
  const sat = (r: JourneyReply | undefined) => r !== undefined && r.score >= SATISFIED_AT;
  return journey.touchPoints.map((touchPoint, step) => {
    const here = customers.filter((c) => c.has(step));
    const through = customers.filter((c) => journey.touchPoints.slice(0, step + 1).every((_, k) => c.has(k)));
    const withBefore = step > 0 ? here.filter((c) => c.has(step - 1)) : [];
    const scores = here.map((c) => c.get(step)!.score);
    return {
      step,
      touchPoint,
      customers: here.length,
      averageScore: scores.length ? Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 10) / 10 : null,
      satisfiedPercent: percent(here.filter((c) => sat(c.get(step))).length, here.length),
      cumulativePercent: percent(
        through.filter((c) => journey.touchPoints.slice(0, step + 1).every((_, k) => sat(c.get(k)))).length,
        through.length,
      ),
      fellPercent:
        step > 0
          ? percent(withBefore.filter((c) => c.get(step)!.score < c.get(step - 1)!.score).length, withBefore.length)
          : null,
    };
  });
}

const SCORES = [0, 10, 25, 33.3, 40, 50, 66.7, 70, 75, 80, 83.3, 90, 100];
const START = Date.parse('2026-01-01T00:00:00Z');

/** Customers answering some steps, some twice, over 60 days. */
function randomReplies(seed: number): JourneyReply[] {
  const random = mulberry32(seed);
  const replies: JourneyReply[] = [];
  for (let customer = 0; customer < 40; customer++)
    for (let step = 0; step < journey.touchPoints.length; step++)
      for (let answer = 0; answer < 2; answer++)
        if (random() < (answer === 0 ? 0.8 : 0.3))
          replies.push({
            customerId: `c${customer}`,
            step,
            score: SCORES[Math.floor(random() * SCORES.length)]!,
            at: START + Math.floor(random() * 60 * DAY_MS),
          });
  return replies;
}

/** What the owner keeps: per customer the day differences of their latest points, summed per day. */
function dayCounters(replies: JourneyReply[]): Map<string, JourneyCounters> {
  const points = new Map<string, ReturnType<typeof withReply> & object>();
  for (const reply of replies)
    points.set(reply.customerId, withReply(points.get(reply.customerId) ?? [], reply) ?? points.get(reply.customerId)!);
  const days = new Map<string, JourneyCounters>();
  for (const customer of points.values())
    for (const [day, counters] of dailyDifferences(customer)) days.set(day, addCounters(days.get(day) ?? {}, counters));
  return days;
}

describe('journey counters', () => {
  it('give the figures computed from the replies, for every seed and any first day', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const replies = randomReplies(seed);
      const days = dayCounters(replies);
      for (let offset = -1; offset <= 61; offset += 3) {
        const since = START + offset * DAY_MS;
        const kept = replies.filter((r) => r.at >= since);
        const summed: JourneyCounters = {};
        for (const [day, counters] of days) if (day >= rollupDay(since)) addCounters(summed, counters);
        const fromCounters = journeyFromCounters(journey, summed);
        expect(fromCounters).toEqual(journeyReport(journey, kept));
        // The same figures as before, but for the average score at an exact half (58.65), which a
        // float sum of the scores rounded either way and the exact sum of tenths rounds up.
        const before = reference(kept);
        expect(fromCounters.steps.map(({ averageScore: _average, ...rest }) => rest)).toEqual(
          before.map(({ averageScore: _average, ...rest }) => rest),
        );
        fromCounters.steps.forEach((s, i) =>
          expect(Math.abs((s.averageScore ?? 0) - (before[i]!.averageScore ?? 0))).toBeLessThan(0.1 + 1e-9),
        );
        expect(fromCounters.customers).toBe(new Set(kept.map((r) => r.customerId)).size);
      }
    }
  });

  it('keep the later reply at a step, and the first of two equally late', () => {
    const first = { step: 1, score: 40, at: 5 };
    expect(withReply([], first)).toEqual([first]);
    expect(withReply([first], { step: 1, score: 90, at: 5 })).toBeNull();
    expect(withReply([first], { step: 1, score: 90, at: 4 })).toBeNull();
    expect(withReply([first], { step: 0, score: 90, at: 1 })).toEqual([{ step: 0, score: 90, at: 1 }, first]);
    expect(withReply([first], { step: 1, score: 90, at: 6 })).toEqual([{ step: 1, score: 90, at: 6 }]);
  });

  it('split a customer by the days of their latest replies, summing to their counters since each day', () => {
    const points = [
      { step: 0, score: 90, at: START },
      { step: 1, score: 40, at: START + 2 * DAY_MS },
    ];
    expect(Object.fromEntries(dailyDifferences(points))).toEqual({
      // From the second day on: kyc only (not through signup).
      '2026-01-03': { customers: 1, 's1.n': 1, 's1.sum': 400 },
      // From the first: signup too, so kyc is through signup and fell from it; the customer is counted once.
      '2026-01-01': {
        's0.n': 1,
        's0.sum': 900,
        's0.sat': 1,
        's0.thru': 1,
        's0.cum': 1,
        's1.thru': 1,
        's1.wb': 1,
        's1.fell': 1,
      },
    });
  });
});
