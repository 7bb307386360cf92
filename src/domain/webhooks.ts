/**
 * What a helpdesk can subscribe to. `customer.erased` carries the customer's ID alone, so that
 * receivers holding copies (of case payloads, say) can erase them too.
 */
export const WEBHOOK_EVENTS = [
  'case.opened',
  'case.escalated',
  'case.resolved',
  'case.reopened',
  'case.closed',
  'customer.erased',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** How long a delivery is retried (with backoff) before it is given up and shown as failed. */
export const WEBHOOK_MAX_ATTEMPTS = 8;

/** The webhook event a case timeline entry announces, if any. */
const EVENT_OF_TIMELINE_KIND: Record<string, WebhookEvent> = {
  opened: 'case.opened',
  escalated: 'case.escalated',
  resolve: 'case.resolved',
  reopen: 'case.reopened',
  reopened: 'case.reopened',
  closed: 'case.closed',
};

export const webhookEventFor = (timelineKind: string): WebhookEvent | undefined =>
  Object.hasOwn(EVENT_OF_TIMELINE_KIND, timelineKind) ? EVENT_OF_TIMELINE_KIND[timelineKind] : undefined;
