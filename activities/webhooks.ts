import { createHmac } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { insertOnce } from '../src/db/insert-once';
import { webhooksFor } from '../src/db/webhook-index';
import { type AllowList, EMPTY_ALLOW_LIST, hostVerdict, resolvedRefusal } from '../src/domain/webhook-destination';
import type { WebhookEvent } from '../src/domain/webhooks';

/** The signature a receiver recomputes: HMAC-SHA256 of `<timestamp>.<body>` with the webhook's secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const TIMEOUT_MS = 10_000;

/** Every address a host name resolves to (`dns.lookup`, as the operating system resolves it). */
export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const resolveWithSystem: ResolveAll = (hostname) => dnsLookup(hostname, { all: true });

export interface WebhookDestinations {
  /** `WEBHOOK_ALLOWED_HOSTS`: internal receivers that may be reached. */
  allowList?: AllowList;
  /** The resolver; a test passes one that answers as a rebinding attacker's DNS would. */
  resolve?: ResolveAll;
}

/** The destination is not allowed; the delivery is logged as refused and not retried. */
export class DestinationRefused extends Error {
  readonly code = 'ERR_WEBHOOK_DESTINATION_REFUSED';
}

/**
 * A `lookup` for the connection itself: it resolves, checks every address and hands the socket
 * only checked addresses, so DNS that answers differently between a check and the connection
 * (rebinding) cannot steer a delivery inside.
 */
export function checkedLookup(allow: AllowList, resolve: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const reason = resolvedRefusal(
          hostname,
          addresses.map((a) => a.address),
          allow,
        );
        if (reason) return callback(new DestinationRefused(reason), '', 0);
        if (options.all) return callback(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/**
 * POSTs the body and answers the status; the response body is discarded unread, so nothing a
 * receiver (or a service it should not be) answers is kept. No redirects are followed.
 */
export function send(url: URL, headers: Record<string, string>, body: string, lookup: LookupFunction): Promise<number> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        // A fresh connection each time: a pooled socket would skip the checked lookup.
        agent: false,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

type Outcome = { status: number } | { error: string; refused?: true };

export function createWebhookActivities(db: Db, destinations: WebhookDestinations = {}) {
  const allow = destinations.allowList ?? EMPTY_ALLOW_LIST;
  const lookup = checkedLookup(allow, destinations.resolve ?? resolveWithSystem);

  /** One signed POST of one delivery; refused without connecting when the URL names an internal host or address. */
  async function post(hook: c.WebhookDoc, event: WebhookEvent, deliveryId: string, body: string): Promise<Outcome> {
    const url = new URL(hook.url);
    const verdict = hostVerdict(url.hostname, allow);
    if (verdict.kind === 'refused') return { error: `destination refused: ${verdict.reason}`, refused: true };
    const timestamp = String(Math.floor(Date.now() / 1000));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'cxloop-webhooks',
      'x-cxloop-event': event,
      'x-cxloop-delivery': deliveryId,
      'x-cxloop-timestamp': timestamp,
      'x-cxloop-signature': webhookSignature(hook.secret, timestamp, body),
    };
    try {
      const status = await send(url, headers, body, lookup);
      return status >= 200 && status < 300 ? { status } : { status, error: `answered ${status}` };
    } catch (err) {
      if (err instanceof DestinationRefused) return { error: `destination refused: ${err.message}`, refused: true };
      return { error: (err as Error).message };
    }
  }

  /**
   * Delivers one event to every webhook subscribed to it that has not received it yet; any
   * failure fails the activity, so Temporal retries it with backoff (those already delivered are
   * skipped, as are refused destinations: a refusal is final). Every attempt is logged for admins.
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
      const done = await c
        .webhookAttempts(db)
        .findOne({ deliveryId, $or: [{ ok: true }, { refused: true }] }, { projection: { _id: 1 } });
      if (done) continue;
      const body = JSON.stringify({ id: deliveryId, type: event, occurredAt: new Date().toISOString(), ...payload });
      const outcome = await post(hook, event, deliveryId, body);
      await insertOnce(c.webhookAttempts(db), {
        _id: `${deliveryId}#${attempt}`,
        deliveryId,
        webhookId: hook._id,
        event,
        ...about,
        attempt,
        at: new Date(),
        ok: !('error' in outcome),
        ...outcome,
      });
      if (!('error' in outcome)) delivered++;
      else if (!('refused' in outcome)) failures.push(`${hook.url}: ${outcome.error}`);
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
      const hooks = await webhooksFor(db, args.event);
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
      const hooks = await webhooksFor(db, event);
      return deliverToSubscribers(
        hooks,
        event,
        { key: `customer:${customerId}`, customerId },
        { customer: { id: customerId } },
      );
    },
  };
}
