import { z } from 'zod';
import { ZRelationshipCadence } from './cadence';
import { ZCaseRules } from './case-rules';
import { ZCaseHandling } from './case-schemas';
import { ZDuration } from './duration-schema';

/** A locale tag such as `en`, `de` or `fr-CA`. */
export const ZLocale = z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale such as en, de or fr-CA');

/** Limits on everything a program holds: a survey is short, and nothing may grow without bound. */
export const LIMITS = {
  text: 1000,
  name: 200,
  locales: 20,
  questions: 50,
  options: 50,
  triggers: 50,
  audienceRules: 50,
  audienceValues: 200,
  themes: 50,
  keywordsPerTheme: 100,
  keyword: 100,
  anyOf: 50,
  count: 10_000,
  scale: 100,
} as const;

const ZText = z.string().trim().min(1).max(LIMITS.text);

/** Text in several locales, e.g. `{ en: 'Thanks', de: 'Danke' }`; a plain string is for every locale. */
export const ZLocalized = z.union([
  ZText,
  z
    .record(ZLocale, ZText)
    .refine((texts) => Object.keys(texts).length >= 1, 'at least one locale')
    .refine((texts) => Object.keys(texts).length <= LIMITS.locales, `at most ${LIMITS.locales} locales`),
]);
export type TLocalized = z.infer<typeof ZLocalized>;

export const QUESTION_TYPES = ['nps', 'csat', 'ces', 'rating', 'single', 'multiple', 'text'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** Show a question only when an earlier answer matches (adaptive surveys). */
export const ZShowIf = z
  .object({
    question: z.string().min(1).max(64),
    /** NPS category of the earlier answer. */
    npsCategory: z.array(z.enum(['detractor', 'passive', 'promoter'])).optional(),
    /** Inclusive numeric range of the earlier answer. */
    min: z.number().int().min(-LIMITS.scale).max(LIMITS.scale).optional(),
    max: z.number().int().min(-LIMITS.scale).max(LIMITS.scale).optional(),
    /** The earlier (choice) answer is, or contains, one of these values. */
    anyOf: z.array(z.string().min(1).max(LIMITS.keyword)).max(LIMITS.anyOf).optional(),
  })
  .strict();
export type TShowIf = z.infer<typeof ZShowIf>;

const ZScalePoint = z.number().int().min(-LIMITS.scale).max(LIMITS.scale);

export const ZQuestion = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'question ids are lower-case letters, digits and _ (at most 64)'),
    type: z.enum(QUESTION_TYPES),
    label: ZLocalized,
    required: z.boolean().default(false),
    /** For single/multiple choice. */
    options: z
      .array(z.object({ value: z.string().min(1).max(LIMITS.keyword), label: ZLocalized }).strict())
      .max(LIMITS.options)
      .optional(),
    /** For `rating`: the scale, default 1–5; whole numbers from -100 to 100, at most 101 points. */
    scale: z
      .object({ min: ZScalePoint, max: ZScalePoint })
      .strict()
      .refine((s) => s.min < s.max, 'the scale needs min below max')
      .refine((s) => s.max - s.min <= LIMITS.scale, `at most ${LIMITS.scale + 1} points`)
      .optional(),
    showIf: ZShowIf.optional(),
    /**
     * Customer attribute or event data field this question asks for. When the
     * event or the customer record already holds it, the question is not shown
     * and the known value is used as the answer (prefill).
     */
    knownAs: z.string().min(1).max(64).optional(),
    /** `contact-consent`: "May we contact you about your feedback?" — a no keeps a case internal. */
    purpose: z.enum(['contact-consent']).optional(),
  })
  .strict();
export type TQuestion = z.infer<typeof ZQuestion>;

export const ZSurvey = z
  .object({
    questions: z.array(ZQuestion).min(1).max(LIMITS.questions),
    /** Seconds-scale in tests; a second submission within it edits the reply. */
    editGrace: ZDuration.default('15m'),
    /** How long a partly answered reply (follow-up questions still to come) stays open. */
    followUpWindow: ZDuration.default('30m'),
  })
  .strict()
  .superRefine((survey, ctx) => {
    const ids = new Set<string>();
    survey.questions.forEach((q, i) => {
      if (ids.has(q.id))
        ctx.addIssue({ code: 'custom', path: ['questions', i, 'id'], message: `duplicate question id ${q.id}` });
      if (q.showIf && !ids.has(q.showIf.question))
        ctx.addIssue({
          code: 'custom',
          path: ['questions', i, 'showIf', 'question'],
          message: `showIf must refer to an earlier question, not ${q.showIf.question}`,
        });
      if (q.purpose === 'contact-consent' && q.type !== 'single')
        ctx.addIssue({
          code: 'custom',
          path: ['questions', i, 'purpose'],
          message: 'the contact-consent question is a single choice (yes / no)',
        });
      if ((q.type === 'single' || q.type === 'multiple') && !q.options?.length)
        ctx.addIssue({ code: 'custom', path: ['questions', i, 'options'], message: 'choice questions need options' });
      ids.add(q.id);
    });
    if (survey.questions.filter((q) => q.purpose === 'contact-consent').length > 1)
      ctx.addIssue({ code: 'custom', path: ['questions'], message: 'at most one contact-consent question' });
  });
export type TSurvey = z.infer<typeof ZSurvey>;

const ZClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 21:00');

