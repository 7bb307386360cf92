import { localize } from './localize';
import { isOnScale, METRIC_SCALES, npsCategory, type Scale } from './scoring';
import type { Answer, Answers, TQuestion, TShowIf, TSurvey } from './survey-schema';

/** Customer attributes and event data, keyed by `TQuestion.knownAs`. */
export type Known = Record<string, unknown>;

export const MAX_TEXT_LENGTH = 5000;

/** Wording of answer errors, `{min}`, `{max}`, `{options}` and `{limit}` filled in; pages pass their locale's. */
export const ANSWER_MESSAGES = {
  required: 'This question needs an answer',
  scale: 'Please choose a score from {min} to {max}',
  single: 'Please choose one of the options: {options}',
  multiple: 'Please choose only from the options: {options}',
  text: 'Please type your answer as text',
  tooLong: 'Please shorten your answer to at most {limit} characters',
  unreadable: 'Sorry, we could not read this answer; please answer again',
};
export type AnswerMessages = Record<keyof typeof ANSWER_MESSAGES, string>;

interface Problem {
  code: keyof AnswerMessages;
  values?: Record<string, string | number>;
}

function describeProblem({ code, values = {} }: Problem, messages: AnswerMessages): string {
  return messages[code].replace(/\{(\w+)\}/g, (match, name: string) => (name in values ? String(values[name]) : match));
}

/** Own properties only: a question id such as `constructor` must not find Object.prototype. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function isScoreQuestion(q: TQuestion): boolean {
  return q.type === 'nps' || q.type === 'csat' || q.type === 'ces' || q.type === 'rating';
}

/** nps 0–10, csat 1–5, ces 1–7, rating its own scale or 1–5; choice and text questions have none. */
export function scaleOf(q: TQuestion): Scale {
  switch (q.type) {
    case 'nps':
    case 'csat':
    case 'ces':
      return METRIC_SCALES[q.type];
    case 'rating':
      return q.scale ?? { min: 1, max: 5 };
    default:
      throw new RangeError(`question ${q.id} is a ${q.type} question and has no score scale`);
  }
}

/** What parsing one raw value gave: an answer, a problem, or neither (left blank). */
type Parsed = { answer: Answer } | { error: Problem } | Record<string, never>;

function parseScore(q: TQuestion, raw: string | string[]): Parsed {
  const scale = scaleOf(q);
  if (typeof raw === 'string' && raw.trim() === '') return {};
  const score = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  return isOnScale(score, scale)
    ? { answer: score }
    : { error: { code: 'scale', values: { min: scale.min, max: scale.max } } };
}

function optionLabels(q: TQuestion, locale: string): string {
  return (q.options ?? []).map((option) => localize(option.label, locale)).join(', ');
}

function isOption(q: TQuestion, value: string): boolean {
  return (q.options ?? []).some((option) => option.value === value);
}

function parseSingle(q: TQuestion, raw: string | string[], locale: string): Parsed {
  if (raw === '') return {};
  if (typeof raw === 'string' && isOption(q, raw)) return { answer: raw };
  return { error: { code: 'single', values: { options: optionLabels(q, locale) } } };
}

/** Checkbox groups post an array, or a plain string when one box is ticked; answers keep the option order. */
function parseMultiple(q: TQuestion, raw: string | string[], locale: string): Parsed {
  const values = (typeof raw === 'string' ? [raw] : raw).filter((value) => value !== '');
  if (values.length === 0) return {};
  if (!values.every((value) => isOption(q, value)))
    return { error: { code: 'multiple', values: { options: optionLabels(q, locale) } } };
  return { answer: (q.options ?? []).map((option) => option.value).filter((value) => values.includes(value)) };
}

function parseText(raw: string | string[]): Parsed {
  if (typeof raw !== 'string') return { error: { code: 'text' } };
  const text = raw.trim();
  if (text === '') return {};
  if ([...text].length > MAX_TEXT_LENGTH) return { error: { code: 'tooLong', values: { limit: MAX_TEXT_LENGTH } } };
  return { answer: text };
}

function isFormValue(raw: unknown): raw is string | string[] {
  return typeof raw === 'string' || (Array.isArray(raw) && raw.every((value) => typeof value === 'string'));
}

