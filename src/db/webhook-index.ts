import type { Db } from 'mongodb';
import type { WebhookEvent } from '../domain/webhooks';
import * as c from './collections';
import { type LookupIndex, readLookupIndex, rebuildLookupIndex } from './lookup-index';

/** Each webhook's ID and the events it subscribes to (secrets and URLs stay in `webhooks`). */
type Subscriptions = { id: string; events: WebhookEvent[] }[];

const WEBHOOK_INDEX: LookupIndex<Subscriptions> = {
  id: 'webhook-events',
  build: async (db) =>
    (
      await c
        .webhooks(db)
        .find({}, { projection: { events: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map((hook) => ({
      id: hook._id,
      events: hook.events,
    })),
};

/** After any webhook is created or deleted (src/app/webhooks.ts) and at migration. */
export const rebuildWebhookIndex = (db: Db) => rebuildLookupIndex(db, WEBHOOK_INDEX);

/** The IDs of the webhooks subscribed to an event: one read by `_id`, however many webhooks exist. */
export async function webhookIdsFor(db: Db, event: WebhookEvent): Promise<string[]> {
  return (await readLookupIndex(db, WEBHOOK_INDEX)).filter((hook) => hook.events.includes(event)).map((h) => h.id);
}

/** The webhooks subscribed to an event, each read by `_id` (one deleted meanwhile is left out). */
export async function webhooksFor(db: Db, event: WebhookEvent): Promise<c.WebhookDoc[]> {
  const hooks = await Promise.all((await webhookIdsFor(db, event)).map((id) => c.webhooks(db).findOne({ _id: id })));
  return hooks.filter((hook): hook is c.WebhookDoc => !!hook?.events.includes(event));
}
