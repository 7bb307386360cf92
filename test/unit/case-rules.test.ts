import { describe, expect, it } from 'vitest';
import {
  type CaseFacts,
  type CaseRule,
  ZCaseRules,
  conditionHolds,
  decideCase,
  evaluateCaseRules,
  higherPriority,
  mayContact,
  mayContactAbout,
} from '../../src/domain/case-rules';
import { ZProgram } from '../../src/domain/program';

const program = {
  id: 'cases',
  name: 'Cases',
  kind: 'transactional',
  triggers: ['purchase'],
  email: { subject: 'How did we do?', intro: 'Thanks.' },
};
import type { ReplyScores } from '../../src/domain/scoring';

const scores = (s: Partial<ReplyScores> = {}): ReplyScores => ({
  verbatim: '',
  themes: [],
  sentiment: 'neutral',
  summary: null,
  ...s,
});
const facts = (s: Partial<ReplyScores> = {}, extra: Partial<CaseFacts> = {}): CaseFacts => ({
  scores: scores(s),
  attributes: {},
  ...extra,
});

describe('case conditions', () => {
  it.each([
    [{ metric: 'nps', op: 'lte', value: 6 }, { nps: 6 }, true],
    [{ metric: 'nps', op: 'lte', value: 6 }, { nps: 7 }, false],
    [{ metric: 'nps', op: 'lte', value: 6 }, {}, false],
    [{ metric: 'csat', op: 'lte', value: 2 }, { csat: 2 }, true],
    [{ metric: 'csat', op: 'lt', value: 2 }, { csat: 2 }, false],
    [{ metric: 'ces', op: 'lte', value: 3 }, { ces: 3 }, true],
    [{ metric: 'summary', op: 'lt', value: 40 }, { summary: 39.9 }, true],
    [{ metric: 'summary', op: 'lt', value: 40 }, { summary: null }, false],
    [{ metric: 'nps', op: 'gte', value: 9 }, { nps: 10 }, true],
    [{ metric: 'nps', op: 'eq', value: 0 }, { nps: 0 }, true],
  ] as const)('metric %o on %o → %s', (when, s, expected) => {
    expect(conditionHolds(when, facts(s))).toBe(expected);
  });

  it('finds keywords in the verbatim, prefixes and accents included', () => {
    const when = { verbatim: ['cancel*', 'rückerstattung'] };
    expect(conditionHolds(when, facts({ verbatim: 'I will CANCEL my contract' }))).toBe(true);
    expect(conditionHolds(when, facts({ verbatim: 'cancellation please' }))).toBe(true);
    expect(conditionHolds(when, facts({ verbatim: 'Ruckerstattung sofort' }))).toBe(true);
    expect(conditionHolds(when, facts({ verbatim: 'uncancelled order' }))).toBe(false);
    expect(conditionHolds(when, facts({ verbatim: '' }))).toBe(false);
  });

  it('matches themes already detected on the reply', () => {
    expect(conditionHolds({ themes: ['billing'] }, facts({ themes: ['billing', 'staff'] }))).toBe(true);
    expect(conditionHolds({ themes: ['billing'] }, facts({ themes: ['staff'] }))).toBe(false);
  });

  it('sees a drop of N points from the previous summary score, not a rise, and nothing without history', () => {
    const when = { dropOf: 30 };
    expect(conditionHolds(when, facts({ summary: 50 }, { previousSummary: 80 }))).toBe(true);
    expect(conditionHolds(when, facts({ summary: 51 }, { previousSummary: 80 }))).toBe(false);
    expect(conditionHolds(when, facts({ summary: 90 }, { previousSummary: 40 }))).toBe(false);
    expect(conditionHolds(when, facts({ summary: 0 }))).toBe(false);
    expect(conditionHolds(when, facts({ summary: null }, { previousSummary: 80 }))).toBe(false);
  });

  it('compares account values, numbers given as strings included', () => {
    const when = { attribute: 'revenue', op: 'gt', value: 100_000 } as const;
    expect(conditionHolds(when, facts({}, { attributes: { revenue: 250_000 } }))).toBe(true);
    expect(conditionHolds(when, facts({}, { attributes: { revenue: '250000' } }))).toBe(true);
    expect(conditionHolds(when, facts({}, { attributes: { revenue: 100_000 } }))).toBe(false);
    expect(conditionHolds(when, facts({}, { attributes: { revenue: 'lots' } }))).toBe(false);
    expect(conditionHolds(when, facts({}, { attributes: {} }))).toBe(false);
    expect(
      conditionHolds({ attribute: 'tier', op: 'eq', value: 'gold' }, facts({}, { attributes: { tier: 'gold' } })),
    ).toBe(true);
    expect(conditionHolds({ attribute: 'constructor', op: 'eq', value: 'x' }, facts())).toBe(false);
  });

  it('combines with all and any, nested', () => {
    const when = {
      all: [
        { metric: 'nps', op: 'lte', value: 6 },
        { any: [{ verbatim: ['cancel*'] }, { attribute: 'revenue', op: 'gte', value: 1000 }] },
      ],
    } as const;
    expect(conditionHolds(when, facts({ nps: 3, verbatim: 'cancel it' }))).toBe(true);
    expect(conditionHolds(when, facts({ nps: 3 }, { attributes: { revenue: 5000 } }))).toBe(true);
    expect(conditionHolds(when, facts({ nps: 3 }))).toBe(false);
    expect(conditionHolds(when, facts({ nps: 8, verbatim: 'cancel it' }))).toBe(false);
  });
});

