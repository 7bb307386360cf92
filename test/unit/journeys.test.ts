import { describe, expect, it } from 'vitest';
import { type JourneyReply, journeyReport } from '../../src/domain/journeys';
import { ZProgram } from '../../src/domain/program';

const journey = { programId: 'onboarding', name: 'Onboarding', touchPoints: ['signup', 'kyc', 'first_order'] };
const reply = (customerId: string, step: number, score: number, at = step): JourneyReply => ({
  customerId,
  step,
  score,
  at,
});

describe('journeyReport', () => {
  it('has no figures without replies', () => {
    const report = journeyReport(journey, []);
    expect(report.customers).toBe(0);
    expect(report.steps.map((s) => [s.customers, s.satisfiedPercent, s.cumulativePercent, s.fellPercent])).toEqual([
      [0, null, null, null],
      [0, null, null, null],
      [0, null, null, null],
    ]);
    expect(report.flagged).toBe(false);
  });

  it('takes the latest score per customer and step, and computes each step by hand-checkable shares', () => {
    const report = journeyReport(journey, [
      // a: satisfied all the way (an earlier low signup score replaced by a later one)
      reply('a', 0, 20, -1),
      reply('a', 0, 90),
      reply('a', 1, 80),
      reply('a', 2, 100),
      // b: satisfied, then not, then satisfied again
      reply('b', 0, 100),
      reply('b', 1, 50),
      reply('b', 2, 90),
      // c: skipped kyc; counted where answered, left out of the cumulative share after signup
      reply('c', 0, 80),
      reply('c', 2, 70),
    ]);
    expect(report.customers).toBe(3);
    expect(report.steps).toEqual([
      {
        step: 0,
        touchPoint: 'signup',
        customers: 3,
        averageScore: 90,
        satisfiedPercent: 100,
        cumulativePercent: 100,
        fellPercent: null,
      },
      // a and b: 80 and 50; a satisfied; both fell from signup
      {
        step: 1,
        touchPoint: 'kyc',
        customers: 2,
        averageScore: 65,
        satisfiedPercent: 50,
        cumulativePercent: 50,
        fellPercent: 100,
      },
      // a, b, c: 100, 90, 70 (c not satisfied); through all three a and b, only a satisfied at each;
      // fell from kyc: neither a (80 → 100) nor b (50 → 90)
      {
        step: 2,
        touchPoint: 'first_order',
        customers: 3,
        averageScore: 86.7,
        satisfiedPercent: 66.7,
        cumulativePercent: 50,
        fellPercent: 0,
      },
    ]);
    expect(report.flagged).toBe(false);
  });

  it('flags the journey whose touch points each score well while few are satisfied all the way', () => {
    // Five customers, each dissatisfied at exactly one step (a different one): every step 80 %
    // satisfied, all the way 40 %.
    const replies: JourneyReply[] = [];
    const low = { c1: 0, c2: 1, c3: 2 } as Record<string, number>;
    for (const customer of ['c1', 'c2', 'c3', 'c4', 'c5'])
      for (let step = 0; step < 3; step++) replies.push(reply(customer, step, low[customer] === step ? 40 : 90));
    const report = journeyReport(journey, replies);
    expect(report.steps.map((s) => s.satisfiedPercent)).toEqual([80, 80, 80]);
    expect(report.steps.map((s) => s.cumulativePercent)).toEqual([80, 60, 40]);
    expect(report.flagged).toBe(true);
    // The same satisfaction per step, but by the same customers: the journey holds up.
    const consistent = ['c1', 'c2', 'c3', 'c4', 'c5'].flatMap((customer) =>
      [0, 1, 2].map((step) => reply(customer, step, customer === 'c1' ? 40 : 90)),
    );
    const steady = journeyReport(journey, consistent);
    expect(steady.steps.map((s) => s.cumulativePercent)).toEqual([80, 80, 80]);
    expect(steady.flagged).toBe(false);
  });

  it('accepts a program journey whose touch points are its triggers, in order, each once', () => {
    const base = {
      id: 'onboarding',
      name: 'Onboarding',
      kind: 'transactional',
      triggers: ['signup', 'kyc'],
      survey: { questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
      email: { subject: 'How was it?', intro: 'Tell us.' },
    };
    expect(
      ZProgram.safeParse({ ...base, journey: { name: 'Onboarding', touchPoints: ['signup', 'kyc'] } }).success,
    ).toBe(true);
    const unknown = ZProgram.safeParse({ ...base, journey: { name: 'Onboarding', touchPoints: ['signup', 'refund'] } });
    expect(unknown.error?.issues[0]).toMatchObject({
      path: ['journey', 'touchPoints', 1],
      message: "refund is not one of the program's triggers",
    });
    const twice = ZProgram.safeParse({ ...base, journey: { name: 'Onboarding', touchPoints: ['kyc', 'kyc'] } });
    expect(twice.error?.issues[0]?.message).toBe('kyc is listed twice');
    expect(ZProgram.safeParse({ ...base, journey: { name: 'Onboarding', touchPoints: ['signup'] } }).success).toBe(
      false,
    );
  });
});
