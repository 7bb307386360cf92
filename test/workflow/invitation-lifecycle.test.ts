import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/stack/ports';
import * as c from '../../src/db/collections';
import {
  type Harness,
  createProgram,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  uid,
  api,
  eventFor,
  triggerOf,
  waitUntil,
  workflowEnded,
} from '../support/harness';
import { invitationWorkflowId } from '../../workflows/definitions';

describe('the survey invitation: reminders, expiry and delivery state', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('when the customer does not answer, then reminders go out on schedule and the invitation expires', async () => {
    const programId = await createProgram(h, { reminders: ['1s', '2s'], expiresAfter: '4s' });
    const { customer, invitationId, link } = await inviteNewCustomer(h, programId);
    const invitation = await waitUntil('expiry', async () => {
      const i = await c.invitations(h.db).findOne({ _id: invitationId });
      return i?.status === 'expired' ? i : undefined;
    });
    const messages = (await mailTo(h, customer.email)).reverse();
    expect(messages.map((m) => m.subject)).toEqual([
      'How did we do?',
      'Reminder: How did we do?',
      'Reminder: How did we do?',
    ]);
    expect(messages[1]!.text).toContain('A quick reminder');
    expect(messages[2]!.text).toContain(link);
    expect(invitation.remindedAt).toHaveLength(2);
    const gap = messages[1]!.receivedAt.getTime() - messages[0]!.receivedAt.getTime();
    expect(gap).toBeGreaterThanOrEqual(900);
  });

  it('when the customer answers, then no reminder follows', async () => {
    const programId = await createProgram(h, { reminders: ['2s'], expiresAfter: '3s' });
    const { customer, invitationId, link } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '9', went_well: 'Quick delivery' })).status).toBe(200);
    await waitUntil(
      'the reply to be scored',
      async () => (await c.responses(h.db).findOne({ _id: invitationId }))?.scores,
    );
    // Once the invitation's workflow has ended, no reminder can follow.
    await workflowEnded(h, invitationWorkflowId(invitationId));
    expect(await mailTo(h, customer.email)).toHaveLength(1);
    expect((await c.invitations(h.db).findOne({ _id: invitationId }))?.status).toBe('answered');
  });

  it('when the customer unsubscribes after the invitation, then no reminder follows', async () => {
    const programId = await createProgram(h, { reminders: ['2s'], expiresAfter: '3s' });
    const { customer, mail, invitationId } = await inviteNewCustomer(h, programId);
    const unsubscribe = /<(http[^>]+)>/.exec(mail.headers['list-unsubscribe']!)![1]!;
    expect((await postForm(unsubscribe, {})).status).toBe(200);
    await waitUntil(
      'expiry',
      async () => (await c.invitations(h.db).findOne({ _id: invitationId }))?.status === 'expired',
    );
    expect(await mailTo(h, customer.email)).toHaveLength(1);
  });

  describe('when the SMTP server rejects the recipient', () => {
    let rejecting: SMTPServer;
    let bouncing: Harness;

    beforeAll(async () => {
      rejecting = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onRcptTo: (_address, _session, callback) =>
          callback(Object.assign(new Error('550 no such mailbox'), { responseCode: 550 })),
      });
      await new Promise<void>((resolve) => rejecting.listen(0, '127.0.0.1', resolve));
      const port = (rejecting.server.address() as AddressInfo).port;
      bouncing = await startHarness({ smtpUrl: `smtp://127.0.0.1:${port}` });
    });
    afterAll(async () => {
      await bouncing?.stop();
      await new Promise<void>((resolve) => rejecting.close(() => resolve()));
    });

    it('then the invitation is marked failed with the server’s answer and not retried forever', async () => {
      const programId = await createProgram(bouncing, { reminders: ['1s'] });
      const customer = { id: uid('cust'), email: `${uid('gone')}@example.com` };
      const event = eventFor({ trigger: await triggerOf(bouncing, programId) }, customer);
      expect((await api(bouncing, 'POST', '/api/events', event)).status).toBe(202);
      const invitation = await waitUntil('the failed delivery', async () => {
        const i = await c.invitations(bouncing.db).findOne({ _id: `${programId}:${event.id}` });
        return i?.status === 'failed' ? i : undefined;
      });
      expect(invitation.failure).toMatch(/550/);
      expect(await c.emails(bouncing.db).findOne({ invitationId: invitation._id })).toMatchObject({
        status: 'failed',
        attempts: 1,
      });
    });
  });

  it('when the SMTP server is down, then the invitation waits for it and is delivered exactly once when it is back', async () => {
    const port = await freePort();
    const down = await startHarness({ smtpUrl: `smtp://127.0.0.1:${port}` });
    const received: string[] = [];
    let server: SMTPServer | undefined;
    try {
      const programId = await createProgram(down, { expiresAfter: '2s' });
      const customer = { id: uid('cust'), email: `${uid('later')}@example.com` };
      const event = eventFor({ trigger: await triggerOf(down, programId) }, customer);
      expect((await api(down, 'POST', '/api/events', event)).status).toBe(202);
      const invitationId = `${programId}:${event.id}`;
      await waitUntil('the invitation to be created', () => c.invitations(down.db).findOne({ _id: invitationId }));
      // Tried and retried while the server is down: still waiting, not given up.
      await waitUntil(
        'a retried delivery attempt',
        async () => ((await c.emails(down.db).findOne({ _id: `${invitationId}:invitation` }))?.attempts ?? 0) >= 2,
      );
      expect((await c.invitations(down.db).findOne({ _id: invitationId }))?.status).toBe('scheduled');

      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onData(stream, _session, callback) {
          let data = '';
          stream.on('data', (chunk: Buffer) => (data += chunk.toString()));
          stream.on('end', () => {
            received.push(data);
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      await waitUntil(
        'delivery after the SMTP server is back',
        async () => (await c.invitations(down.db).findOne({ _id: invitationId }))?.status === 'sent',
        40_000,
      );
      await workflowEnded(down, invitationWorkflowId(invitationId));
      expect(received).toHaveLength(1);
      expect(received[0]).toContain(customer.email);
    } finally {
      await down.stop();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    }
  });
});
