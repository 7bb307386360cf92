import { describe, expect, it } from 'vitest';
import {
  type CaseFacts,
  type CaseRollup,
  caseContribution,
  caseFigures,
  caseIncrement,
  caseMetrics,
  fieldKey,
  fromFieldKey,
  percentileHours,
  routingIncrement,
  caseMetricsContribution,
} from '../../src/domain/case-metrics';

const facts = (over: Partial<CaseFacts> = {}): CaseFacts => ({
  status: 'open',
  ownerId: 'ann@example.com',
  teamId: 'support',
  breached: false,
  ...over,
});
const HOUR = 3_600_000;

describe('caseIncrement', () => {
  it("counts an opening into its owner's and team's backlog", () => {
    expect(caseIncrement({ kind: 'opened', before: null, after: facts() })).toEqual({
      'cases.opened': 1,
      'cases.backlog.owner.ann@example%2Ecom': 1,
      'cases.backlog.team.support': 1,
    });
  });

  it('moves the backlog on a reassignment, and leaves it alone when nothing moves', () => {
    expect(
      caseIncrement({ kind: 'reassign', before: facts(), after: facts({ ownerId: 'bob', status: 'in_progress' }) }),
    ).toEqual({ 'cases.backlog.owner.ann@example%2Ecom': -1, 'cases.backlog.owner.bob': 1 });
    expect(caseIncrement({ kind: 'note', before: facts(), after: facts() })).toEqual({});
  });

  it('counts a resolution: out of the backlog, business hours rounded up, root cause, SLA breach', () => {
    const resolved = facts({ status: 'resolved', rootCause: 'Delivery delay', breached: true });
    expect(
      caseIncrement({
        kind: 'resolve',
        before: facts({ breached: true }),
        after: resolved,
        businessMsToResolve: 2.2 * HOUR,
      }),
    ).toEqual({
      'cases.backlog.owner.ann@example%2Ecom': -1,
      'cases.backlog.team.support': -1,
      'cases.resolved': 1,
      'cases.resolutionHours.3': 1,
      'cases.rootCauses.Delivery delay': 1,
      'cases.slaBreached': 1,
      'cases.byOwner.ann@example%2Ecom.resolved': 1,
      'cases.byOwner.ann@example%2Ecom.hours.3': 1,
      'cases.byRootCause.Delivery delay.resolved': 1,
      'cases.byRootCause.Delivery delay.hours.3': 1,
    });
    // Resolved within minutes: the first hour.
    expect(
      caseIncrement({ kind: 'resolve', before: facts(), after: facts({ status: 'resolved' }), businessMsToResolve: 0 }),
    ).toMatchObject({ 'cases.resolutionHours.1': 1 });
  });

  it('counts a reopening back into the backlog, an escalation, and a close at the first contact', () => {
    expect(
      caseIncrement({ kind: 'reopened', before: facts({ status: 'resolved' }), after: facts({ status: 'reopened' }) }),
    ).toEqual({
      'cases.reopened': 1,
      'cases.backlog.owner.ann@example%2Ecom': 1,
      'cases.backlog.team.support': 1,
    });
    expect(caseIncrement({ kind: 'escalated', before: facts(), after: facts({ breached: true }) })).toEqual({
      'cases.escalations': 1,
    });
    const close = {
      kind: 'closed',
      before: facts({ status: 'resolved' as const }),
      after: facts({ status: 'closed' }),
    };
    expect(caseIncrement({ ...close, firstContact: true })).toEqual({ 'cases.closed': 1, 'cases.firstContact': 1 });
    expect(caseIncrement({ ...close, firstContact: false })).toEqual({ 'cases.closed': 1 });
  });

  it('counts the follow-up answer that closes or reopens a resolved case for its owner and root cause', () => {
    const resolved = facts({ status: 'resolved', rootCause: 'Billing error' });
    expect(
      caseIncrement({ kind: 'closed', before: resolved, after: { ...resolved, status: 'closed' }, followUpCsat: 4 }),
    ).toEqual({
      'cases.closed': 1,
      'cases.byOwner.ann@example%2Ecom.followUps': 1,
      'cases.byOwner.ann@example%2Ecom.satisfied': 1,
      'cases.byRootCause.Billing error.followUps': 1,
      'cases.byRootCause.Billing error.satisfied': 1,
    });
    // A dissatisfied answer reopens it: counted, not satisfied.
    expect(
      caseIncrement({
        kind: 'reopened',
        before: resolved,
        after: { ...resolved, status: 'reopened' },
        followUpCsat: 2,
      }),
    ).toMatchObject({ 'cases.byOwner.ann@example%2Ecom.followUps': 1, 'cases.byRootCause.Billing error.followUps': 1 });
    expect(
      caseIncrement({
        kind: 'reopened',
        before: resolved,
        after: { ...resolved, status: 'reopened' },
        followUpCsat: 2,
      }),
    ).not.toHaveProperty(['cases.byOwner.ann@example%2Ecom.satisfied']);
    // Without an answer (closed for want of one), or when the case was not resolved, nothing.
    expect(caseIncrement({ kind: 'closed', before: resolved, after: { ...resolved, status: 'closed' } })).toEqual({
      'cases.closed': 1,
    });
    expect(
      caseIncrement({ kind: 'closed', before: facts(), after: facts({ status: 'closed' }), followUpCsat: 5 }),
    ).not.toHaveProperty(['cases.byOwner.ann@example%2Ecom.followUps']);
  });

  it("makes a contribution keyed by the change's place in the timeline; an opening counts against the account", () => {
    const theCase = { id: 'r1', programId: 'p', customerId: 'c1' };
    const opened = caseContribution(theCase, 0, Date.parse('2026-03-01T10:00:00Z'), {
      kind: 'opened',
      before: null,
      after: facts(),
    });
    expect(opened).toMatchObject({
      replyId: 'case:r1:0',
      day: '2026-03-01',
      segments: ['all'],
      customerIncrement: { cases: 1 },
    });
    const later = caseContribution(theCase, 3, Date.parse('2026-03-02T10:00:00Z'), {
      kind: 'escalated',
      before: facts(),
      after: facts(),
    });
    expect(later?.replyId).toBe('case:r1:3');
    expect(later?.customerIncrement).toBeUndefined();
    // A note counts for nothing: nothing to hand over.
    expect(caseContribution(theCase, 4, Date.now(), { kind: 'note', before: facts(), after: facts() })).toBeNull();
  });

  it("moves the routing state: its owner's unclosed cases, its team's cases opened", () => {
    const ann = 'open.ann@example%2Ecom';
    const theCase = { id: 'r1', programId: 'p', customerId: 'c1' };
    const change = (kind: string, before: CaseFacts | null, after: CaseFacts) =>
      caseContribution(theCase, 1, Date.parse('2026-03-01T10:00:00Z'), { kind, before, after })?.routing;
    expect(change('opened', null, facts())).toEqual({ [ann]: 1, 'opened.support': 1 });
    expect(change('reassign', facts(), facts({ ownerId: 'bob' }))).toEqual({ [ann]: -1, 'open.bob': 1 });
    // A resolved case is still unclosed: it stays on its owner until it closes, and moves with a reassignment.
    const resolved = facts({ status: 'resolved' });
    expect(change('resolve', facts(), resolved)).toBeUndefined();
    expect(change('closed', resolved, facts({ status: 'closed' }))).toEqual({ [ann]: -1 });
    expect(change('reopened', resolved, facts({ status: 'reopened' }))).toBeUndefined();
    expect(change('reopen', facts({ status: 'closed' }), facts({ status: 'reopened' }))).toEqual({ [ann]: 1 });
    // A resolved case reassigned moves no rollup counter, only the routing state: in no rollup.
    const reassigned = caseContribution(theCase, 2, Date.now(), {
      kind: 'reassign',
      before: resolved,
      after: facts({ status: 'resolved', ownerId: 'bob' }),
    });
    expect(reassigned).toMatchObject({ segments: [], increment: {}, routing: { [ann]: -1, 'open.bob': 1 } });
    expect(routingIncrement({ before: facts({ status: 'closed' }), after: facts({ status: 'closed' }) })).toEqual({});
    // For the metrics alone (backfills, the demo): without routing, and nothing at all for that reassignment.
    const metricsOnly = (before: CaseFacts | null, after: CaseFacts) =>
      caseMetricsContribution(theCase, 3, Date.now(), { kind: 'change', before, after });
    expect(metricsOnly(null, facts())).not.toHaveProperty('routing');
    expect(metricsOnly(null, facts())?.increment).toMatchObject({ 'cases.opened': 1 });
    expect(metricsOnly(resolved, facts({ status: 'resolved', ownerId: 'bob' }))).toBeNull();
  });

  // The root's figures are `all`'s: no `unit:company` rollup is written.
  it("counts a change in the units below the root of the case's reply as well, when given", () => {
    const theCase = { id: 'r1', programId: 'p', customerId: 'c1' };
    const change = { kind: 'opened', before: null, after: facts() };
    expect(
      caseContribution(theCase, 0, Date.parse('2026-03-01T10:00:00Z'), change, ['company', 'eu'])?.segments,
    ).toEqual(['all', 'unit:eu']);
  });
});