export const ZContactRules = z
  .object({
    /** Minimum time between any two surveys to the same customer, across all programs. */
    minIntervalAnyProgram: ZDuration.default('14d'),
    /** Minimum time between two surveys of this program to the same customer. */
    minIntervalSameProgram: ZDuration.default('30d'),
    /** At most `count` surveys (all programs) per rolling `window`. */
    maxPerWindow: z
      .object({ count: z.number().int().min(1).max(LIMITS.count), window: ZDuration })
      .strict()
      .default({ count: 4, window: '365d' }),
    /** More than `maxTransactions` in `window` makes a frequent transactor, surveyed at most once per `surveyEvery`. */
    frequentTransactor: z
      .object({ maxTransactions: z.number().int().min(1).max(LIMITS.count), window: ZDuration })
      .strict()
      .optional(),
    /** Local time in the customer's timezone, e.g. 21:00–08:00; sends inside are deferred. */
    quietHours: z.object({ start: ZClock, end: ZClock }).strict().optional(),
    /** A throttled send is deferred to the first allowed moment, or skipped. */
    whenThrottled: z.enum(['defer', 'skip']).default('skip'),
  })
  .strict();
export type TContactRules = z.infer<typeof ZContactRules>;

export const PROGRAM_KINDS = ['transactional', 'relationship', 'pulsed'] as const;

export const ZProgram = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,99}$/, 'program ids are lower-case letters, digits and - (at most 100)'),
    name: z.string().trim().min(1).max(LIMITS.name),
    kind: z.enum(PROGRAM_KINDS),
    active: z.boolean().default(true),
    /** Event types that trigger a transactional survey, e.g. purchase, service_call. */
    triggers: z
      .array(z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a lower-case event type such as purchase'))
      .max(LIMITS.triggers)
      .default([]),
    /**
     * The customer journey the program follows (e.g. onboarding): its touch points in order, each
     * one of the program's trigger event types. A reply counts at the touch point of its event.
     */
    journey: z
      .object({
        name: z.string().trim().min(1).max(LIMITS.name),
        touchPoints: z
          .array(z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a trigger event type such as signup'))
          .min(2, 'a journey has at least two touch points')
          .max(20),
      })
      .strict()
      .optional(),
    /** Relationship programs: the cycle in which every customer of the audience is surveyed once. */
    cadence: ZRelationshipCadence.optional(),
    /** Wait after the event before sending. */
    delay: ZDuration.default('0s'),
    /** Every attribute listed must equal one of its values, e.g. `{ region: ['EU'] }`. */
    audience: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'attribute names are a letter, then letters, digits and _'),
        z.array(z.union([z.string().max(500), z.number().finite(), z.boolean()])).max(LIMITS.audienceValues),
      )
      .refine((rules) => Object.keys(rules).length <= LIMITS.audienceRules, `at most ${LIMITS.audienceRules} rules`)
      .default({}),
    survey: ZSurvey,
    reminders: z.array(ZDuration).max(5).default(['3d', '7d']),
    expiresAfter: ZDuration.default('14d'),
    defaultLocale: ZLocale.default('en'),
    /** Email and page wording per locale; templates in templates/emails/<template>.<locale>.*.hbs */
    email: z
      .object({
        template: z
          .string()
          .regex(/^[a-z0-9-]{1,64}$/, 'a template name: lower-case letters, digits and -')
          .default('invitation'),
        subject: ZLocalized,
        intro: ZLocalized,
        /** Why we ask and how the customer will hear back. */
        why: ZLocalized.optional(),
      })
      .strict(),
    sender: z
      .object({
        name: z
          .string()
          .trim()
          .min(1)
          .max(100)
          .regex(/^[^\r\n]*$/, 'one line'),
        email: z.email().max(254),
      })
      .strict()
      .optional(),
    contactRules: ZContactRules.default(ZContactRules.parse({})),
    /** When a finalized reply opens a case (see case-rules.ts); none: the program opens no cases. */
    caseRules: ZCaseRules,
    /** SLA budgets and customer-facing steps of the cases this program opens. */
    caseHandling: ZCaseHandling.default(ZCaseHandling.parse({})),
    /** Keyword lexicon for verbatim themes: theme → keywords. */
    themes: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'theme names are lower-case letters, digits, _ and -'),
        z.array(z.string().trim().min(1).max(LIMITS.keyword)).max(LIMITS.keywordsPerTheme),
      )
      .refine((themes) => Object.keys(themes).length <= LIMITS.themes, `at most ${LIMITS.themes} themes`)
      .default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.kind === 'transactional' && p.triggers.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['triggers'],
        message: 'a transactional program needs at least one trigger event type',
      });
    if (p.kind === 'relationship' && !p.cadence)
      ctx.addIssue({
        code: 'custom',
        path: ['cadence'],
        message: 'a relationship program needs a cadence, such as { "cycle": "yearly" }',
      });
    if (p.kind !== 'relationship' && p.cadence)
      ctx.addIssue({ code: 'custom', path: ['cadence'], message: 'only relationship programs have a cadence' });
    for (const [i, touchPoint] of (p.journey?.touchPoints ?? []).entries()) {
      if (!p.triggers.includes(touchPoint))
        ctx.addIssue({
          code: 'custom',
          path: ['journey', 'touchPoints', i],
          message: `${touchPoint} is not one of the program's triggers`,
        });
      if (p.journey!.touchPoints.indexOf(touchPoint) !== i)
        ctx.addIssue({ code: 'custom', path: ['journey', 'touchPoints', i], message: `${touchPoint} is listed twice` });
    }
  });
export type TProgram = z.infer<typeof ZProgram>;
export type TProgramInput = z.input<typeof ZProgram>;

/** The text of `value` for `locale`, falling back to `fallback`, then to any text. */
export function localize(value: TLocalized | undefined, locale: string, fallback = 'en'): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[locale] ?? value[locale.split('-')[0]!] ?? value[fallback] ?? Object.values(value)[0] ?? '';
}
