import { z } from 'zod';
import { ZDay } from './dashboard';
import { ZContactRules } from './contact-schema';
import { ZLocalized } from './localize';
import type { TProgramInput } from './program';

/**
 * The outer loop: operations mark a root cause as fixed, and every customer whose case was
 * resolved with it in a chosen period hears about the fix (and, optionally, is asked again), as a
 * pulsed campaign of a program made for the fix.
 */

export const ZFixInput = z
  .object({
    /** Chosen by the caller so that a retried request is the same fix (letters, digits, -). */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'lower-case letters, digits and - (at most 60)'),
    /** What was fixed, in the customer's words; one text, or one per locale. */
    note: ZLocalized,
    /** Cases resolved with the root cause on these days (both included). */
    from: ZDay,
    to: ZDay,
    /** Ask "are you more satisfied now?" with the news (a one-question survey). */
    resurvey: z.boolean().default(true),
    /** The fix email's contact rules (fatigue): unless given, a program's defaults, deferring rather than skipping. */
    contactRules: ZContactRules.optional(),
  })
  .strict()
  .refine((fix) => fix.from <= fix.to, { path: ['from'], message: 'the period starts after it ends' });
export type TFixInput = z.infer<typeof ZFixInput>;

export const fixProgramId = (fixId: string) => `fix-${fixId}`;
export const fixCampaignId = (fixId: string) => `fix-${fixId}`;

/** The pulsed program a fix's campaign sends: the note as the email, with or without the question. */
export function fixProgram(rootCause: string, fix: TFixInput): TProgramInput {
  return {
    id: fixProgramId(fix.id),
    name: `We fixed it: ${rootCause}`.slice(0, 200),
    kind: 'pulsed',
    reminders: [],
    expiresAfter: fix.resurvey ? '14d' : '1d',
    survey: {
      // One question: a minute to change one's mind is enough, and the effect shows soon after.
      editGrace: '1m',
      questions: [
        {
          id: 'csat',
          type: 'csat',
          required: true,
          label: {
            en: 'Now that we fixed it, how satisfied are you with us?',
            de: 'Wie zufrieden sind Sie jetzt, da wir es behoben haben?',
          },
        },
      ],
    },
    email: {
      template: fix.resurvey ? 'invitation' : 'fix-notice',
      subject: {
        en: 'We fixed the problem you told us about',
        de: 'Wir haben das Problem behoben, das Sie uns gemeldet haben',
      },
      intro: fix.note,
      why: {
        en: 'You told us about this problem, so we wanted you to hear first that it is fixed.',
        de: 'Sie haben uns auf dieses Problem hingewiesen; deshalb sollen Sie als Erste erfahren, dass es behoben ist.',
      },
    },
    // A customer asked too recently hears about the fix once the rules allow, rather than never.
    contactRules: fix.contactRules ?? ZContactRules.parse({ whenThrottled: 'defer' }),
  };
}

export interface FixEffect {
  /** Customers with a scored reply both before and after the fix. */
  customers: number;
  /** Their mean summary score (0–100) from their latest reply before the fix, and from their first after it. */
  before: number | null;
  after: number | null;
  /** Of them, those whose score rose. */
  improved: number;
}

/** Score before vs after the fix for the customers it reached, from their replies. */
export function fixEffect(
  replies: { customerId: string; at: number; score: number }[],
  fixedAt: number,
  customers: ReadonlySet<string>,
): FixEffect {
  const before = new Map<string, { at: number; score: number }>();
  const after = new Map<string, { at: number; score: number }>();
  for (const reply of replies) {
    if (!customers.has(reply.customerId)) continue;
    const side = reply.at < fixedAt ? before : after;
    const kept = side.get(reply.customerId);
    const replaces = side === before ? !kept || kept.at < reply.at : !kept || kept.at > reply.at;
    if (replaces) side.set(reply.customerId, reply);
  }
  const both = [...before.keys()].filter((customer) => after.has(customer));
  const mean = (side: Map<string, { score: number }>) =>
    both.length ? Math.round((both.reduce((sum, c) => sum + side.get(c)!.score, 0) / both.length) * 10) / 10 : null;
  return {
    customers: both.length,
    before: mean(before),
    after: mean(after),
    improved: both.filter((c) => after.get(c)!.score > before.get(c)!.score).length,
  };
}
