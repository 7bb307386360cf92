import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Binary, type Db } from 'mongodb';
import { createTransport } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { rollupDay } from '../../src/domain/rollup';
import type { CaseMetricsReport } from '../../src/app/case-metrics';
import { connectTemporalClient } from '../../src/temporal/connection';
import { caseWorkflowId } from '../../workflows/definitions';
import { CASE_PEOPLE, createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  type Harness,
  api,
  createProgram,
  eventFor,
  inviteNewCustomer,
  mailTo,
  postForm,
  smtpUrlFor,
  startHarness,
  surveyLinkIn,
  triggerOf,
  uid,
  waitUntil,
} from '../support/harness';

/** A subject the relay refuses with a 5xx that quotes the recipient, as real mail servers do. */
const BOUNCED_SUBJECT = 'Bounce this one';

/**
 * An SMTP relay in front of the stack's sink: passes every message on, except one whose subject
 * asks to bounce, which it refuses quoting the address (the text lands in the sent-email log).
 */
async function startBouncingRelay(sinkUrl: string): Promise<{ url: string; close(): Promise<void> }> {
  const sink = createTransport(sinkUrl);
  const relay = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const to = session.envelope.rcptTo.map((r) => r.address);
        if (raw.toString('utf8').includes(`Subject: ${BOUNCED_SUBJECT}`))
          return callback(Object.assign(new Error(`550 mailbox ${to.join(', ')} is full`), { responseCode: 550 }));
        sink.sendMail({ envelope: { from: (session.envelope.mailFrom || { address: '' }).address, to }, raw }).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    url: `smtp://127.0.0.1:${(relay.server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => relay.close(() => resolve())),
  };
}

/** Every document of every collection as text, binary fields decoded, so nothing hides in them. */
async function everyDocumentAsText(db: Db): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const { name } of await db.listCollections().toArray()) {
    const docs = await db.collection(name).find({}).toArray();
    texts.set(
      name,
      JSON.stringify(docs, function (this: Record<string, unknown>, key, value: unknown) {
        const raw = this[key];
        if (raw instanceof Binary) return Buffer.from(raw.buffer).toString('utf8');
        if (Buffer.isBuffer(raw)) return raw.toString('utf8');
        return value;
      }).toLowerCase(),
    );
  }
  return texts;
}

/** The collections where any of `needles` appears (case-insensitively), each with what was found. */
async function mentions(db: Db, needles: string[]): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const [name, text] of await everyDocumentAsText(db)) {
    const hits = needles.filter((needle) => text.includes(needle.toLowerCase()));
    if (hits.length) found[name] = hits;
  }
  return found;
}

async function workflowStatus(h: Harness, workflowId: string): Promise<string> {
  const temporal = await connectTemporalClient({ address: h.temporalAddress, namespace: h.config.temporal.namespace });
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name;
  } finally {
    await temporal.connection.close();
  }
}

function unsubscribeLinkIn(text: string): string {
  const match = /(https?:\/\/[^\s]+\/u\/[A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error(`no unsubscribe link in:\n${text}`);
  return match[1]!;
}

describe('erasure leaves nothing of the customer behind', () => {
  let h: Harness;
  let relay: Awaited<ReturnType<typeof startBouncingRelay>>;
  let receiver: Server;
  let hookId: string;
  const received: { type: string; body: string }[] = [];

  beforeAll(async () => {
    relay = await startBouncingRelay(await smtpUrlFor());
    h = await startHarness({ smtpUrl: relay.url });
    await setUpCaseRouting(h);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ type: (JSON.parse(body) as { type: string }).type, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const hook = await api(h, 'POST', '/api/webhooks', {
      url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
      events: ['case.opened', 'case.resolved', 'customer.erased'],
    });
    expect(hook.status, hook.text).toBe(201);
    hookId = hook.json.id as string;
  });
  afterAll(async () => {
    if (hookId) await api(h, 'DELETE', `/api/webhooks/${hookId}`);
    await new Promise((resolve) => receiver?.close(resolve));
    await h?.stop();
    await relay?.close();
  });

  const act = async (caseId: string, action: string, body: Record<string, unknown>) => {
    const res = await api(h, 'POST', `/api/cases/${encodeURIComponent(caseId)}/${action}`, body);
    expect(res.status, res.text).toBe(200);
  };
  const mailWith = (email: string, subject: string) =>
    waitUntil(`"${subject}" to ${email}`, async () =>
      (await mailTo(h, email)).find((message) => message.subject.includes(subject)),
    );

  it('when a customer with a case, notes, messages, a bounce and an open follow-up is erased, then no collection holds their marker, address or name', async () => {
    const marker = `zq-erase-${randomBytes(6).toString('hex')}`;
    const customer = {
      id: uid('cust'),
      email: `${marker}@example.com`,
      name: `Zoe ${marker}`,
      attributes: { region: 'EU', note: `vip ${marker}` },
    };
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const event = { ...eventFor({ trigger: await triggerOf(h, programId) }, customer), customer };
    expect((await api(h, 'POST', '/api/events', { ...event, data: { order: `order ${marker}` } })).status).toBe(202);
    const invitation = await mailWith(customer.email, 'How did we do?');
    const caseId = `${programId}:${event.id}`;
    expect((await postForm(surveyLinkIn(invitation.text), { nps: '2', went_wrong: `Broken ${marker}` })).status).toBe(
      200,
    );

    // Someone else's data, which must stay as it is.
    const other = await inviteNewCustomer(h, await createProgram(h));
    expect((await postForm(other.link, { nps: '3', went_wrong: 'Otto was kept waiting' })).status).toBe(200);

    await mailWith(CASE_PEOPLE.owner.email, `New case: ${customer.name}`);
    await waitUntil('case.opened delivered', async () =>
      c.webhookAttempts(h.db).findOne({ caseId, event: 'case.opened', ok: true }),
    );
    await act(caseId, 'note', { note: `Called ${customer.name} at home, ${marker}` });
    await act(caseId, 'contact', { subject: BOUNCED_SUBJECT, message: `First try ${marker}` });
    const bounced = await waitUntil('the bounce to be logged', async () =>
      c.emails(h.db).findOne({ caseId, status: 'failed' }),
    );
    expect(bounced.failure).toContain(customer.email);
    await act(caseId, 'contact', { subject: `About your order ${marker}`, message: `Which order, ${marker}?` });
    await act(caseId, 'resolve', {
      rootCause: 'Delivery delay',
      note: `Courier B for ${marker}`,
      customerMessage: `We fixed it for you, ${customer.name}.`,
    });
    const followUpMail = await mailWith(customer.email, 'Is your problem solved?');
    const followUpLink = surveyLinkIn(followUpMail.text);

    const before = await mentions(h.db, [marker]);
    expect(Object.keys(before)).toEqual(
      expect.arrayContaining([
        'customers',
        'events',
        'invitations',
        'responses',
        'cases',
        'case_timeline',
        'audit_log',
        'emails',
        'sink_messages',
      ]),
    );

    const erased = await api(h, 'DELETE', `/api/customers/${customer.id}`);
    expect(erased.status, erased.text).toBe(200);
    expect(erased.json).toMatchObject({ erased: true, casesRedacted: 1 });
    // Stopped by the erasure, not ended by a failing child: nothing of it runs on to write or email.
    expect(await workflowStatus(h, caseWorkflowId(caseId))).toBe('TERMINATED');
    await waitUntil('customer.erased delivered', async () =>
      received.find((r) => r.type === 'customer.erased' && r.body.includes(customer.id)),
    );
    const erasedDelivery = received.find((r) => r.type === 'customer.erased')!;
    expect(JSON.parse(erasedDelivery.body)).toMatchObject({ type: 'customer.erased', customer: { id: customer.id } });
    expect(Object.keys(JSON.parse(erasedDelivery.body).customer as object)).toEqual(['id']);
    await waitUntil('the delivery to be logged', async () =>
      c.webhookAttempts(h.db).findOne({ customerId: customer.id, event: 'customer.erased', ok: true }),
    );

    expect((await fetch(surveyLinkIn(invitation.text))).status).toBe(410);
    // The follow-up survey was still open: its link now takes nothing and shows nothing.
    const page = await fetch(followUpLink);
    expect(page.status).toBe(410);
    expect(await page.text()).not.toContain(marker);
    const posted = await postForm(followUpLink, { solved: 'no', csat: '1', comment: `Still broken ${marker}` });
    expect(posted.status).toBe(410);
    expect(await c.responses(h.db).countDocuments({ programId: followUp })).toBe(0);
    const unsubscribe = await fetch(unsubscribeLinkIn(followUpMail.text));
    expect(unsubscribe.status).toBe(410);
    expect(await unsubscribe.text()).not.toContain(marker);

    expect(await mentions(h.db, [marker, customer.email, customer.name])).toEqual({});
    const outbox = await api(h, 'GET', '/api/outbox?limit=1000');
    expect(outbox.text.toLowerCase()).not.toContain(marker);

    // The case is closed, its counts kept; the other customer keeps everything.
    expect(await c.cases(h.db).findOne({ _id: caseId })).toMatchObject({
      status: 'closed',
      rootCause: 'Delivery delay',
    });
    expect(await c.openCases(h.db).findOne({ _id: c.openCaseKey(programId, customer.id) })).toBeNull();
    await waitUntil('the close to be counted in the case metrics', async () => {
      const day = (offset: number) => rollupDay(Date.now() + offset * 86_400_000);
      const res = await api(h, 'GET', `/api/metrics/cases?program=${programId}&from=${day(-1)}&to=${day(1)}`);
      const report = res.json as unknown as CaseMetricsReport;
      return report.current.opened === 1 && report.current.closed === 1;
    });
    expect(await c.customers(h.db).findOne({ _id: other.customer.id })).toMatchObject({
      email: other.customer.email,
      name: 'Test Customer',
    });
    expect((await c.responses(h.db).findOne({ _id: other.invitationId }))?.answers).toMatchObject({
      went_wrong: 'Otto was kept waiting',
    });
    expect(await mailTo(h, other.customer.email)).toHaveLength(1);
  });

  it('when a customer erased mid-survey comes back within the follow-up window, then the link answers 410 and stores nothing', async () => {
    const programId = await createProgram(h);
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    const oneClick = await postForm(link, { _oneclick: '1', nps: '2' });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toContain('went_wrong');

    expect((await api(h, 'DELETE', `/api/customers/${customer.id}`)).status).toBe(200);
    const page = await fetch(link);
    expect(page.status).toBe(410);
    const later = await postForm(link, { nps: '2', went_wrong: 'Here is my phone number 555 0199' });
    expect(later.status).toBe(410);
    expect((await c.responses(h.db).findOne({ _id: invitationId }))?.answers).toEqual({ nps: 2 });
  });
});
