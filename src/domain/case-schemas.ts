import { z } from 'zod';
import { ZDuration } from './duration-schema';

/** The program that asks "Is your problem solved?" after a resolution, unless a program names another. */
export const FOLLOW_UP_PROGRAM_ID = 'case-follow-up';

export const DEFAULT_ROOT_CAUSES = [
  'Product defect',
  'Billing error',
  'Delivery delay',
  'Staff behaviour',
  'Missing information',
  'Customer misunderstanding',
  'Other',
];

/** How a program's cases are handled: SLA budgets in the owning team's business hours, and customer steps. */
export const ZCaseHandling = z
  .object({
    sla: z
      .object({ firstResponse: ZDuration.default('4h'), resolution: ZDuration.default('2d') })
      .strict()
      .default({ firstResponse: '4h', resolution: '2d' }),
    /** Tell the customer at once that their feedback was read and who will get back to them. */
    acknowledgeCustomer: z.boolean().default(true),
    followUpProgram: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,99}$/)
      .default(FOLLOW_UP_PROGRAM_ID),
  })
  .strict();
export type CaseHandling = z.infer<typeof ZCaseHandling>;

export const ZRootCauses = z.array(z.string().trim().min(1).max(100)).min(1).max(100).default(DEFAULT_ROOT_CAUSES);

const ZNote = z.string().trim().min(1, 'must not be empty').max(5000);

/** What an owner (or the helpdesk, through the API) does to a case. */
export const ZCaseAction = z.discriminatedUnion('action', [
  z.object({ action: z.literal('acknowledge') }).strict(),
  z.object({ action: z.literal('note'), note: ZNote }).strict(),
  z.object({ action: z.literal('contact'), subject: z.string().trim().min(1).max(200), message: ZNote }).strict(),
  z.object({ action: z.literal('wait'), note: ZNote.optional() }).strict(),
  z.object({ action: z.literal('resume'), note: ZNote.optional() }).strict(),
  z
    .object({ action: z.literal('reassign'), ownerId: z.email().max(254).toLowerCase(), note: ZNote.optional() })
    .strict(),
  z
    .object({
      action: z.literal('resolve'),
      rootCause: z.string().trim().min(1).max(100),
      note: ZNote.optional(),
      customerMessage: ZNote.optional(),
    })
    .strict(),
  z.object({ action: z.literal('reopen'), note: ZNote }).strict(),
]);
export type CaseActionInput = z.infer<typeof ZCaseAction>;
export type CaseActionName = CaseActionInput['action'];
