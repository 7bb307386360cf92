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
 * Recording the attempt and reading what an earlier attempt did are one conditional write by
 * `_id` (an upsert that answers the record). A transient SMTP failure throws (the activity is
 * retried); a 5xx rejection is a result.
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
  const messageId = `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@cxloop>`;
  const now = new Date();
  const recorded = await c.emails(db).findOneAndUpdate(
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
    // No projection: FerretDB v1 does not take one on findAndModify.
    { upsert: true, returnDocument: 'after' },
  );
  if (recorded?.status === 'sent') return { status: 'sent', sentAt: recorded.sentAt!.getTime() };
  try {
    await mailer.send({ ...message, messageId });
  } catch (err) {
    if (!(err instanceof PermanentDeliveryError)) {
      countEmail(kind, 'retrying');
      throw err;
    }
    countEmail(kind, 'failed');
    await recordUntilWritten(() =>
      c.emails(db).updateOne({ _id: idempotencyKey }, { $set: { status: 'failed', failure: err.message } }),
    );
    return { status: 'failed', failure: err.message, sentAt: now.getTime() };
  }
  const sentAt = new Date();
  countEmail(kind, 'sent');
  await recordUntilWritten(() => c.emails(db).updateOne({ _id: idempotencyKey }, { $set: { status: 'sent', sentAt } }));
  return { status: 'sent', sentAt: sentAt.getTime() };
}

/** First and longest pause between tries of recording an email SMTP has already taken. */
const RECORD_PAUSE_MS = { first: 200, longest: 5_000 };

/**
 * Records what SMTP did with an email. Once the message is out, a failed write would make the
 * activity's retry hand it over a second time (a busy or restarting database is enough), so the
 * write is tried again within the attempt until it succeeds; the attempt heartbeats meanwhile
 * (`whileBeating`) and stops trying only when it is cancelled.
 */
async function recordUntilWritten(write: () => Promise<unknown>): Promise<void> {
  const context = Context.current();
  for (let pause = RECORD_PAUSE_MS.first; ; pause = Math.min(pause * 2, RECORD_PAUSE_MS.longest)) {
    try {
      await write();
      return;
    } catch (err) {
      context.log.warn('Recording a sent email failed; trying again', { error: (err as Error).message });
      await context.sleep(pause);
    }
  }
}