describe('evaluating a program’s case rules', () => {
  const rules: CaseRule[] = ZCaseRules.parse([
    { when: { metric: 'nps', op: 'lte', value: 6 }, priority: 'normal', reason: 'Detractor (NPS ≤ 6)' },
    { when: { verbatim: ['cancel*'] }, priority: 'urgent', reason: 'Mentions cancelling' },
    { when: { attribute: 'revenue', op: 'gte', value: 100000 }, priority: 'high', reason: 'Key account' },
  ]);

  it('opens nothing when no rule matches', () => {
    expect(evaluateCaseRules(rules, facts({ nps: 9 }))).toBeNull();
    expect(evaluateCaseRules([], facts({ nps: 0 }))).toBeNull();
  });

  it('takes the highest priority and every reason, in rule order', () => {
    expect(
      evaluateCaseRules(rules, facts({ nps: 2, verbatim: 'I will cancel' }, { attributes: { revenue: 200000 } })),
    ).toEqual({
      priority: 'urgent',
      reasons: ['Detractor (NPS ≤ 6)', 'Mentions cancelling', 'Key account'],
    });
    expect(evaluateCaseRules(rules, facts({ nps: 5 }))).toEqual({
      priority: 'normal',
      reasons: ['Detractor (NPS ≤ 6)'],
    });
  });

  it('defaults the priority to normal and refuses malformed rules', () => {
    expect(ZCaseRules.parse([{ when: { themes: ['billing'] }, reason: 'Billing' }])[0]!.priority).toBe('normal');
    expect(ZCaseRules.safeParse([{ when: { metric: 'nps', op: 'about', value: 6 }, reason: 'x' }]).success).toBe(false);
    expect(ZCaseRules.safeParse([{ when: { all: [] }, reason: 'x' }]).success).toBe(false);
    expect(ZCaseRules.safeParse([{ when: { attribute: '$where', op: 'eq', value: 1 }, reason: 'x' }]).success).toBe(
      false,
    );
    expect(ZCaseRules.safeParse([{ when: { verbatim: ['x'] }, reason: '' }]).success).toBe(false);
  });
});

describe('one open case per customer and program', () => {
  const call = { priority: 'high' as const, reasons: ['Key account'] };

  it('opens a case when none is open', () => {
    expect(decideCase(call, null)).toEqual({ action: 'open', priority: 'high', reasons: ['Key account'] });
  });

  it('attaches to the open case, raising its priority but never lowering it', () => {
    expect(decideCase(call, { id: 'case-1', priority: 'normal' })).toEqual({
      action: 'attach',
      caseId: 'case-1',
      priority: 'high',
      raised: true,
      reasons: ['Key account'],
    });
    expect(decideCase(call, { id: 'case-1', priority: 'urgent' })).toMatchObject({ priority: 'urgent', raised: false });
  });

  it('does nothing for a reply that calls for no case', () => {
    expect(decideCase(null, { id: 'case-1', priority: 'low' })).toEqual({ action: 'none' });
  });

  it('orders priorities', () => {
    expect(higherPriority('low', 'urgent')).toBe('urgent');
    expect(higherPriority('high', 'normal')).toBe('high');
  });
});

describe('may we contact you?', () => {
  it('reads the survey’s contact-consent question, if any', () => {
    const survey = {
      questions: [
        { id: 'nps', type: 'nps', label: 'NPS' },
        {
          id: 'contact',
          type: 'single',
          purpose: 'contact-consent',
          label: 'May we contact you about your feedback?',
          options: [
            { value: 'yes', label: 'Yes' },
            { value: 'no', label: 'No' },
          ],
        },
      ],
    };
    const parsed = ZProgram.parse({ ...program, survey });
    expect(mayContactAbout(parsed.survey, { nps: 2, contact: 'no' })).toBe(false);
    expect(mayContactAbout(parsed.survey, { nps: 2, contact: 'yes' })).toBe(true);
    expect(mayContactAbout(parsed.survey, { nps: 2 })).toBe(true);
    expect(mayContactAbout({ questions: [{ id: 'nps' }] }, { nps: 2, contact: 'no' })).toBe(true);
    const twice = { questions: [...survey.questions, { ...survey.questions[1]!, id: 'again' }] };
    expect(ZProgram.safeParse({ ...program, survey: twice }).success).toBe(false);
    const asText = { questions: [{ id: 'contact', type: 'text', purpose: 'contact-consent', label: 'May we?' }] };
    expect(ZProgram.safeParse({ ...program, survey: asText }).success).toBe(false);
  });

  it('takes case rules as part of a program', () => {
    const parsed = ZProgram.parse({
      ...program,
      survey: { questions: [{ id: 'nps', type: 'nps', label: 'NPS' }] },
      caseRules: [{ when: { metric: 'nps', op: 'lte', value: 6 }, reason: 'Detractor' }],
    });
    expect(parsed.caseRules).toEqual([
      { when: { metric: 'nps', op: 'lte', value: 6 }, priority: 'normal', reason: 'Detractor' },
    ]);
    expect(
      ZProgram.parse({ ...program, survey: { questions: [{ id: 'nps', type: 'nps', label: 'NPS' }] } }).caseRules,
    ).toEqual([]);
  });

  it.each([
    [undefined, true],
    ['yes', true],
    ['no', false],
    [' No ', false],
    ['nein', false],
    [0, false],
    [false, false],
    ['maybe', true],
  ])('%o → %s', (answer, expected) => {
    expect(mayContact(answer)).toBe(expected);
  });
});
