import { describe, expect, it } from 'vitest';
import {
  type Account,
  ZQuadrantCutoffs,
  quadrantOf,
  quadrantReport,
  revenueOf,
  scoreBefore,
  scoreNow,
} from '../../src/domain/quadrants';

const cutoffs = ZQuadrantCutoffs.parse({ score: 70, revenue: 10_000 });

const account = (id: string, revenue: number | undefined, totals: Account['totals']): Account => ({
  id,
  attributes: revenue === undefined ? {} : { revenue },
  totals,
});

describe('scores now and before a month', () => {
  it('averages all replies now, and leaves out the months from the one given', () => {
    const totals = {
      count: 3,
      sum: 150,
      months: { '2026-08': { count: 2, sum: 160 }, '2026-10': { count: 1, sum: -10 } },
    };
    expect(scoreNow(totals)).toBe(50);
    expect(scoreBefore(totals, '2026-10')).toBe(80);
    expect(scoreBefore(totals, '2026-08')).toBeNull();
    expect(scoreNow({ count: 0, sum: 0 })).toBeNull();
  });

  it('counts replies scored before months were kept as earlier ones', () => {
    // 4 replies in all, only the latest one (in October) with its month.
    expect(scoreBefore({ count: 4, sum: 100, months: { '2026-10': { count: 1, sum: 40 } } }, '2026-10')).toBe(20);
    expect(scoreBefore({ count: 2, sum: 90 }, '2026-10')).toBe(45);
  });
});

describe('quadrantReport', () => {
  const accounts = [
    // At the cut-offs exactly: high score, high revenue.
    account('boundary', 10_000, { count: 1, sum: 70, months: { '2026-01': { count: 1, sum: 70 } } }),
    account('just-below', 9_999.99, { count: 1, sum: 69.9 }),
    account('no-revenue', undefined, { count: 1, sum: 90 }),
    account('fell', 20_000, {
      count: 2,
      sum: 120,
      months: { '2026-05': { count: 1, sum: 100 }, '2026-10': { count: 1, sum: 20 } },
    }),
    account('new-big', 50_000, { count: 1, sum: 10, months: { '2026-10': { count: 1, sum: 10 } } }),
    account('unscored', 99_000, { count: 0, sum: 0 }),
  ];
  const report = quadrantReport(accounts, cutoffs, '2026-09');

  it('places each scored account; a cut-off itself counts as high; no revenue is low', () => {
    expect(Object.fromEntries(report.accounts.map((a) => [a.id, a.quadrant]))).toEqual({
      boundary: 'model',
      'just-below': 'dangling',
      'no-revenue': 'growth',
      fell: 'at-risk',
      'new-big': 'at-risk',
    });
    expect(report.counts).toEqual({ model: 1, growth: 1, 'at-risk': 2, dangling: 1 });
  });

  it('counts movement from the quadrant before the month, and lists At-Risk by revenue', () => {
    expect(report.movement).toEqual([
      { from: 'model', to: 'at-risk', count: 1 },
      { from: 'new', to: 'at-risk', count: 1 },
    ]);
    expect(report.atRisk.map((a) => [a.id, a.revenue, a.score, a.previous])).toEqual([
      ['new-big', 50_000, 10, null],
      ['fell', 20_000, 60, 'model'],
    ]);
  });
});

describe('revenue, read one way for placing and for showing', () => {
  const free = ZQuadrantCutoffs.parse({ score: 70, revenue: 0 });
  const cases: [string, Record<string, unknown>, number | null, 'model' | 'growth'][] = [
    ['a number', { revenue: 5 }, 5, 'model'],
    ['a numeric text', { revenue: '5' }, 5, 'model'],
    ['null, read as 0', { revenue: null }, 0, 'model'],
    // Shown as unknown, placed as 0: at a revenue cut-off of 0 it is high.
    ['missing', {}, null, 'model'],
    // Shown as unknown and never high, whatever the cut-off.
    ['not a number', { revenue: 'lots' }, null, 'growth'],
  ];
  it.each(cases)('%s', (_what, attributes, shown, quadrant) => {
    expect(revenueOf(attributes, free)).toBe(shown);
    expect(quadrantOf(80, attributes, free)).toBe(quadrant);
  });
});