describe('fieldKey', () => {
  it('makes any name a field name and back', () => {
    for (const name of ['ann@example.com', '$set', 'a%2Eb', '50% off. Really.'])
      expect(fromFieldKey(fieldKey(name)), name).toBe(name);
    expect(fieldKey('$x.y')).not.toMatch(/^\$|\./);
  });
});

describe('percentileHours', () => {
  it('takes the nearest rank: median and 90th percentile of ten resolutions', () => {
    // 1 h ×4, 2 h ×3, 5 h ×2, 40 h ×1
    const hours = { '1': 4, '2': 3, '5': 2, '40': 1 };
    expect(percentileHours(hours, 0.5)).toBe(2);
    expect(percentileHours(hours, 0.9)).toBe(5);
    expect(percentileHours(hours, 1)).toBe(40);
  });

  it('has none without resolutions, and the one value with one', () => {
    expect(percentileHours({}, 0.5)).toBeNull();
    expect(percentileHours({ '7': 0 }, 0.5)).toBeNull();
    expect(percentileHours({ '7': 1 }, 0.9)).toBe(7);
  });
});

describe('caseMetrics', () => {
  const day = (d: string, cases: CaseRollup['cases'], programId = 'p1', segment = 'all'): CaseRollup => ({
    programId,
    day: d,
    segment,
    cases,
  });
  const docs = [
    day('2026-03-02', {
      opened: 3,
      resolved: 2,
      resolutionHours: { '2': 1, '9': 1 },
      rootCauses: { 'Billing error': 2 },
      slaBreached: 1,
      backlog: { owner: { 'ann%2Eb': 3, bob: 0 }, team: { support: 3 } },
    }),
    day('2026-03-05', {
      resolved: 2,
      reopened: 1,
      closed: 2,
      firstContact: 1,
      escalations: 2,
      resolutionHours: { '4': 2 },
      rootCauses: { 'Delivery delay': 1, 'Billing error': 1 },
      backlog: { owner: { 'ann%2Eb': -2 }, team: { support: -2 } },
    }),
    day('2026-02-26', { opened: 1, backlog: { owner: { bob: 1 }, team: { field: 1 } } }),
    // Another program and another segment are left out.
    day('2026-03-05', { opened: 9 }, 'p2'),
    day('2026-03-05', { opened: 9 }, 'p1', 'region:EU'),
  ];
  const filters = { from: '2026-03-01', to: '2026-03-10', programId: 'p1', compare: 'previous' as const };

  it('computes each figure of the period by hand-checkable sums and percentiles, and the comparison', () => {
    const metrics = caseMetrics(filters, docs, docs);
    expect(metrics.current).toEqual({
      opened: 3,
      resolved: 4,
      reopened: 1,
      closed: 2,
      escalations: 2,
      slaBreachRate: 25,
      reopenRate: 25,
      firstContactRate: 50,
      // 2, 4, 4, 9 business hours
      medianResolutionHours: 4,
      p90ResolutionHours: 9,
    });
    expect(metrics.previous).toMatchObject({
      opened: 1,
      resolved: 0,
      slaBreachRate: null,
      medianResolutionHours: null,
    });
    expect(metrics.series.find((p) => p.bucket === '2026-03-02')).toEqual({
      bucket: '2026-03-02',
      opened: 3,
      resolved: 2,
    });
    expect(metrics.series).toHaveLength(10);
    expect(metrics.rootCauses).toEqual([
      { rootCause: 'Billing error', count: 3, previous: 0 },
      { rootCause: 'Delivery delay', count: 1, previous: 0 },
    ]);
  });

  it('sums the backlog over every month, whatever the period, leaving out owners with nothing open (names decoded)', () => {
    const metrics = caseMetrics({ ...filters, compare: 'none' }, [], docs);
    expect(metrics.backlog).toEqual({
      owners: [
        { id: 'ann.b', open: 1 },
        { id: 'bob', open: 1 },
      ],
      teams: [
        { id: 'field', open: 1 },
        { id: 'support', open: 1 },
      ],
    });
    expect(metrics.previous).toBeNull();
  });

  it('gives resolution times and post-resolution CSAT per owner and per root cause, with n and the 95 % interval', () => {
    const groups = [
      day('2026-03-02', {
        byOwner: {
          'ann%2Eb': { resolved: 6, hours: { '1': 2, '2': 3, '5': 1 }, followUps: 5, satisfied: 4 },
          bob: { resolved: 1, hours: { '7': 1 } },
        },
        byRootCause: { 'Billing error': { resolved: 7, hours: { '1': 2, '2': 3, '5': 1, '7': 1 }, followUps: 5 } },
      }),
      day('2026-03-05', {
        byOwner: {
          'ann%2Eb': { resolved: 4, hours: { '5': 3, '20': 1 }, followUps: 3, satisfied: 2 },
          cy: { followUps: 2, satisfied: 1 },
        },
        byRootCause: { 'Billing error': { satisfied: 3 } },
      }),
      // Outside the period, another program: left out.
      day('2026-02-20', { byOwner: { bob: { resolved: 5, hours: { '1': 5 } } } }),
      day('2026-03-05', { byOwner: { bob: { resolved: 5, hours: { '1': 5 } } } }, 'p2'),
    ];
    const metrics = caseMetrics(filters, groups, []);
    // ann.b: 1, 1, 2, 2, 2, 5, 5, 5, 5, 20 business hours → median (rank 5) 2, p90 (rank 9) 5; 6 of 8 satisfied.
    expect(metrics.byOwner).toEqual([
      {
        id: 'ann.b',
        resolved: 10,
        medianResolutionHours: 2,
        p90ResolutionHours: 5,
        followUps: 8,
        postResolutionCsat: 75,
        postResolutionCsatInterval: { low: expect.closeTo(40.9275, 4), high: expect.closeTo(92.8521, 4) },
      },
      {
        id: 'bob',
        resolved: 1,
        medianResolutionHours: 7,
        p90ResolutionHours: 7,
        followUps: 0,
        postResolutionCsat: null,
        postResolutionCsatInterval: null,
      },
      // Answers after a resolution counted in an earlier period: no resolution in this one.
      {
        id: 'cy',
        resolved: 0,
        medianResolutionHours: null,
        p90ResolutionHours: null,
        followUps: 2,
        postResolutionCsat: 50,
        postResolutionCsatInterval: { low: expect.closeTo(9.4531, 4), high: expect.closeTo(90.5469, 4) },
      },
    ]);
    expect(metrics.byRootCause).toEqual([
      expect.objectContaining({
        id: 'Billing error',
        resolved: 7,
        medianResolutionHours: 2,
        p90ResolutionHours: 7,
        followUps: 5,
        postResolutionCsat: 60,
      }),
    ]);
  });

  it('has no rates without cases', () => {
    expect(caseFigures([])).toEqual({
      opened: 0,
      resolved: 0,
      reopened: 0,
      closed: 0,
      escalations: 0,
      slaBreachRate: null,
      reopenRate: null,
      firstContactRate: null,
      medianResolutionHours: null,
      p90ResolutionHours: null,
    });
  });
});
