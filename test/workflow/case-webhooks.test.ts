import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookSignature } from '../../activities/webhooks';
import * as c from '../../src/db/collections';
import { signIn } from '../support/admin';
import { createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  ADMIN,
  type Harness,
  api,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  waitUntil,
} from '../support/harness';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: { id: string; type: string; case: { _id: string; status: string } };
  answered: number;
}

describe('case webhooks for helpdesks', () => {
  let h: Harness;
  let receiver: Server;
  let url: string;
  let hook: { id: string; secret: string };
  const received: Received[] = [];
  /** Cases whose first delivery the receiver refuses, to see the retry. */
  const refuseOnce = new Set<string>();

  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const json = JSON.parse(body) as Received['json'];
        const refuse = refuseOnce.delete(json.case._id);
        const answered = refuse ? 500 : 200;
        received.push({ headers: req.headers, body, json, answered });
        res.writeHead(answered).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/cxloop`;
    const created = await api(h, 'POST', '/api/webhooks', {
      url,
      events: ['case.opened', 'case.resolved', 'case.closed'],
    });
    expect(created.status).toBe(201);
    hook = created.json as unknown as typeof hook;
  });
  afterAll(async () => {
    // Deleted first: deliveries still being retried then find nothing to deliver.
    if (hook) await api(h, 'DELETE', `/api/webhooks/${hook.id}`);
    await new Promise((resolve) => receiver?.close(resolve));
    await h?.stop();
  });

  const deliveriesFor = (caseId: string, type: string) =>
    received.filter((r) => r.json.case._id === caseId && r.json.type === type);

  it('when a case opens, is resolved and closes, then each event is delivered signed, and a refused delivery is retried', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    refuseOnce.add(invitationId);
    expect((await postForm(link, { nps: '1', went_wrong: 'Broken on arrival' })).status).toBe(200);

    const opened = await waitUntil('case.opened delivered after a refusal', async () => {
      const list = deliveriesFor(invitationId, 'case.opened');
      return list.some((r) => r.answered === 200) ? list : undefined;
    });
    expect(opened.map((r) => r.answered)).toEqual([500, 200]);
    for (const delivery of opened) {
      const timestamp = String(delivery.headers['x-cxloop-timestamp']);
      expect(delivery.headers['x-cxloop-signature']).toBe(webhookSignature(hook.secret, timestamp, delivery.body));
      expect(delivery.headers['x-cxloop-event']).toBe('case.opened');
    }
    expect(opened[0]!.json.id).toBe(opened[1]!.json.id);
    const attempts = await waitUntil('both attempts logged', async () => {
      const list = await c.webhookAttempts(h.db).find({ caseId: invitationId }).sort({ attempt: 1 }).toArray();
      return list.length >= 2 ? list : undefined;
    });
    expect(attempts.map((a) => [a.attempt, a.ok, a.status])).toEqual([
      [1, false, 500],
      [2, true, 200],
    ]);

    await waitUntil('the case to be ready', () =>
      c.emails(h.db).findOne({ _id: `case:${invitationId}:assigned-0`, status: 'sent' }),
    );
    const resolve = await api(h, 'POST', `/api/cases/${encodeURIComponent(invitationId)}/resolve`, {
      rootCause: 'Other',
      customerMessage: 'Replaced.',
    });
    expect(resolve.status).toBe(200);
    const [resolved] = await waitUntil('case.resolved delivered', async () => {
      const list = deliveriesFor(invitationId, 'case.resolved');
      return list.length ? list : undefined;
    });
    expect(resolved!.json.case.status).toBe('resolved');

    const survey = await waitUntil('the follow-up survey', async () =>
      (await mailTo(h, customer.email)).find((m) => m.subject === 'Is your problem solved?'),
    );
    expect((await postForm(surveyLinkIn(survey.text), { solved: 'yes', csat: '5' })).status).toBe(200);
    await waitUntil('case.closed delivered', async () => deliveriesFor(invitationId, 'case.closed').length > 0);
    // Not subscribed to escalations or reopenings: nothing else was sent for this case.
    expect(new Set(received.filter((r) => r.json.case._id === invitationId).map((r) => r.json.type))).toEqual(
      new Set(['case.opened', 'case.resolved', 'case.closed']),
    );

    // Admins see the deliveries, never the secret.
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const page = await (await admin.get('/admin/webhooks')).text();
    expect(page).toContain(url);
    expect(page).toContain(invitationId);
    expect(page).not.toContain(hook.secret);
    const listed = await api(h, 'GET', '/api/webhooks');
    expect(JSON.stringify(listed.json)).not.toContain(hook.secret);
  });

  it('when a webhook is badly defined, then it is refused with the reason', async () => {
    const bad = await api(h, 'POST', '/api/webhooks', { url: 'ftp://example.com/x', events: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('url');
    expect(bad.json.error).toContain('events');
    expect((await api(h, 'DELETE', '/api/webhooks/nope')).status).toBe(404);
  });
});
