import { describe, expect, it } from 'vitest';
import { DEMO_PROGRAMS } from '../../src/demo/seed';
import { demoHistory, demoJourneys } from '../../src/demo/history';
import { journeyReport } from '../../src/domain/journeys';
import { SPLIT_DIMENSIONS } from '../../src/domain/dashboard';

describe("the demo's year of replies", () => {
  const now = Date.parse('2026-12-02T12:00:00Z');
  const history = demoHistory(DEMO_PROGRAMS, now);

  it('is the same every time, a year long, and every reply is scored and counted once', () => {
    expect(demoHistory(DEMO_PROGRAMS, now).replies.map((r) => r._id)).toEqual(history.replies.map((r) => r._id));
    expect(history.replies.length).toBeGreaterThan(1500);
    expect(new Set(history.replies.map((r) => r._id)).size).toBe(history.replies.length);
    const days = new Set(history.replies.map((r) => r.submittedAt.toISOString().slice(0, 10)));
    expect(days.size).toBe(365);
    expect(Math.max(...history.replies.map((r) => r.submittedAt.getTime()))).toBeLessThan(now);
    expect(history.contributions.map((c) => c.replyId)).toEqual(history.replies.map((r) => r._id));
  });

  it('gives every chart something to show: all three scores, every split dimension, themes', () => {
    const scores = history.replies.map((r) => r.scores!);
    expect(scores.some((s) => s.nps !== undefined)).toBe(true);
    expect(scores.some((s) => s.csat !== undefined)).toBe(true);
    expect(scores.some((s) => s.ces !== undefined)).toBe(true);
    const segments = new Set(history.contributions.flatMap((c) => c.segments));
    for (const dimension of SPLIT_DIMENSIONS)
      expect([...segments].filter((s) => s.startsWith(`${dimension}:`)).length, dimension).toBeGreaterThan(1);
    const themes = new Set(scores.flatMap((s) => s.themes));
    expect([...themes]).toEqual(expect.arrayContaining(['delivery', 'price', 'staff', 'waiting']));
  });

  it('has a response funnel: every reply invited, unanswered invitations reminded, expired or unsubscribed, each step once', () => {
    const count = (step: string) => history.funnel.filter((c) => c.replyId.startsWith(`funnel:${step}:`)).length;
    expect(count('invited')).toBeGreaterThan(history.replies.length * 1.3);
    for (const step of ['reminded', 'expired', 'unsubscribed']) expect(count(step), step).toBeGreaterThan(0);
    // Only the unanswered invitations expire.
    expect(count('expired')).toBeLessThanOrEqual(count('invited') - history.replies.length);
    expect(new Set(history.funnel.map((c) => c.replyId)).size).toBe(history.funnel.length);
    expect(history.funnel.every((c) => c.day <= new Date(now).toISOString().slice(0, 10))).toBe(true);
  });

  it('has cases in every stage: opened, escalated, resolved with root causes, reopened, closed, and some still open', () => {
    const total = (path: string) =>
      history.cases.reduce((sum, change) => sum + (change.increment[`cases.${path}`] ?? 0), 0);
    for (const counter of ['opened', 'escalations', 'resolved', 'reopened', 'closed', 'firstContact', 'slaBreached'])
      expect(total(counter), counter).toBeGreaterThan(0);
    const backlog = history.cases.flatMap((change) =>
      Object.entries(change.increment).filter(([path]) => path.startsWith('cases.backlog.team.')),
    );
    expect(backlog.reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThan(0);
    expect(new Set(history.cases.map((c) => c.replyId)).size).toBe(history.cases.length);
    // Post-resolution CSAT: the follow-up answers.
    expect(history.cases.some((c) => c.programId === 'case-follow-up' && c.increment['csat.count'] === 1)).toBe(true);
    // Per owner and root cause: resolutions, and the follow-up answers after them, some satisfied.
    const grouped = (pattern: RegExp) =>
      history.cases.reduce(
        (sum, change) =>
          sum + Object.entries(change.increment).reduce((n, [path, k]) => n + (pattern.test(path) ? k : 0), 0),
        0,
      );
    expect(grouped(/^cases\.byOwner\.[^.]+\.resolved$/)).toBe(total('resolved'));
    expect(grouped(/^cases\.byRootCause\.[^.]+\.followUps$/)).toBeGreaterThan(
      grouped(/^cases\.byRootCause\.[^.]+\.satisfied$/),
    );
    expect(grouped(/^cases\.byRootCause\.[^.]+\.satisfied$/)).toBeGreaterThan(0);
  });

  it('has two journeys: onboarding falling (each step well liked, few all the way), the support request not', () => {
    const journeys = demoJourneys(DEMO_PROGRAMS, now);
    const report = (programId: string) => {
      const program = DEMO_PROGRAMS.find((p) => p.id === programId)!;
      const steps = journeys.steps.filter((s) => s.programId === programId);
      return journeyReport(
        { programId, name: program.journey!.name, touchPoints: program.journey!.touchPoints },
        steps.map((s) => ({ customerId: s.customerId, step: s.step, score: s.score, at: s.at.getTime() })),
      );
    };
    expect(report('onboarding')).toMatchObject({ customers: 150, flagged: true });
    expect(report('support-journey')).toMatchObject({ customers: 100, flagged: false });
    expect(journeys.contributions.map((c) => c.replyId)).toEqual(journeys.replies.map((r) => r._id));
  });
});
