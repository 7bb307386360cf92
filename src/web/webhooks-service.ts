import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { audit } from '../db/audit';
import * as c from '../db/collections';
import type { WebhookInput } from '../domain/webhook-schema';
import { HttpError } from './errors';

/** A new subscription; its signing secret is returned this once and shown to the admin. */
export async function createWebhook(db: Db, input: WebhookInput, createdBy: string) {
  const doc: c.WebhookDoc = {
    _id: randomUUID(),
    url: input.url,
    events: input.events,
    ...(input.description ? { description: input.description } : {}),
    secret: `whsec_${randomBytes(24).toString('base64url')}`,
    createdBy,
    createdAt: new Date(),
  };
  await c.webhooks(db).insertOne(doc);
  await audit(db, {
    actor: createdBy,
    action: 'webhook.create',
    subject: `webhook ${doc._id}`,
    after: { url: doc.url, events: doc.events },
  });
  return { id: doc._id, url: doc.url, events: doc.events, secret: doc.secret };
}

/** Subscriptions without their secrets, each with its latest delivery attempts. */
export async function listWebhooks(db: Db, attemptsEach = 10) {
  const hooks = await c
    .webhooks(db)
    .find({}, { projection: { secret: 0 } })
    .sort({ createdAt: 1 })
    .limit(100)
    .toArray();
  return Promise.all(
    hooks.map(async (hook) => ({
      id: hook._id,
      url: hook.url,
      events: hook.events,
      description: hook.description,
      createdBy: hook.createdBy,
      createdAt: hook.createdAt,
      attempts: await c
        .webhookAttempts(db)
        .find({ webhookId: hook._id })
        .sort({ at: -1 })
        .limit(attemptsEach)
        .toArray(),
    })),
  );
}

export async function deleteWebhook(db: Db, id: string, actor: string): Promise<void> {
  const hook = await c.webhooks(db).findOne({ _id: id }, { projection: { url: 1, events: 1 } });
  const { deletedCount } = await c.webhooks(db).deleteOne({ _id: id });
  if (!hook || !deletedCount) throw new HttpError(404, `no webhook ${id}`);
  await audit(db, {
    actor,
    action: 'webhook.delete',
    subject: `webhook ${id}`,
    before: { url: hook.url, events: hook.events },
  });
}
