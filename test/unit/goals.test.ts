import { describe, expect, it } from 'vitest';
import {
  describeGoal,
  goalPace,
  goalProgress,
  periodElapsed,
  periodRange,
  ZGoal,
  ZGoalPeriod,
  type Goal,
} from '../../src/domain/goals';
import type { MetricCounters } from '../../src/domain/statistics';

describe('ZGoalPeriod', () => {
  it.each(['2027', '2027-Q1', '2027-Q4', '2027-01', '2027-12', '2000', '2100-Q2'])('accepts %j', (period) => {
    expect(ZGoalPeriod.safeParse(period).success).toBe(true);
  });

  it.each([
    '2027-Q0',
    '2027-Q5',
    '2027-q1',
    '2027-00',
    '2027-13',
    '2027-1',
    '27-Q1',
    '1999',
    '2101-01',
    '',
    '2027-Q1x',
  ])('refuses %j', (period) => {
    expect(ZGoalPeriod.safeParse(period).success).toBe(false);
  });

  it('when unreadable, then only the format is reported', () => {
    const result = ZGoalPeriod.safeParse('Q1 2027');
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([
      'a year (2027), quarter (2027-Q1) or month (2027-03)',
    ]);
  });
});

describe('periodRange and periodElapsed', () => {
  it.each([
    ['2027', '2027-01-01', '2027-12-31'],
    ['2027-Q1', '2027-01-01', '2027-03-31'],
    ['2027-Q4', '2027-10-01', '2027-12-31'],
    ['2028-02', '2028-02-01', '2028-02-29'],
    ['2027-02', '2027-02-01', '2027-02-28'],
  ])('when the period is %j, then it runs from %s to %s', (period, from, to) => {
    expect(periodRange(period)).toEqual({ from, to });
  });

  it('tells the share of the period elapsed by the end of a day', () => {
    expect(periodElapsed('2027-Q1', '2026-12-31')).toBe(0);
    expect(periodElapsed('2027-Q1', '2027-01-01')).toBeCloseTo(1 / 90, 12);
    expect(periodElapsed('2027-Q1', '2027-02-14')).toBeCloseTo(45 / 90, 12);
    expect(periodElapsed('2027-Q1', '2027-03-31')).toBe(1);
    expect(periodElapsed('2027-Q1', '2027-06-01')).toBe(1);
  });
});

