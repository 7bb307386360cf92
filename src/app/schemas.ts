import { z } from 'zod';
import { isTimeZone } from '../domain/cadence';

/** IDs from integrations: printable, no spaces, safe in URLs and workflow IDs. */
export const ZExternalId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._:@/+-]+$/, 'letters, digits and . _ : @ / + - only');

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const MAX_ATTRIBUTES = 100;
/** Flat name → value maps; names become MongoDB field names, so no dots or `$`. */
export const ZAttributes = z
  .record(z.string(), z.union([z.string().max(500), z.number().finite(), z.boolean()]))
  .superRefine((attributes, ctx) => {
    if (Object.keys(attributes).length > MAX_ATTRIBUTES)
      ctx.addIssue({ code: 'custom', path: [], message: `at most ${MAX_ATTRIBUTES} attributes` });
    for (const name of Object.keys(attributes)) {
      if (!ATTRIBUTE_NAME.test(name))
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'attribute names are a letter, then letters, digits and _',
        });
    }
  });

export const ZCustomerInput = z
  .object({
    id: ZExternalId,
    email: z.email('a valid email address').max(254),
    name: z.string().trim().min(1).max(200).optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a locale such as en, de or fr-CA')
      .meta({ examples: ['en', 'de', 'fr-CA'] })
      .optional(),
    timezone: z
      .string()
      .max(64)
      .refine(isTimeZone, 'an IANA time zone such as Europe/Berlin')
      .meta({ description: 'An IANA time zone', examples: ['Europe/Berlin'] })
      .optional(),
    attributes: ZAttributes.optional(),
  })
  .strict();
export type TCustomerInput = z.infer<typeof ZCustomerInput>;

/** Up to 5 minutes of clock skew is fine; an event from the future is not. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export const ZEventInput = z
  .object({
    id: ZExternalId.describe('The idempotency key: the same ID again is a duplicate'),
    type: z
      .string()
      .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a lower-case event type such as purchase or service_call')
      .meta({ examples: ['purchase', 'service_call', 'installation', 'case_closed'] }),
    occurredAt: z.iso
      .datetime({ offset: true, message: 'an ISO 8601 date-time such as 2026-05-01T10:00:00Z' })
      .refine((v) => Date.parse(v) <= Date.now() + MAX_CLOCK_SKEW_MS, 'must not be in the future'),
    customer: ZCustomerInput,
    data: ZAttributes.optional().describe(
      'Facts of the transaction, e.g. `location` (a dashboard segment); `agent`: the ID of the employee, agent or location that served the customer (up to 100 characters, no dots): the reply is attributed to them (their My feedback page, praise)',
    ),
  })
  .strict();
export type TEventInput = z.infer<typeof ZEventInput>;

export const MAX_BATCH = 1000;
export const ZEventBatch = z
  .object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH, `at most ${MAX_BATCH} events per batch`) })
  .strict();

export const PAGE_MAX = 200;
/** Paging for every list: whole numbers within limits, or a 400 naming the parameter. */
export const ZPage = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a whole number' })
    .int('limit must be a whole number')
    .min(1, 'limit must be at least 1')
    .max(PAGE_MAX, `limit must be at most ${PAGE_MAX}`)
    .default(50),
  offset: z.coerce
    .number({ error: 'offset must be a whole number' })
    .int('offset must be a whole number')
    .min(0, 'offset must not be negative')
    .max(100_000, 'offset must be at most 100000; narrow the query instead')
    .default(0),
});
