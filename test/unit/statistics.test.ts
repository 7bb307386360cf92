import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  comparableUnits,
  csatEstimate,
  hypergeometricUpperTail,
  meanEstimate,
  metricEstimate,
  metricReplies,
  normalCdf,
  npsEstimate,
  npsReplyVariance,
  totalCounters,
  wilsonInterval,
  Z_95,
  type MetricCounters,
} from '../../src/domain/statistics';
import { mulberry32, sampleHits, sampleNps } from '../support/prng';

describe('normalCdf', () => {
  // Reference values: Python's statistics.NormalDist().cdf.
  it.each([
    [0, 0.5],
    [Z_95, 0.975],
    [2.3263478740408408, 0.99],
    [-1, 0.15865525393145707],
    [3, 1 - 0.0013498980316301035],
    [-3, 0.0013498980316301035],
    [-12, 0],
    [12, 1],
  ])('when x is %d, then Φ(x) is %d', (x, expected) => {
    expect(normalCdf(x)).toBeCloseTo(expected, 12);
  });
});

const choose = (n: number, k: number): number => {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
};

describe('hypergeometricUpperTail', () => {
  it('gives the lady tasting tea her p-values: 4 of 4 cups right is 1/70, 3 or more 17/70', () => {
    expect(hypergeometricUpperTail(4, 4, 4, 8)).toBeCloseTo(1 / 70, 14);
    expect(hypergeometricUpperTail(3, 4, 4, 8)).toBeCloseTo(17 / 70, 14);
  });

  it('is 1 at or below the lowest possible count and 0 above the highest', () => {
    expect(hypergeometricUpperTail(0, 10, 5, 30)).toBe(1);
    expect(hypergeometricUpperTail(6, 10, 5, 30)).toBe(0);
    // 25 draws from 30 with 10 marked hold at least 5 marked ones.
    expect(hypergeometricUpperTail(5, 25, 10, 30)).toBe(1);
  });

  it('when counted against every term summed directly, then both tails agree (small tables)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 60 })
          .chain((population) =>
            fc.tuple(
              fc.constant(population),
              fc.integer({ min: 0, max: population }),
              fc.integer({ min: 0, max: population }),
              fc.integer({ min: 0, max: population }),
            ),
          ),
        ([population, successes, draws, x]) => {
          let direct = 0;
          for (let k = x; k <= Math.min(draws, successes); k++)
            direct += (choose(successes, k) * choose(population - successes, draws - k)) / choose(population, draws);
          expect(hypergeometricUpperTail(x, draws, successes, population)).toBeCloseTo(Math.min(1, direct), 10);
        },
      ),
    );
  });

  it('when the counts are large, then the far tail is tiny but not lost', () => {
    // 150 of 1 000 recent replies against 100 of 1 000 before: clearly significant, and a tail of zero below it.
    const p = hypergeometricUpperTail(150, 1000, 250, 2000);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-3);
    expect(hypergeometricUpperTail(100, 1000, 250, 2000)).toBeGreaterThan(0.99);
  });
});

describe('npsEstimate', () => {
  it('when 50 promoters, 30 passives and 20 detractors, then NPS 30 ± 1.96·√61 (trinomial variance)', () => {
    // p = 0.5, d = 0.2: Var per reply = 100²·[(0.5 + 0.2) − (0.5 − 0.2)²] = 6100; SE = √(6100/100) = √61 ≈ 7.81.
    const estimate = npsEstimate({ promoters: 50, passives: 30, detractors: 20 });
    expect(npsReplyVariance({ promoters: 50, passives: 30, detractors: 20 })).toBeCloseTo(6100, 9);
    expect(estimate?.value).toBeCloseTo(30, 12);
    expect(estimate?.standardError).toBeCloseTo(Math.sqrt(61), 12);
    expect(estimate?.interval.low).toBeCloseTo(14.6922, 4);
    expect(estimate?.interval.high).toBeCloseTo(45.3078, 4);
    expect(estimate?.replies).toBe(100);
  });

  it('when the interval would pass 100, then it is clamped to the scale', () => {
    // 98 promoters, 2 detractors: NPS 96, SE = √(100²·(1 − 0.96²)/100) = 2.8, so 96 + 5.49 > 100.
    const estimate = npsEstimate({ promoters: 98, passives: 0, detractors: 2 });
    expect(estimate?.standardError).toBeCloseTo(2.8, 12);
    expect(estimate?.interval.low).toBeCloseTo(96 - Z_95 * 2.8, 12);
    expect(estimate?.interval.high).toBe(100);
  });

  it('when there are no replies, then there is no estimate', () => {
    expect(npsEstimate({ promoters: 0, passives: 0, detractors: 0 })).toBeNull();
  });

  it('when replies are drawn from NPS 30 (2 000 seeds of 100 replies), then the 95 % interval covers 30 in 93–97 % of them', () => {
    let covered = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const { interval } = npsEstimate(sampleNps(mulberry32(seed), 100, { promoters: 0.45, detractors: 0.15 }))!;
      if (interval.low <= 30 && interval.high >= 30) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });
});

