import { describe, expect, it } from 'vitest';
import {
  ZRelationshipCadence,
  cycleContaining,
  cyclePosition,
  dayOf,
  daysToSurvey,
  isDueOn,
  relationshipEventId,
  surveyDay,
} from '../../src/domain/cadence';
import { ZProgram } from '../../src/domain/program';

const day = (iso: string) => dayOf(Date.parse(iso));
const cadence = (input: Record<string, unknown>) => ZRelationshipCadence.parse(input);
/** Joined long before any cycle in these tests. */
const LONG_AGO = new Date('2000-01-01');

describe('relationship cadence', () => {
  it('when 10,000 customers share a 30-day cycle, then each is due on exactly one day and no day is more than 15% off the mean', () => {
    const thirty = cadence({ cycle: '30d', startsOn: '2026-01-01' });
    const first = day('2026-03-02');
    const cycle = cycleContaining(thirty, first);
    expect(cycle).toEqual({ start: first, length: 30 });
    const perDay = new Array<number>(30).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const customer = { id: `cust-${String(i).padStart(5, '0')}`, joinedAt: LONG_AGO };
      const due = perDay.map((_, d) => isDueOn(thirty, 'yearly-nps', customer, first + d));
      expect(due.filter(Boolean)).toHaveLength(1);
      perDay[due.indexOf(true)]!++;
    }
    const mean = 10_000 / 30;
    expect(Math.max(...perDay)).toBeLessThanOrEqual(mean * 1.15);
    expect(Math.min(...perDay)).toBeGreaterThanOrEqual(mean * 0.85);
  });

  it('when the cycle is calendar-based, then it spans the calendar month, quarter or year (UTC)', () => {
    expect(cycleContaining(cadence({ cycle: 'monthly' }), day('2027-02-14'))).toEqual({
      start: day('2027-02-01'),
      length: 28,
    });
    expect(cycleContaining(cadence({ cycle: 'quarterly' }), day('2026-11-24'))).toEqual({
      start: day('2026-10-01'),
      length: 92,
    });
    expect(cycleContaining(cadence({ cycle: 'yearly' }), day('2028-12-31'))).toEqual({
      start: day('2028-01-01'),
      length: 366,
    });
    // N-day cycles count from startsOn, before it too.
    expect(cycleContaining(cadence({ cycle: '7d', startsOn: '2026-01-05' }), day('2026-01-04'))).toEqual({
      start: day('2025-12-29'),
      length: 7,
    });
  });

  it('when a customer joins mid-cycle, then their day falls after the day they joined, and on the last day they wait for the next cycle', () => {
    const cycle = { start: 100, length: 30 };
    expect(surveyDay(0, cycle, 50)).toBe(100);
    expect(surveyDay(0.999, cycle, 100)).toBe(129);
    expect(surveyDay(0, cycle, 110)).toBe(111);
    expect(surveyDay(0.999, cycle, 110)).toBe(129);
    expect(surveyDay(0.5, cycle, 128)).toBe(129);
    expect(surveyDay(0.5, cycle, 129)).toBeUndefined();
  });

  it('when many customers join on one day, then their days spread over the rest of the cycle', () => {
    const cycle = { start: 0, length: 30 };
    const days = new Set(Array.from({ length: 1000 }, (_, i) => surveyDay(cyclePosition('p', `new-${i}`), cycle, 20)));
    expect([...days].sort((a, b) => a! - b!)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29]);
  });

  it('when a customer is in two programs, then the programs usually survey them on different days', () => {
    const sameDay = Array.from({ length: 1000 }, (_, i) => `c${i}`).filter(
      (id) => Math.floor(cyclePosition('a', id) * 365) === Math.floor(cyclePosition('b', id) * 365),
    );
    expect(sameDay.length).toBeLessThan(20);
  });

  it('when waves were missed, then catch-up covers the missed days of the current cycle only, and skip covers today', () => {
    const catchUp = cadence({ cycle: '30d', startsOn: '1970-01-01' });
    expect(daysToSurvey(catchUp, 95, 91)).toEqual([92, 93, 94, 95]);
    // 90 starts a cycle: days 88 and 89 belong to the one before.
    expect(daysToSurvey(catchUp, 91, 87)).toEqual([90, 91]);
    expect(daysToSurvey(catchUp, 95, undefined)).toEqual([95]);
    expect(daysToSurvey(catchUp, 95, 95)).toEqual([]);
    expect(daysToSurvey({ ...catchUp, missedDays: 'skip' }, 95, 91)).toEqual([95]);
  });

  it('when a wave repeats, then the event ID is the same for the whole cycle', () => {
    const monthly = cadence({ cycle: 'monthly' });
    const ids = ['2026-12-02', '2026-12-31'].map((d) =>
      relationshipEventId('nps', cycleContaining(monthly, day(d)), 'c1'),
    );
    expect(ids).toEqual(['rel:nps:2026-12-01:c1', 'rel:nps:2026-12-01:c1']);
  });

  it('when a program is saved, then relationship programs need a cadence and only they may have one', () => {
    const base = {
      id: 'rel',
      name: 'Yearly',
      survey: { questions: [{ id: 'nps', type: 'nps', label: 'Recommend us?' }] },
      email: { subject: 'Hi', intro: 'Hello' },
    };
    expect(ZProgram.safeParse({ ...base, kind: 'relationship' }).error?.issues[0]?.path).toEqual(['cadence']);
    expect(ZProgram.safeParse({ ...base, kind: 'relationship', cadence: { cycle: '0d' } }).success).toBe(false);
    expect(ZProgram.safeParse({ ...base, kind: 'relationship', cadence: { cycle: '800d' } }).success).toBe(false);
    expect(
      ZProgram.safeParse({ ...base, kind: 'relationship', cadence: { cycle: 'yearly', timezone: 'Mars/Base' } })
        .success,
    ).toBe(false);
    const saved = ZProgram.parse({ ...base, kind: 'relationship', cadence: { cycle: 'quarterly' } });
    expect(saved.cadence).toEqual({
      cycle: 'quarterly',
      startsOn: '1970-01-01',
      runAt: '09:00',
      timezone: 'UTC',
      missedDays: 'catch-up',
    });
    expect(
      ZProgram.safeParse({ ...base, kind: 'pulsed', cadence: { cycle: 'yearly' } }).error?.issues[0]?.message,
    ).toMatch(/only relationship/);
  });
});
