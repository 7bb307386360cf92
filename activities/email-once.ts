import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { type Mailer, type OutgoingEmail, PermanentDeliveryError } from '../src/mail/mailer';

/** Emails handed to SMTP, by kind and outcome, through the worker's Prometheus exporter (WORKER_METRICS_PORT). */
function countEmail(kind: string, status: 'sent' | 'failed' | 'retrying'): void {
  Context.current()
    .metricMeter.createCounter('cxloop_emails', 'emails', 'Emails by kind and outcome')
    .add(1, { kind, status });
}

const HEARTBEAT_MS = 5_000;

/**
 * Runs an email activity while heartbeating (see EMAIL_ACTIVITY_OPTIONS): however long MongoDB or
 * SMTP take, the attempt stays alive as long as its worker does, instead of being abandoned
 * mid-way and the email handed over a second time by the retry.
 */
export async function whileBeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

export type EmailOutcome = { status: 'sent'; sentAt: number } | { status: 'failed'; failure: string; sentAt: number };

/**
 * The outcome of an email already sent under this key. Looked up by `_id` alone: that is the only
 * filter FerretDB v1 answers from an index; any other field makes it read the whole collection.
 */
export async function sentEmail(db: Db, idempotencyKey: string): Promise<{ status: 'sent'; sentAt: number } | null> {
  const email = await c.emails(db).findOne({ _id: idempotencyKey });
  return email?.status === 'sent' ? { status: 'sent' as const, sentAt: email.sentAt!.getTime() } : null;
}

/**
 * Sends an email once per idempotency key, whatever the retries: the key is recorded before the
 * hand-over to SMTP, its Message-ID is derived from it, and a key already sent is not sent again.
 * A transient SMTP failure throws (the activity is retried); a 5xx rejection is a result.
 */
export async function sendOnce(
  db: Db,
  mailer: Mailer,
  email: Omit<OutgoingEmail, 'messageId'> & {
    idempotencyKey: string;
    kind: string;
    invitationId?: string;
    caseId?: string;
  },
): Promise<EmailOutcome> {
  const { idempotencyKey, kind, invitationId, caseId, ...message } = email;
  const already = await sentEmail(db, idempotencyKey);
  if (already) return already;
  const messageId = `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@cxloop>`;
  const now = new Date();
  await c.emails(db).updateOne(
    { _id: idempotencyKey },
    {
      $setOnInsert: {
        kind,
        to: message.to,
        subject: message.subject,
        messageId,
        ...(invitationId ? { invitationId } : {}),
        ...(caseId ? { caseId } : {}),
        status: 'sending',
        createdAt: now,
      },
      $inc: { attempts: 1 },
    },
    { upsert: true },
  );
  try {
    await mailer.send({ ...message, messageId });
  } catch (err) {
    if (!(err instanceof PermanentDeliveryError)) {
      countEmail(kind, 'retrying');
      throw err;
    }
    countEmail(kind, 'failed');
    await c.emails(db).updateOne({ _id: idempotencyKey }, { $set: { status: 'failed', failure: err.message } });
    return { status: 'failed', failure: err.message, sentAt: now.getTime() };
  }
  const sentAt = new Date();
  countEmail(kind, 'sent');
  await c.emails(db).updateOne({ _id: idempotencyKey }, { $set: { status: 'sent', sentAt } });
  return { status: 'sent', sentAt: sentAt.getTime() };
}
