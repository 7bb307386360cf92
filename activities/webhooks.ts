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
  return {
    /**
     * Delivers one case event to every webhook subscribed to it that has not received it yet; any
     * failure fails the activity, so Temporal retries it with backoff (those already delivered are
     * skipped). Every attempt is logged for admins.
     */
    async deliverCaseWebhooks(args: {
      caseId: string;
      event: WebhookEvent;
      seq: number;
    }): Promise<{ delivered: number }> {
      const hooks = await c.webhooks(db).find({ events: args.event }).toArray();
      if (hooks.length === 0) return { delivered: 0 };
      const doc = await c.cases(db).findOne({ _id: args.caseId }, { projection: { calendar: 0 } });
      if (!doc) throw ApplicationFailure.nonRetryable(`no case ${args.caseId}`);
      const { attempt } = Context.current().info;
      const failures: string[] = [];
      let delivered = 0;
      for (const hook of hooks) {
        const deliveryId = `${hook._id}:${args.caseId}:${args.seq}:${args.event}`;
        if (await c.webhookAttempts(db).findOne({ deliveryId, ok: true }, { projection: { _id: 1 } })) continue;
        const body = JSON.stringify({
          id: deliveryId,
          type: args.event,
          occurredAt: new Date().toISOString(),
          case: doc,
        });
        const timestamp = String(Math.floor(Date.now() / 1000));
        let status: number | undefined;
        let error: string | undefined;
        try {
          const response = await fetch(hook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'user-agent': 'cxloop-webhooks',
              'x-cxloop-event': args.event,
              'x-cxloop-delivery': deliveryId,
              'x-cxloop-timestamp': timestamp,
              'x-cxloop-signature': webhookSignature(hook.secret, timestamp, body),
            },
            body,
            redirect: 'manual',
            signal: AbortSignal.timeout(TIMEOUT_MS),
          });
          status = response.status;
          await response.body?.cancel();
          if (status < 200 || status >= 300) error = `answered ${status}`;
        } catch (err) {
          error = (err as Error).message;
        }
        await insertOnce(c.webhookAttempts(db), {
          _id: `${deliveryId}#${attempt}`,
          deliveryId,
          webhookId: hook._id,
          event: args.event,
          caseId: args.caseId,
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
    },
  };
}
