import { randomBytes, randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from 'mongodb';
import { audit } from '../db/audit';
import * as c from '../db/collections';
import { rebuildWebhookIndex } from '../db/webhook-index';
import { type AllowList, hostVerdict, resolvedRefusal } from '../domain/webhook-destination';
import type { WebhookInput } from '../domain/webhook-schema';
import { AppError } from './errors';

/** An admin waits on this at most; a name that does not answer in time is checked at delivery. */
const RESOLVE_TIMEOUT_MS = 3_000;

/** The addresses a name resolves to now, or none when it does not resolve (in time). */
async function addressesOf(hostname: string): Promise<string[]> {
  const timeout = new AbortController();
  const resolved = lookup(hostname, { all: true }).then(
    (found) => found.map((a) => a.address),
    () => [],
  );
  const late = sleep(RESOLVE_TIMEOUT_MS, [], { signal: timeout.signal }).catch(() => []);
  try {
    return await Promise.race([resolved, late]);
  } finally {
    timeout.abort();
  }
}

/**
 * Why a webhook may not point at this URL: an internal address or name, or a name that resolves to
 * one. A name that does not resolve yet is accepted: every delivery resolves and checks again
 * before it connects, which is the check that counts (DNS can change after this one).
 */
export async function destinationRefusal(url: string, allow: AllowList): Promise<string | undefined> {
  const { hostname } = new URL(url);
  const verdict = hostVerdict(hostname, allow);
  if (verdict.kind !== 'resolve') return verdict.kind === 'refused' ? verdict.reason : undefined;
  const addresses = await addressesOf(hostname);
  return addresses.length ? resolvedRefusal(hostname, addresses, allow) : undefined;
}

/**
 * A new subscription; its signing secret is returned this once and shown to the admin. A
 * destination inside the network is refused (400, `details.url` says why) unless allow-listed.
 */
export async function createWebhook(db: Db, input: WebhookInput, createdBy: string, allow: AllowList) {
  const refusal = await destinationRefusal(input.url, allow);
  if (refusal) throw new AppError('invalid', `url: ${refusal}`, { url: refusal });
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
  await rebuildWebhookIndex(db);
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
  if (!hook || !deletedCount) throw new AppError('not-found', `no webhook ${id}`);
  await rebuildWebhookIndex(db);
  await audit(db, {
    actor,
    action: 'webhook.delete',
    subject: `webhook ${id}`,
    before: { url: hook.url, events: hook.events },
  });
}
