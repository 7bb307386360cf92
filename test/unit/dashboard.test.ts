import { describe, expect, it } from 'vitest';
import {
  type DashboardFilters,
  type DashboardRollup,
  bucketFor,
  bucketOf,
  bucketsOf,
  comparisonPeriod,
  defaultSegment,
  experienceDashboard,
  funnelStages,
  lastDays,
  periodDays,
  segmentInScope,
} from '../../src/domain/dashboard';
import { EVERY_UNIT, type UnitScope } from '../../src/domain/units';
import { ZSurvey } from '../../src/domain/survey-schema';
import { latestExamples, rollupIncrement } from '../../src/domain/rollup';
import { scoreReply } from '../../src/domain/scoring';

const survey = ZSurvey.parse({
  questions: [
    { id: 'nps', type: 'nps', required: true, label: 'Recommend?' },
    { id: 'csat', type: 'csat', required: false, label: 'Satisfied?' },
    { id: 'comment', type: 'text', required: false, label: 'Why?' },
  ],
});
const themes = { delivery: ['late', 'delivery'] };

/** Rollups as the scores' owner writes them: one document per program, day and segment. */
function rollupsOf(
  replies: {
    day: string;
    nps: number;
    csat?: number;
    comment?: string;
    region?: string;
    programId?: string;
    units?: string[];
  }[],
): DashboardRollup[] {
  const docs = new Map<string, DashboardRollup>();
  for (const [index, reply] of replies.entries()) {
    const scores = scoreReply(
      survey,
      {
        nps: reply.nps,
        ...(reply.csat ? { csat: reply.csat } : {}),
        ...(reply.comment ? { comment: reply.comment } : {}),
      },
      themes,
    );
    const programId = reply.programId ?? 'p1';
    const unitSegments = (reply.units ?? []).map((id) => `unit:${id}`);
    for (const segment of ['all', ...(reply.region ? [`region:${reply.region}`] : []), ...unitSegments]) {
      const key = `${programId}|${reply.day}|${segment}`;
      const doc = docs.get(key) ?? { programId, day: reply.day, segment };
      for (const [path, n] of Object.entries(rollupIncrement(scores))) {
        const [head, tail] = path.split('.') as [string, string | undefined];
        const target = doc as unknown as Record<string, Record<string, number> | number>;
        if (tail) {
          const group = (target[head] ??= {}) as Record<string, number>;
          group[tail] = (group[tail] ?? 0) + n;
        } else target[head] = ((target[head] as number | undefined) ?? 0) + n;
      }
      for (const theme of scores.themes)
        (doc.examples ??= {})[theme] = latestExamples(doc.examples[theme], [`r${index}`]);
      docs.set(key, doc);
    }
  }
  return [...docs.values()];
}

const filters = (over: Partial<DashboardFilters> = {}): DashboardFilters => ({
  from: '2026-03-01',
  to: '2026-03-10',
  segment: 'all',
  compare: 'previous',
  ...over,
});

describe('periods and buckets', () => {
  it('counts both ends and goes back from today', () => {
    expect(periodDays({ from: '2026-03-01', to: '2026-03-01' })).toBe(1);
    expect(periodDays({ from: '2026-02-01', to: '2026-03-01' })).toBe(29);
    expect(lastDays('2026-03-10', 10)).toEqual({ from: '2026-03-01', to: '2026-03-10' });
  });

  it('compares with the days just before, or the same dates a year earlier', () => {
    expect(comparisonPeriod({ from: '2026-03-01', to: '2026-03-10' }, 'previous')).toEqual({
      from: '2026-02-19',
      to: '2026-02-28',
    });
    expect(comparisonPeriod({ from: '2028-02-29', to: '2028-03-31' }, 'year')).toEqual({
      from: '2027-02-28',
      to: '2027-03-31',
    });
    expect(comparisonPeriod({ from: '2026-03-01', to: '2026-03-10' }, 'none')).toBeNull();
  });

  it('charts days up to a month, weeks up to half a year, then months', () => {
    expect(bucketFor({ from: '2026-01-01', to: '2026-01-31' })).toBe('day');
    expect(bucketFor({ from: '2026-01-01', to: '2026-02-01' })).toBe('week');
    expect(bucketFor({ from: '2026-01-01', to: '2026-07-02' })).toBe('week');
    expect(bucketFor({ from: '2026-01-01', to: '2026-07-03' })).toBe('month');
  });

  it('names a week by its Monday (ISO 8601), also across a year end', () => {
    expect(bucketOf('2026-03-01', 'week')).toBe('2026-02-23'); // a Sunday
    expect(bucketOf('2026-03-02', 'week')).toBe('2026-03-02'); // a Monday
    expect(bucketOf('2027-01-01', 'week')).toBe('2026-12-28');
    expect(bucketOf('2026-03-17', 'month')).toBe('2026-03');
    expect(bucketsOf({ from: '2026-02-26', to: '2026-03-10' }, 'week')).toEqual([
      '2026-02-23',
      '2026-03-02',
      '2026-03-09',
    ]);
  });
});

