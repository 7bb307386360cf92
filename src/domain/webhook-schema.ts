import { z } from 'zod';
import { WEBHOOK_EVENTS } from './webhooks';

export const ZWebhookInput = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'an http or https URL' }).max(2000),
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1, 'at least one event').max(WEBHOOK_EVENTS.length),
    description: z.string().trim().max(200).optional(),
  })
  .strict();
export type WebhookInput = z.infer<typeof ZWebhookInput>;
