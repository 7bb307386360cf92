import { z } from 'zod';
import type { ReplyScores } from './scoring';
import { mentions } from './themes';

import { PRIORITIES, type Priority, higherPriority } from './priority';

export { PRIORITIES, type Priority, higherPriority } from './priority';

const COMPARISONS = ['lt', 'lte', 'gt', 'gte', 'eq'] as const;
type Comparison = (typeof COMPARISONS)[number];

const ZComparison = z.enum(COMPARISONS);
const ZBound = z.number().finite().min(-1_000_000_000_000).max(1_000_000_000_000);
const ZKeywords = z.array(z.string().trim().min(1).max(100)).min(1).max(100);

/** One test of a finalized reply, or a combination of tests. */
export type CaseCondition =
  | { metric: 'nps' | 'csat' | 'ces' | 'summary'; op: Comparison; value: number }
  | { verbatim: readonly string[] }
  | { themes: readonly string[] }
  | { dropOf: number }
  | { attribute: string; op: Comparison; value: number | string }
  | { all: readonly CaseCondition[] }
  | { any: readonly CaseCondition[] };

export const ZCaseCondition: z.ZodType<CaseCondition> = z.lazy(() =>
  z.union([
    z.object({ metric: z.enum(['nps', 'csat', 'ces', 'summary']), op: ZComparison, value: ZBound }).strict(),
    z.object({ verbatim: ZKeywords }).strict(),
    z.object({ themes: ZKeywords }).strict(),
    z.object({ dropOf: z.number().finite().min(0.1).max(100) }).strict(),
    z
      .object({
        attribute: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'an attribute name'),
        op: ZComparison,
        value: z.union([ZBound, z.string().max(500)]),
      })
      .strict(),
    z.object({ all: z.array(ZCaseCondition).min(1).max(20) }).strict(),
    z.object({ any: z.array(ZCaseCondition).min(1).max(20) }).strict(),
  ]),
);

export const ZCaseRule = z
  .object({
    when: ZCaseCondition,
    priority: z.enum(PRIORITIES).default('normal'),
    /** Shown on the case, e.g. "Detractor (NPS ≤ 6)". */
    reason: z.string().trim().min(1).max(200),
  })
  .strict();
export type CaseRule = z.infer<typeof ZCaseRule>;

export const ZCaseRules = z.array(ZCaseRule).max(50).default([]);

/** What the rules look at: the reply's scores, the customer's previous summary score and attributes. */
export interface CaseFacts {
  scores: ReplyScores;
  /** The customer's summary score before this reply (0–100), when they answered before. */
  previousSummary?: number;
  attributes: Record<string, unknown>;
}

function compare(actual: unknown, op: Comparison, expected: number | string): boolean {
  if (op === 'eq') return actual === expected || (typeof actual === 'number' && String(actual) === expected);
  const left = typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : actual;
  if (typeof left !== 'number' || !Number.isFinite(left) || typeof expected !== 'number') return false;
  if (op === 'lt') return left < expected;
  if (op === 'lte') return left <= expected;
  if (op === 'gt') return left > expected;
  return left >= expected;
}

/** Whether the condition holds; a metric the reply does not have never holds. */
export function conditionHolds(condition: CaseCondition, facts: CaseFacts): boolean {
  if ('all' in condition) return condition.all.every((c) => conditionHolds(c, facts));
  if ('any' in condition) return condition.any.some((c) => conditionHolds(c, facts));
  if ('metric' in condition) {
    const value = facts.scores[condition.metric];
    return value !== undefined && value !== null && compare(value, condition.op, condition.value);
  }
  if ('verbatim' in condition) return condition.verbatim.some((keyword) => mentions(facts.scores.verbatim, keyword));
  if ('themes' in condition) return condition.themes.some((theme) => facts.scores.themes.includes(theme));
  if ('dropOf' in condition) {
    const now = facts.scores.summary;
    return facts.previousSummary !== undefined && now !== null && facts.previousSummary - now >= condition.dropOf;
  }
  return Object.hasOwn(facts.attributes, condition.attribute)
    ? compare(facts.attributes[condition.attribute], condition.op, condition.value)
    : false;
}

/** Which facts beyond the reply's scores the condition looks at: read only those. */
export function factsNeeded(conditions: readonly CaseCondition[]): { previousSummary: boolean; attributes: boolean } {
  const needed = { previousSummary: false, attributes: false };
  const visit = (condition: CaseCondition): void => {
    if ('all' in condition) condition.all.forEach(visit);
    else if ('any' in condition) condition.any.forEach(visit);
    else if ('dropOf' in condition) needed.previousSummary = true;
    else if ('attribute' in condition) needed.attributes = true;
  };
  conditions.forEach(visit);
  return needed;
}

export interface CaseCall {
  priority: Priority;
  /** The reason of every rule that matched, in rule order. */
  reasons: string[];
}

/** Whether a finalized reply calls for a case: the highest priority and every reason of the matching rules. */
export function evaluateCaseRules(rules: readonly CaseRule[], facts: CaseFacts): CaseCall | null {
  const matched = rules.filter((rule) => conditionHolds(rule.when, facts));
  if (matched.length === 0) return null;
  return {
    priority: matched.map((rule) => rule.priority).reduce(higherPriority),
    reasons: matched.map((rule) => rule.reason),
  };
}

export type CaseAction =
  | { action: 'none' }
  | { action: 'open'; priority: Priority; reasons: string[] }
  | { action: 'attach'; caseId: string; priority: Priority; raised: boolean; reasons: string[] };

/**
 * What a reply does to the customer's cases for its program: nothing, a new case, or — when a case
 * is already open for the program — attached to that one, raising its priority if the reply calls
 * for more. A customer never has two open cases for one program.
 */
export function decideCase(call: CaseCall | null, openCase: { id: string; priority: Priority } | null): CaseAction {
  if (!call) return { action: 'none' };
  if (!openCase) return { action: 'open', priority: call.priority, reasons: call.reasons };
  const priority = higherPriority(openCase.priority, call.priority);
  return {
    action: 'attach',
    caseId: openCase.id,
    priority,
    raised: priority !== openCase.priority,
    reasons: call.reasons,
  };
}

/** Whether the survey's contact-consent question (if it has one) was answered yes or left blank. */
export function mayContactAbout(
  survey: { questions: readonly { id: string; purpose?: string }[] },
  answers: Record<string, unknown>,
): boolean {
  const question = survey.questions.find((q) => q.purpose === 'contact-consent');
  return question ? mayContact(Object.hasOwn(answers, question.id) ? answers[question.id] : undefined) : true;
}

/** The answers that say "do not contact me about this feedback". */
const CONSENT_NO = new Set(['no', 'false', '0', 'nein', 'non']);

/**
 * Whether the customer may be contacted about their feedback: yes, unless they answered no to the
 * survey's consent question (the case is then handled internally only).
 */
export function mayContact(consentAnswer: unknown): boolean {
  if (consentAnswer === undefined || consentAnswer === null) return true;
  return !CONSENT_NO.has(String(consentAnswer).trim().toLowerCase());
}