describe('experienceDashboard', () => {
  it('has no figures, but every bucket, without replies', () => {
    const dashboard = experienceDashboard(filters(), []);
    expect(dashboard.current.responses).toBe(0);
    expect(dashboard.current.nps).toBeNull();
    expect(dashboard.series).toHaveLength(10);
    expect(dashboard.series.every((p) => p.responses === 0 && p.nps === null)).toBe(true);
    expect(dashboard.split).toEqual([]);
    expect(dashboard.themes).toEqual([]);
  });

  it('shows a single reply in its bucket only', () => {
    const dashboard = experienceDashboard(filters(), rollupsOf([{ day: '2026-03-04', nps: 9, csat: 5 }]));
    expect(dashboard.current).toMatchObject({ responses: 1, nps: 100, csatPercent: 100 });
    expect(dashboard.series.find((p) => p.bucket === '2026-03-04')).toMatchObject({ responses: 1, nps: 100 });
    expect(dashboard.series.filter((p) => p.responses > 0)).toHaveLength(1);
    expect(dashboard.previous).toMatchObject({ responses: 0, nps: null });
  });

  it('rounds NPS to one decimal: 1 promoter, 1 passive, 1 detractor in 3 is 0; 2 of 3 promoters is 66.7', () => {
    const even = experienceDashboard(
      filters(),
      rollupsOf([
        { day: '2026-03-01', nps: 10 },
        { day: '2026-03-01', nps: 7 },
        { day: '2026-03-02', nps: 3 },
      ]),
    );
    expect(even.current.nps).toBe(0);
    const twoThirds = experienceDashboard(
      filters(),
      rollupsOf([
        { day: '2026-03-01', nps: 10 },
        { day: '2026-03-01', nps: 9 },
        { day: '2026-03-02', nps: 8 },
      ]),
    );
    expect(twoThirds.current.nps).toBe(66.7);
  });

  it('keeps the comparison period, other programs and other segments apart', () => {
    const docs = rollupsOf([
      { day: '2026-03-05', nps: 10, region: 'EU', comment: 'late delivery' },
      { day: '2026-03-06', nps: 0, region: 'NA', comment: 'the delivery was late' },
      { day: '2026-03-06', nps: 10, region: 'EU' },
      { day: '2026-02-25', nps: 0, region: 'EU', comment: 'late' },
      { day: '2026-03-05', nps: 0, programId: 'p2', region: 'EU' },
    ]);
    const dashboard = experienceDashboard(filters({ programId: 'p1' }), docs);
    expect(dashboard.current).toMatchObject({ responses: 3, nps: 33.3 });
    expect(dashboard.previous).toMatchObject({ responses: 1, nps: -100 });
    expect(dashboard.split).toEqual([
      {
        dimension: 'region',
        rows: [
          { value: 'EU', responses: 2, nps: 100, csatPercent: null, cesAverage: null },
          { value: 'NA', responses: 1, nps: -100, csatPercent: null, cesAverage: null },
        ],
      },
    ]);
    // Examples newest first: the NA reply of the 6th, then the EU reply of the 5th.
    expect(dashboard.themes).toEqual([{ theme: 'delivery', count: 2, previous: 1, exampleIds: ['r1', 'r0'] }]);
    expect(dashboard.segments).toEqual(['region:EU', 'region:NA']);

    const eu = experienceDashboard(filters({ programId: 'p1', segment: 'region:EU', compare: 'none' }), docs);
    expect(eu.current).toMatchObject({ responses: 2, nps: 100 });
    expect(eu.previous).toBeNull();
    expect(eu.themes).toEqual([{ theme: 'delivery', count: 1, previous: null, exampleIds: ['r0'] }]);

    const everyProgram = experienceDashboard(filters(), docs);
    expect(everyProgram.current.responses).toBe(4);
  });
});