/** A raw form value (string, string array or undefined) as an answer to `q`. */
function parseValue(q: TQuestion, raw: unknown, locale: string): Parsed {
  if (raw === undefined) return {};
  if (!isFormValue(raw)) return { error: { code: 'unreadable' } };
  switch (q.type) {
    case 'single':
      return parseSingle(q, raw, locale);
    case 'multiple':
      return parseMultiple(q, raw, locale);
    case 'text':
      return parseText(raw);
    default:
      return parseScore(q, raw);
  }
}

/** Known numbers and booleans arrive as they are stored; the form parser expects text. */
function asFormValue(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

/**
 * Answers already known from the customer record or the event, for questions with `knownAs`.
 * A known value that would not be a valid answer (say 11 for an NPS question) is ignored, so the question is asked.
 */
export function prefilledAnswers(survey: TSurvey, known: Known): Answers {
  const answers: Answers = {};
  for (const q of survey.questions) {
    const value = q.knownAs === undefined ? undefined : own(known, q.knownAs);
    if (value === undefined || value === null) continue;
    const parsed = parseValue(q, asFormValue(value), 'en');
    if ('answer' in parsed) answers[q.id] = parsed.answer;
  }
  return answers;
}

function matchesChoice(answer: Answer, values: string[]): boolean {
  if (typeof answer === 'string') return values.includes(answer);
  return Array.isArray(answer) && answer.some((value) => values.includes(value));
}

function numericConditionsHold(rule: TShowIf, answer: Answer): boolean {
  if (rule.npsCategory === undefined && rule.min === undefined && rule.max === undefined) return true;
  if (typeof answer !== 'number') return false;
  return (
    (rule.npsCategory === undefined ||
      (isOnScale(answer, METRIC_SCALES.nps) && rule.npsCategory.includes(npsCategory(answer)))) &&
    (rule.min === undefined || answer >= rule.min) &&
    (rule.max === undefined || answer <= rule.max)
  );
}

/** Whether the question's `showIf` holds for the answers to earlier questions; every condition given must hold. */
export function isShown(question: TQuestion, answers: Answers): boolean {
  const rule = question.showIf;
  if (!rule) return true;
  const answer = own(answers, rule.question);
  if (answer === undefined) return false;
  return numericConditionsHold(rule, answer) && (rule.anyOf === undefined || matchesChoice(answer, rule.anyOf));
}

/**
 * Walks the survey in order, so that a follow-up sees the answers that decide whether it is shown.
 * Known questions take their prefilled answer and are never shown; `answerOf` is asked only for shown ones.
 */
function walkSurvey(
  survey: TSurvey,
  known: Known,
  answerOf: (q: TQuestion) => Answer | undefined,
): { answers: Answers; visible: TQuestion[] } {
  const answers = prefilledAnswers(survey, known);
  const visible: TQuestion[] = [];
  for (const q of survey.questions) {
    if (Object.hasOwn(answers, q.id) || !isShown(q, answers)) continue;
    visible.push(q);
    const answer = answerOf(q);
    if (answer !== undefined) answers[q.id] = answer;
  }
  return { answers, visible };
}

/** The questions to put on the page: not known already and shown for the answers so far. */
export function visibleQuestions(survey: TSurvey, answers: Answers, known: Known): TQuestion[] {
  return walkSurvey(survey, known, (q) => own(answers, q.id)).visible;
}

/**
 * Reads a submitted form. Answers to questions hidden by the answers given are dropped, and only shown
 * questions can be missing; known values win over the form.
 */
export function parseAnswers(
  survey: TSurvey,
  form: Record<string, unknown>,
  known: Known,
  locale = 'en',
  messages: AnswerMessages = ANSWER_MESSAGES,
): { answers: Answers; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const { answers } = walkSurvey(survey, known, (q) => {
    const parsed = parseValue(q, own(form, q.id), locale);
    if ('answer' in parsed) return parsed.answer;
    if ('error' in parsed) errors[q.id] = describeProblem(parsed.error, messages);
    else if (q.required) errors[q.id] = describeProblem({ code: 'required' }, messages);
    return undefined;
  });
  return { answers, errors };
}

export function progress(survey: TSurvey, answers: Answers, known: Known): { answered: number; total: number } {
  const { visible } = walkSurvey(survey, known, (q) => own(answers, q.id));
  return { answered: visible.filter((q) => own(answers, q.id) !== undefined).length, total: visible.length };
}
