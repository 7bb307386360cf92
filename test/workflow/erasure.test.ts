import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { isCounted } from '../../src/db/counted-keys';
import { createUser, signIn } from '../support/admin';
import { connectTemporalClient } from '../../src/temporal/connection';
import { invitationWorkflowId } from '../../workflows/definitions';
import {
  ADMIN,
  type Harness,
  api,
  createProgram,
  eventFor,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  triggerOf,
  waitUntil,
  workflowEnded,
} from '../support/harness';

describe('customer erasure', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('removes personal data, cancels running invitations, keeps the scores anonymously and never contacts the customer again', async () => {
    const answered = await createProgram(h);
    const later = await createProgram(h, { delay: '1h' });
    const { customer, event, link, invitationId } = await inviteNewCustomer(h, answered, {
      customer: { attributes: { region: 'EU' } },
    });
    expect((await postForm(link, { nps: '3', went_wrong: 'Late again, call me on 555 1234' })).status).toBe(200);
    // Counted in every rollup of the program (its segments' documents are written one by one).
    const rollups = await waitUntil('the reply to be counted', async () => {
      const docs = await c.rollups(h.db).find({ programId: answered }).sort({ _id: 1 }).toArray();
      const counted = await Promise.all(docs.map((doc) => isCounted(h.db, 'rollups', doc, invitationId)));
      return docs.length > 0 && counted.every(Boolean) ? docs : undefined;
    });
    await workflowEnded(h, invitationWorkflowId(invitationId));
    const pendingEvent = eventFor({ trigger: await triggerOf(h, later) }, customer);
    expect((await api(h, 'POST', '/api/events', pendingEvent)).status).toBe(202);
    const decision = await waitUntil('the deferred survey to be decided', () =>
      c.contactDecisions(h.db).findOne({ eventId: pendingEvent.id, invitationId: { $exists: true } }),
    );

    const erased = await api(h, 'DELETE', `/api/customers/${customer.id}`);
    expect(erased.status, erased.text).toBe(200);
    expect(erased.json).toMatchObject({
      id: customer.id,
      erased: true,
      invitationsCancelled: 1,
      repliesCleared: 1,
      eventsCleared: 2,
    });
    expect(erased.json.outboxEmailsRemoved).toBeGreaterThanOrEqual(1);

    const record = await c.customers(h.db).findOne({ _id: customer.id });
    expect(record).toMatchObject({ email: '', attributes: {}, unsubscribed: true });
    expect(record?.name).toBeUndefined();
    expect(record?.erasedAt).toBeInstanceOf(Date);
    const reply = await c.responses(h.db).findOne({ _id: invitationId });
    expect(reply?.answers).toEqual({ nps: 3 });
    expect(reply?.scores).toMatchObject({ nps: 3, verbatim: '' });
    expect(await c.rollups(h.db).find({ programId: answered }).sort({ _id: 1 }).toArray()).toEqual(rollups);
    expect(await mailTo(h, customer.email)).toEqual([]);
    const stored = await c.events(h.db).find({ customerId: customer.id }).toArray();
    expect(stored.map((e) => [e.customer, e.data])).toEqual([
      [undefined, {}],
      [undefined, {}],
    ]);
    expect(await c.invitations(h.db).countDocuments({ customerId: customer.id, email: { $ne: '' } })).toBe(0);
    const temporal = await connectTemporalClient({ address: h.temporalAddress, namespace: 'default' });
    try {
      const cancelled = await temporal.workflow.getHandle(invitationWorkflowId(decision.invitationId!)).describe();
      expect(cancelled.status.name).toBe('TERMINATED');
    } finally {
      await temporal.connection.close();
    }
    expect(await c.auditLog(h.db).findOne({ action: 'customer.erase', subject: customer.id })).toMatchObject({
      after: { repliesCleared: 1 },
    });

    // Never contacted again and never recreated: not by a new event, a re-sent one or a profile update.
    const again = await api(h, 'POST', '/api/events', eventFor({ trigger: await triggerOf(h, answered) }, customer));
    expect(again.json.status).toBe('erased');
    expect(await c.events(h.db).countDocuments({ customerId: customer.id })).toBe(2);
    expect((await api(h, 'POST', '/api/events', event)).json.status).toBe('erased');
    const put = await api(h, 'PUT', `/api/customers/${customer.id}`, { email: customer.email });
    expect(put.status).toBe(410);
    expect(put.json.error).toMatch(/erased/);
    expect((await c.customers(h.db).findOne({ _id: customer.id }))?.email).toBe('');

    // Asking twice is harmless.
    const twice = await api(h, 'DELETE', `/api/customers/${customer.id}`);
    expect(twice.json).toMatchObject({ erased: true, invitationsCancelled: 0, outboxEmailsRemoved: 0 });
  });

  it('refuses an unknown customer with 404 and a malformed ID with 400', async () => {
    expect((await api(h, 'DELETE', '/api/customers/nobody-at-all')).status).toBe(404);
    const bad = await api(h, 'DELETE', `/api/customers/${'x'.repeat(300)}`);
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/customer id/);
  });

  it('an admin erases a customer from their page by typing the ID; other roles cannot', async () => {
    const programId = await createProgram(h);
    const { customer } = await inviteNewCustomer(h, programId);
    const operations = await signIn(
      h.baseUrl,
      ...(Object.values(await createUser(h.db, 'operations')) as [string, string]),
    );
    const page = await operations.get(`/admin/customers/${customer.id}`);
    expect(await page.text()).not.toContain('Erase customer');
    expect((await operations.post(`/admin/customers/${customer.id}/erase`, { confirm: customer.id })).status).toBe(403);

    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    expect(await (await admin.get(`/admin/customers/${customer.id}`)).text()).toContain('Erase customer');
    const typo = await admin.post(`/admin/customers/${customer.id}/erase`, { confirm: 'someone else' });
    expect(typo.status).toBe(400);
    expect(await typo.text()).toContain('type their ID exactly');
    expect((await c.customers(h.db).findOne({ _id: customer.id }))?.email).toBe(customer.email);

    const done = await admin.post(`/admin/customers/${customer.id}/erase`, { confirm: customer.id });
    expect(done.status).toBe(303);
    const after = await (await admin.get(done.headers.get('location')!)).text();
    expect(after).toContain('erased');
    expect(after).not.toContain(customer.email);
    expect(after).not.toContain('Erase customer');
    expect(await c.auditLog(h.db).findOne({ action: 'customer.erase', subject: customer.id })).toMatchObject({
      actor: ADMIN.email,
    });
  });
});
