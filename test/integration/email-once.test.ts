import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { MongoClient } from 'mongodb';
import { afterEach, expect, inject, it } from 'vitest';
import { type EmailOutcome, sendOnce } from '../../activities/email-once';
import * as c from '../../src/db/collections';
import { createMailer, type Mailer } from '../../src/mail/mailer';
import type { EmbeddedStack } from '../../src/stack/embedded';
import { freePort } from '../../src/stack/ports';
import { uid } from '../support/harness';
import { startOwnFerretDB } from '../support/own-ferretdb';

/** Longer than the test client waits for a server, so a write in the outage fails. */
const OUTAGE_MS = 3_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('an email SMTP has taken is recorded once the database is back, and its retry does not send it again', async () => {
  const shared = inject('stack');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-email-once-'));
  const port = await freePort();
  let ferretdb: EmbeddedStack | undefined;
  const startFerretDB = async () => {
    ferretdb = await startOwnFerretDB({ dataDir, port });
  };
  await startFerretDB();
  cleanups.push(async () => {
    await ferretdb?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const client = await MongoClient.connect(ferretdb!.mongoUri, { serverSelectionTimeoutMS: 1_000 });
  const sinkClient = await MongoClient.connect(shared.mongoUri);
  const smtp = createMailer(shared.smtpUrl);
  cleanups.push(async () => {
    smtp.close();
    await Promise.all([client.close(), sinkClient.close()]);
  });

  // The database goes down just after SMTP took the message, before sendOnce records it.
  let restarted: Promise<void> | undefined;
  const mailer: Mailer = {
    async send(email) {
      await smtp.send(email);
      await ferretdb!.stop();
      restarted = new Promise((r) => setTimeout(r, OUTAGE_MS)).then(startFerretDB);
    },
    close: () => smtp.close(),
  };
  const db = client.db('email-once');
  const to = `${uid('once')}@example.test`;
  const email = {
    idempotencyKey: uid('email'),
    kind: 'invitation',
    to,
    from: 'cx@example.test',
    subject: 'How did we do?',
    html: '<p>Tell us</p>',
    text: 'Tell us',
  };

  const outcome = await new MockActivityEnvironment().run<[], EmailOutcome, () => Promise<EmailOutcome>>(() =>
    sendOnce(db, mailer, email),
  );
  await restarted;

  expect(outcome.status).toBe('sent');
  expect(await c.emails(db).findOne({ _id: email.idempotencyKey })).toMatchObject({ status: 'sent', attempts: 1 });
  // What a retry of the activity would do: the key is known as sent, so nothing goes out again.
  const retry = await new MockActivityEnvironment().run(() => sendOnce(db, smtp, email));
  expect(retry).toEqual(outcome);
  // The retry's conditional write found the key sent and left the record so.
  expect(await c.emails(db).findOne({ _id: email.idempotencyKey })).toMatchObject({ status: 'sent', attempts: 2 });
  const received = await c.sinkMessages(sinkClient.db(shared.dbName)).find({ to }).toArray();
  expect(received.map((m) => m.deliveries)).toEqual([1]);
});