describe('ZGoal', () => {
  it('accepts a goal within the metric’s range', () => {
    expect(ZGoal.parse({ metric: 'nps', comparator: '>=', target: 40, period: '2027-Q1' })).toEqual({
      metric: 'nps',
      comparator: '>=',
      target: 40,
      period: '2027-Q1',
    });
    expect(ZGoal.safeParse({ metric: 'nps', comparator: '<=', target: -100, period: '2027' }).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an NPS above 100', { metric: 'nps', comparator: '>=', target: 101, period: '2027-Q1' }, 'target'],
    ['a CES below its scale', { metric: 'ces', comparator: '>=', target: 0.5, period: '2027-Q1' }, 'target'],
    ['a CSAT above 100 %', { metric: 'csat', comparator: '>=', target: 120, period: '2027-Q1' }, 'target'],
    ['a target that is no number', { metric: 'nps', comparator: '>=', target: '40', period: '2027-Q1' }, 'target'],
    ['an infinite target', { metric: 'nps', comparator: '>=', target: Infinity, period: '2027-Q1' }, 'target'],
    ['an unknown comparator', { metric: 'nps', comparator: '>', target: 40, period: '2027-Q1' }, 'comparator'],
    ['an unknown metric', { metric: 'ces2', comparator: '>=', target: 4, period: '2027-Q1' }, 'metric'],
    ['a bad period', { metric: 'nps', comparator: '>=', target: 40, period: '2027-Q5' }, 'period'],
    ['an unknown field', { metric: 'nps', comparator: '>=', target: 40, period: '2027-Q1', unit: 'EU' }, ''],
  ])('refuses %s', (_, input, path) => {
    const result = ZGoal.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });
});

describe('describeGoal', () => {
  it('reads as the issue writes it', () => {
    expect(describeGoal({ metric: 'nps', comparator: '>=', target: 40, period: '2027-Q1' })).toBe(
      'NPS ≥ 40 in 2027-Q1',
    );
    expect(describeGoal({ metric: 'ces', comparator: '<=', target: 5.5, period: '2027-03' })).toBe(
      'CES ≤ 5.5 in 2027-03',
    );
  });
});

describe('goalProgress', () => {
  const npsGoal: Goal = { metric: 'nps', comparator: '>=', target: 40, period: '2027-Q1' };
  const nps = (promoters: number, passives: number, detractors: number): MetricCounters => ({
    nps: { promoters, passives, detractors },
  });

  it.each<[string, MetricCounters, string, number]>([
    // NPS 50 ± 1.96·√(100²·(0.7 − 0.25)/1000) = 50 ± 4.16: all of it above 40.
    ['NPS 50 of 1 000 replies', nps(600, 300, 100), 'met-with-confidence', 10],
    // NPS 40 exactly, interval ± 12.5: on the target meets the goal, but not with confidence.
    ['NPS 40 of 100 replies', nps(50, 40, 10), 'met-not-yet-confident', 0],
    // NPS 36, interval 22.6–49.4: below the target, but the target is inside the interval.
    ['NPS 36 of 100 replies', nps(48, 40, 12), 'not-met-within-margin', -4],
    // NPS 0 ± 4.80: all of it below 40.
    ['NPS 0 of 1 000 replies', nps(300, 400, 300), 'missed-with-confidence', -40],
    ['NPS 100 of 20 replies', nps(20, 0, 0), 'too-few-replies', 60],
  ])('when %s against NPS ≥ 40, then %s', (_, counters, status, margin) => {
    const progress = goalProgress(npsGoal, counters);
    expect(progress.status).toBe(status);
    expect(progress.margin).toBeCloseTo(margin, 12);
  });

  it('reports the value, its interval and the replies', () => {
    expect(goalProgress(npsGoal, nps(48, 40, 12))).toMatchObject({
      value: 36,
      interval: { low: expect.closeTo(22.5574, 4), high: expect.closeTo(49.4426, 4) },
      replies: 100,
    });
  });

  it('when there are no replies, then nothing is estimated', () => {
    expect(goalProgress(npsGoal, {})).toEqual({
      value: null,
      interval: null,
      replies: 0,
      margin: null,
      status: 'too-few-replies',
      pace: null,
    });
  });

  it('when the minimum of replies is raised, then a clear result waits for it', () => {
    expect(goalProgress(npsGoal, nps(600, 300, 100), 2000).status).toBe('too-few-replies');
  });

  it('when the goal is a ceiling, then the sides swap', () => {
    // CSAT 81/263 = 30.8 %, Wilson interval 25.5–36.6 %.
    const csat = { csat: { satisfied: 81, count: 263 } };
    const ceiling = (target: number): Goal => ({ metric: 'csat', comparator: '<=', target, period: '2027' });
    expect(goalProgress(ceiling(40), csat)).toMatchObject({
      status: 'met-with-confidence',
      margin: expect.closeTo(9.2, 1),
    });
    expect(goalProgress(ceiling(33), csat).status).toBe('met-not-yet-confident');
    expect(goalProgress(ceiling(30), csat).status).toBe('not-met-within-margin');
    expect(goalProgress(ceiling(20), csat).status).toBe('missed-with-confidence');
  });
});

describe('goalPace', () => {
  const npsGoal: Goal = { metric: 'nps', comparator: '>=', target: 40, period: '2027-Q1' };
  const nps = (promoters: number, passives: number, detractors: number): MetricCounters => ({
    nps: { promoters, passives, detractors },
  });

  it.each<[string, MetricCounters, number, string]>([
    // NPS 50, interval 45.84–54.16: decided once 0.96·5.84 − 0.04·140 ≥ 0, i.e. from 95.99 % of the period.
    ['NPS 50 of 1 000 replies, half-way', nps(600, 300, 100), 0.5, 'on-track'],
    ['NPS 50 of 1 000 replies, at 95 %', nps(600, 300, 100), 0.95, 'on-track'],
    ['NPS 50 of 1 000 replies, at 97 %', nps(600, 300, 100), 0.97, 'met-with-confidence'],
    // NPS 0 ± 4.80: missed once f·(−35.20) + (1 − f)·60 < 0, i.e. from 63.03 % of the period.
    ['NPS 0 of 1 000 replies, at 60 %', nps(300, 400, 300), 0.6, 'at-risk'],
    ['NPS 0 of 1 000 replies, at 65 %', nps(300, 400, 300), 0.65, 'missed-with-confidence'],
    ['NPS 36 of 100 replies, half-way', nps(48, 40, 12), 0.5, 'at-risk'],
    ['NPS 40 of 100 replies, half-way', nps(50, 40, 10), 0.5, 'on-track'],
    ['NPS 100 of 20 replies, half-way', nps(20, 0, 0), 0.5, 'too-few-replies'],
    ['no replies at the start', {}, 0, 'too-few-replies'],
  ])('when %s against NPS ≥ 40, then %s', (_, counters, elapsed, pace) => {
    expect(goalProgress(npsGoal, counters, 30, elapsed).pace).toBe(pace);
  });

  it('when the period is over, then there is no pace: the status is final', () => {
    expect(goalProgress(npsGoal, nps(600, 300, 100), 30, 1).pace).toBeNull();
    expect(goalProgress(npsGoal, nps(600, 300, 100)).pace).toBeNull();
  });

  it('when a running period is all but over, then the pace agrees with the status', () => {
    for (const counters of [nps(600, 300, 100), nps(300, 400, 300)]) {
      const progress = goalProgress(npsGoal, counters);
      expect(goalPace(npsGoal, progress, 0.9999)).toBe(progress.status);
    }
  });

  it('when the goal is a ceiling, then the worst of the scale is its top', () => {
    // CES ≤ 3 (1–7): mean 2.0 with a known spread; the rest of the period could bring it to 7.
    const ces = { ces: { sum: 200, sumSquares: 500, count: 100 } };
    const ceiling: Goal = { metric: 'ces', comparator: '<=', target: 3, period: '2027' };
    const progress = goalProgress(ceiling, ces, 30, 0.5);
    expect(progress.pace).toBe('on-track');
    // worst end ≈ 2.2 (margin 0.8) against a scale worst of 7 (−4): decided from f ≥ 4 / 4.8.
    expect(goalPace(ceiling, progress, 0.9)).toBe('met-with-confidence');
  });
});
