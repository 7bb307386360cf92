import { z } from 'zod';
import { ZDuration } from './duration-schema';
import { LIMITS } from './limits';
import { ZLocalized } from './localize';

/** A survey's questions, and the answers a reply gives them. */

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

/** The answers of a reply, by question id. */
export type Answer = number | string | string[];
export type Answers = Record<string, Answer>;