describe('wilsonInterval and csatEstimate', () => {
  it('when 81 of 263, then the Wilson interval is 0.2553–0.3662 (the textbook example)', () => {
    const interval = wilsonInterval(81, 263);
    expect(interval.low).toBeCloseTo(0.25529, 5);
    expect(interval.high).toBeCloseTo(0.36621, 5);
  });

  it('when 0 of 10, then it runs from 0 to 2·(z²/20)/(1 + z²/10) ≈ 0.2775, not a zero-width interval', () => {
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(0, 10).high).toBeCloseTo(0.27753, 5);
    expect(wilsonInterval(10, 10).low).toBeCloseTo(1 - 0.27753, 5);
    expect(wilsonInterval(10, 10).high).toBe(1);
  });

  it('when CSAT counts 81 satisfied of 263, then it is 30.8 % with the Wilson interval in %', () => {
    const estimate = csatEstimate({ satisfied: 81, count: 263 });
    expect(estimate?.value).toBeCloseTo(30.798, 3);
    expect(estimate?.interval.low).toBeCloseTo(25.529, 3);
    expect(estimate?.interval.high).toBeCloseTo(36.621, 3);
    expect(estimate?.standardError).toBeCloseTo(100 * Math.sqrt((81 / 263) * (182 / 263) * (1 / 263)), 12);
    expect(csatEstimate({ satisfied: 0, count: 0 })).toBeNull();
  });

  it('when replies are drawn from CSAT 80 % (2 000 seeds of 100 replies), then the interval covers 80 in 93–97 %', () => {
    let covered = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const { interval } = csatEstimate({ satisfied: sampleHits(mulberry32(seed), 100, 0.8), count: 100 })!;
      if (interval.low <= 80 && interval.high >= 80) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });
});

describe('meanEstimate', () => {
  const scale = { min: 1, max: 7 };

  it('when the sum of squares is counted, then the interval uses the sample variance', () => {
    // Answers 1, 2, 3, 4, 5: mean 3, s² = (55 − 15²/5)/4 = 2.5, SE = √(2.5/5) ≈ 0.707.
    const estimate = meanEstimate({ sum: 15, count: 5, sumSquares: 55 }, scale);
    expect(estimate?.value).toBe(3);
    expect(estimate?.standardError).toBeCloseTo(Math.sqrt(0.5), 12);
    expect(estimate?.interval.low).toBeCloseTo(1.6141, 4);
    expect(estimate?.interval.high).toBeCloseTo(4.3859, 4);
    expect(estimate?.conservative).toBe(false);
  });

  it('when only sum and count are counted, then the largest variance the scale allows is used', () => {
    // Mean 3 on 1–7: s² ≤ (7 − 3)(3 − 1)·5/4 = 10, SE = √2; the low end is clamped to the scale.
    const estimate = meanEstimate({ sum: 15, count: 5 }, scale);
    expect(estimate?.standardError).toBeCloseTo(Math.sqrt(2), 12);
    expect(estimate?.interval).toEqual({ low: 1, high: 3 + Z_95 * Math.sqrt(2) });
    expect(estimate?.conservative).toBe(true);
  });

  it('whatever the answers, the conservative interval is never narrower than the exact one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 2, maxLength: 200 }), (answers) => {
        const sum = answers.reduce((t, x) => t + x, 0);
        const sumSquares = answers.reduce((t, x) => t + x * x, 0);
        const exact = meanEstimate({ sum, count: answers.length, sumSquares }, scale)!;
        const conservative = meanEstimate({ sum, count: answers.length }, scale)!;
        expect(conservative.standardError).toBeGreaterThanOrEqual(exact.standardError - 1e-9);
      }),
    );
  });

  it('when one reply, then the interval is the whole scale; when none, there is no estimate', () => {
    expect(meanEstimate({ sum: 6, count: 1 }, scale)?.interval).toEqual({ low: 1, high: 7 });
    expect(meanEstimate({ sum: 0, count: 0 }, scale)).toBeNull();
  });
});