describe('funnelStages', () => {
  const funnel = { invited: 3, reminded: 2, answered: 1, expired: 1, unsubscribed: 0 };

  it('gives each stage its share of the invitations, to one decimal, with the earlier count', () => {
    expect(funnelStages(funnel, { ...funnel, invited: 5 })).toEqual([
      { stage: 'invited', count: 3, percentOfInvited: 100, previous: 5 },
      { stage: 'reminded', count: 2, percentOfInvited: 66.7, previous: 2 },
      { stage: 'answered', count: 1, percentOfInvited: 33.3, previous: 1 },
      { stage: 'expired', count: 1, percentOfInvited: 33.3, previous: 1 },
      { stage: 'unsubscribed', count: 0, percentOfInvited: 0, previous: 0 },
    ]);
  });

  it('has no shares when nothing was invited (replies to earlier invitations still count), and no earlier counts without a comparison', () => {
    const stages = funnelStages({ ...funnel, invited: 0 }, null);
    expect(stages.map((s) => s.percentOfInvited)).toEqual([null, null, null, null, null]);
    expect(stages.find((s) => s.stage === 'answered')).toMatchObject({ count: 1, previous: null });
  });
});

describe('the dashboard of a person responsible for some units', () => {
  const gm: UnitScope = { all: false, top: ['eu'], unitIds: ['eu', 'de', 'fr'] };
  const nobody: UnitScope = { all: false, top: [], unitIds: [] };

  it('starts everyone on all, a person responsible for units on their first unit, and nobody else anywhere', () => {
    expect(defaultSegment(EVERY_UNIT)).toBe('all');
    expect(defaultSegment(gm)).toBe('unit:eu');
    expect(defaultSegment(nobody)).toBeNull();
  });

  it.each<[string, UnitScope, string, boolean]>([
    ['everyone', EVERY_UNIT, 'all', true],
    ['everyone', EVERY_UNIT, 'region:US', true],
    ['everyone', EVERY_UNIT, 'unit:us', true],
    ['the GM of EU', gm, 'unit:eu', true],
    ['the GM of EU', gm, 'unit:de', true],
    ['the GM of EU', gm, 'unit:us', false],
    ['the GM of EU', gm, 'unit:company', false],
    ['the GM of EU', gm, 'all', false],
    ['the GM of EU', gm, 'region:EU', false],
    ['a person without units', nobody, 'unit:eu', false],
  ])('when %s asks for %s, then it is allowed: %s', (_, scope, segment, allowed) => {
    expect(segmentInScope(scope, segment)).toBe(allowed);
  });

  it('splits the shown unit by the units below it instead of the attribute dimensions', () => {
    const docs = rollupsOf([
      { day: '2026-03-05', nps: 10, region: 'EU', units: ['company', 'eu', 'de'] },
      { day: '2026-03-06', nps: 0, region: 'EU', units: ['company', 'eu', 'fr'] },
      { day: '2026-03-06', nps: 10, region: 'EU', units: ['company', 'eu', 'de'] },
      { day: '2026-03-06', nps: 0, region: 'US', units: ['company', 'us'] },
    ]);
    const dashboard = experienceDashboard(filters({ segment: 'unit:eu', compare: 'none' }), docs, ['de', 'fr']);
    expect(dashboard.current).toMatchObject({ responses: 3, nps: 33.3 });
    expect(dashboard.split).toEqual([
      {
        dimension: 'unit',
        rows: [
          { value: 'de', responses: 2, nps: 100, csatPercent: null, cesAverage: null },
          { value: 'fr', responses: 1, nps: -100, csatPercent: null, cesAverage: null },
        ],
      },
    ]);
    // Without units to split by (an unscoped person), the attribute dimensions as before.
    expect(experienceDashboard(filters({ segment: 'unit:eu' }), docs).split.map((s) => s.dimension)).toEqual([
      'region',
    ]);
  });
});
