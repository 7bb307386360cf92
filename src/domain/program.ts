import { z } from 'zod';
import { ZDuration } from './duration';

/** Text in several locales, e.g. `{ en: 'Thanks', de: 'Danke' }`; a plain string is for every locale. */
export const ZLocalized = z.union([z.string().min(1), z.record(z.string().min(2), z.string().min(1))]);
export type TLocalized = z.infer<typeof ZLocalized>;

export const QUESTION_TYPES = ['nps', 'csat', 'ces', 'rating', 'single', 'multiple', 'text'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** Show a question only when an earlier answer matches (adaptive surveys). */
export const ZShowIf = z
  .object({
    question: z.string().min(1),
    /** NPS category of the earlier answer. */
    npsCategory: z.array(z.enum(['detractor', 'passive', 'promoter'])).optional(),
    /** Inclusive numeric range of the earlier answer. */
    min: z.number().optional(),
    max: z.number().optional(),
    /** The earlier (choice) answer is, or contains, one of these values. */
    anyOf: z.array(z.string()).optional(),
  })
  .strict();
export type TShowIf = z.infer<typeof ZShowIf>;

export const ZQuestion = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'question ids are lower-case letters, digits and _'),
    type: z.enum(QUESTION_TYPES),
    label: ZLocalized,
    required: z.boolean().default(false),
    /** For single/multiple choice. */
    options: z.array(z.object({ value: z.string().min(1), label: ZLocalized })).optional(),
    /** For `rating`: the scale, default 1–5. */
    scale: z.object({ min: z.number().int(), max: z.number().int() }).optional(),
    showIf: ZShowIf.optional(),
    /**
     * Customer attribute or event data field this question asks for. When the
     * event or the customer record already holds it, the question is not shown
     * and the known value is used as the answer (prefill).
     */
    knownAs: z.string().optional(),
  })
  .strict();
export type TQuestion = z.infer<typeof ZQuestion>;

export const ZSurvey = z
  .object({
    questions: z.array(ZQuestion).min(1),
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
      if ((q.type === 'single' || q.type === 'multiple') && !q.options?.length)
        ctx.addIssue({ code: 'custom', path: ['questions', i, 'options'], message: 'choice questions need options' });
      ids.add(q.id);
    });
  });
export type TSurvey = z.infer<typeof ZSurvey>;

export const ZContactRules = z
  .object({
    /** Minimum time between any two surveys to the same customer, across all programs. */
    minIntervalAnyProgram: ZDuration.default('14d'),
    /** Minimum time between two surveys of this program to the same customer. */
    minIntervalSameProgram: ZDuration.default('30d'),
    /** At most `count` surveys (all programs) per rolling `window`. */
    maxPerWindow: z.object({ count: z.number().int().min(1), window: ZDuration }).default({ count: 4, window: '365d' }),
    /** More than `maxTransactions` in `window` makes a frequent transactor, surveyed at most once per `surveyEvery`. */
    frequentTransactor: z.object({ maxTransactions: z.number().int().min(1), window: ZDuration }).optional(),
    /** Local time in the customer's timezone, e.g. 21:00–08:00; sends inside are deferred. */
    quietHours: z.object({ start: z.string().regex(/^\d\d:\d\d$/), end: z.string().regex(/^\d\d:\d\d$/) }).optional(),
    /** A throttled send is deferred to the first allowed moment, or skipped. */
    whenThrottled: z.enum(['defer', 'skip']).default('skip'),
  })
  .strict();
export type TContactRules = z.infer<typeof ZContactRules>;

export const PROGRAM_KINDS = ['transactional', 'relationship', 'pulsed'] as const;

export const ZProgram = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'program ids are lower-case letters, digits and -'),
    name: z.string().min(1),
    kind: z.enum(PROGRAM_KINDS),
    active: z.boolean().default(true),
    /** Event types that trigger a transactional survey, e.g. purchase, service_call. */
    triggers: z.array(z.string().min(1)).default([]),
    /** Wait after the event before sending. */
    delay: ZDuration.default('0s'),
    /** Every attribute listed must equal one of its values, e.g. `{ region: ['EU'] }`. */
    audience: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))).default({}),
    survey: ZSurvey,
    reminders: z.array(ZDuration).max(5).default(['3d', '7d']),
    expiresAfter: ZDuration.default('14d'),
    defaultLocale: z.string().min(2).default('en'),
    /** Email and page wording per locale; templates in templates/emails/<template>.<locale>.*.hbs */
    email: z
      .object({
        template: z
          .string()
          .regex(/^[a-z0-9-]+$/)
          .default('invitation'),
        subject: ZLocalized,
        intro: ZLocalized,
        /** Why we ask and how the customer will hear back. */
        why: ZLocalized.optional(),
      })
      .strict(),
    sender: z.object({ name: z.string().min(1), email: z.email() }).optional(),
    contactRules: ZContactRules.default(ZContactRules.parse({})),
    /** Keyword lexicon for verbatim themes: theme → keywords. */
    themes: z.record(z.string(), z.array(z.string().min(1))).default({}),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.kind === 'transactional' && p.triggers.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['triggers'],
        message: 'a transactional program needs at least one trigger event type',
      });
  });
export type TProgram = z.infer<typeof ZProgram>;
export type TProgramInput = z.input<typeof ZProgram>;

/** The text of `value` for `locale`, falling back to `fallback`, then to any text. */
export function localize(value: TLocalized | undefined, locale: string, fallback = 'en'): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[locale] ?? value[locale.split('-')[0]!] ?? value[fallback] ?? Object.values(value)[0] ?? '';
}