describe('totalCounters, metricReplies and metricEstimate', () => {
  const days: MetricCounters[] = [
    {
      nps: { promoters: 5, passives: 3, detractors: 2 },
      csat: { satisfied: 4, count: 5 },
      ces: { sum: 30, count: 6 },
      summary: { sum: 300, count: 4, sumSquares: 25_000 },
    },
    { nps: { promoters: 1, detractors: 1 }, summary: { sum: 50, count: 1, sumSquares: 2_500 } },
    {},
  ];

  it('adds the counters up, keeping Σx² only when every document with replies counted it', () => {
    expect(totalCounters(days)).toEqual({
      nps: { promoters: 6, passives: 3, detractors: 3 },
      csat: { satisfied: 4, count: 5 },
      ces: { sum: 30, count: 6 },
      summary: { sum: 350, count: 5, sumSquares: 27_500 },
    });
    expect(totalCounters([...days, { summary: { sum: 80, count: 1 } }]).summary).toEqual({ sum: 430, count: 6 });
  });

  it('counts the replies and estimates each metric from them', () => {
    const total = totalCounters(days);
    expect(metricReplies(total, 'nps')).toBe(12);
    expect(metricReplies(total, 'csat')).toBe(5);
    expect(metricReplies(total, 'ces')).toBe(6);
    expect(metricReplies(total, 'summary')).toBe(5);
    expect(metricEstimate(total, 'nps')?.value).toBeCloseTo(25, 12);
    expect(metricEstimate(total, 'csat')?.value).toBeCloseTo(80, 12);
    expect(metricEstimate(total, 'ces')).toMatchObject({ value: 5, conservative: true });
    expect(metricEstimate(total, 'summary')).toMatchObject({ value: 70, conservative: false });
    expect(metricEstimate({}, 'ces')).toBeNull();
  });
});

describe('comparableUnits', () => {
  const nps = (promoters: number, passives: number, detractors: number): MetricCounters => ({
    nps: { promoters, passives, detractors },
  });

  it('ranks the units with enough replies, equal shown values sharing a rank, and leaves the rest unranked', () => {
    const rows = [
      { unit: 'EU', counters: nps(50, 30, 20) }, // NPS 30, 100 replies
      { unit: 'US', counters: nps(60, 20, 20) }, // NPS 40, 100 replies
      { unit: 'APAC', counters: nps(9, 0, 0) }, // NPS 100, but 9 replies
      { unit: 'LATAM', counters: nps(40, 50, 10) }, // NPS 30, 100 replies
      { unit: 'MEA', counters: {} },
    ];
    const compared = comparableUnits(rows, 30, 'nps');
    expect(compared.map((row) => [row.unit, row.rank, row.metrics.nps.ranked])).toEqual([
      ['EU', 2, true],
      ['US', 1, true],
      ['APAC', null, false],
      ['LATAM', 2, true],
      ['MEA', null, false],
    ]);
    expect(compared[2]?.metrics.nps).toMatchObject({ replies: 9, estimate: { value: 100 } });
    expect(compared[4]?.metrics.nps).toEqual({ replies: 0, estimate: null, ranked: false });
  });

  it('shows every metric side by side, each ranked on its own replies', () => {
    const [row] = comparableUnits([
      {
        unit: 'EU',
        counters: { ...nps(20, 10, 10), csat: { satisfied: 10, count: 12 }, summary: { sum: 2800, count: 40 } },
      },
    ]);
    expect(row?.metrics.nps).toMatchObject({ replies: 40, ranked: true });
    expect(row?.metrics.csat).toMatchObject({ replies: 12, ranked: false });
    expect(row?.metrics.ces).toMatchObject({ replies: 0, ranked: false });
    expect(row?.metrics.summary).toMatchObject({ replies: 40, ranked: true, estimate: { value: 70 } });
    expect(row?.rank).toBe(1);
  });
});
