import { z } from 'zod';
import { ZRelationshipCadence } from './cadence';
import { ZCaseRules } from './case-rules';
import { ZCaseHandling } from './case-schemas';
import { ZContactRules } from './contact-schema';
import { ZDuration } from './duration-schema';
import { LIMITS } from './limits';
import { ZLocale, ZLocalized } from './localize';
import { ZSurvey } from './survey-schema';

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
