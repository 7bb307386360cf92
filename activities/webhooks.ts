import { createHmac } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { insertOnce } from '../src/db/mongo';
import type { WebhookEvent } from '../src/domain/webhooks';

/** The signature a receiver recomputes: HMAC-SHA256 of `<timestamp>.<body>` with the webhook's secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const TIMEOUT_MS = 10_000;

export function createWebhookActivities(db: Db) {
  /**
   * Delivers one event to every webhook subscribed to it that has not received it yet; any
   * failure fails the activity, so Temporal retries it with backoff (those already delivered are
   * skipped). Every attempt is logged for admins.
   */
  async function deliverToSubscribers(
    hooks: c.WebhookDoc[],
    event: WebhookEvent,
    subject: { key: string; caseId: string } | { key: string; customerId: string },
    payload: Record<string, unknown>,
  ): Promise<{ delivered: number }> {
    const { attempt } = Context.current().info;
    const { key, ...about } = subject;
    const failures: string[] = [];
    let delivered = 0;
    for (const hook of hooks) {
      const deliveryId = `${hook._id}:${key}:${event}`;
      if (await c.webhookAttempts(db).findOne({ deliveryId, ok: true }, { projection: { _id: 1 } })) continue;
      const body = JSON.stringify({ id: deliveryId, type: event, occurredAt: new Date().toISOString(), ...payload });
      const { status, error } = await post(hook, event, deliveryId, body);
      await insertOnce(c.webhookAttempts(db), {
        _id: `${deliveryId}#${attempt}`,
        deliveryId,
        webhookId: hook._id,
        event,
        ...about,
        attempt,
        at: new Date(),
        ok: !error,
        ...(status ? { status } : {}),
        ...(error ? { error } : {}),
      });
      if (error) failures.push(`${hook.url}: ${error}`);
      else delivered++;
    }
    if (failures.length) throw ApplicationFailure.retryable(`webhook delivery failed: ${failures.join('; ')}`);
    return { delivered };
  }

  return {
    /** Delivers one case event, with the case document, to the webhooks subscribed to it. */
    async deliverCaseWebhooks(args: {
      caseId: string;
      event: WebhookEvent;
      seq: number;
    }): Promise<{ delivered: number }> {
      const hooks = await c.webhooks(db).find({ events: args.event }).toArray();
      if (hooks.length === 0) return { delivered: 0 };
      const doc = await c.cases(db).findOne({ _id: args.caseId }, { projection: { calendar: 0 } });
      if (!doc) throw ApplicationFailure.nonRetryable(`no case ${args.caseId}`);
      return deliverToSubscribers(
        hooks,
        args.event,
        { key: `${args.caseId}:${args.seq}`, caseId: args.caseId },
        { case: doc },
      );
    },

    /**
     * Delivers `customer.erased` with the customer's ID alone (the record holds nothing else any
     * more), so receivers can erase their copies too.
     */
    async deliverErasureWebhooks({ customerId }: { customerId: string }): Promise<{ delivered: number }> {
      const event = 'customer.erased';
      const hooks = await c.webhooks(db).find({ events: event }).toArray();
      return deliverToSubscribers(
        hooks,
        event,
        { key: `customer:${customerId}`, customerId },
        { customer: { id: customerId } },
      );
    },
  };
}

/** One signed POST of one delivery: the receiver's status, or why it failed. */
async function post(
  hook: c.WebhookDoc,
  event: WebhookEvent,
  deliveryId: string,
  body: string,
): Promise<{ status?: number; error?: string }> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'cxloop-webhooks',
        'x-cxloop-event': event,
        'x-cxloop-delivery': deliveryId,
        'x-cxloop-timestamp': timestamp,
        'x-cxloop-signature': webhookSignature(hook.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    const { status } = response;
    return status < 200 || status >= 300 ? { status, error: `answered ${status}` } : { status };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
