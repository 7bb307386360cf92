import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { signIn } from '../support/admin';
import {
  ADMIN,
  type Harness,
  api,
  createProgram,
  eventFor,
  mailTo,
  startHarness,
  triggerOf,
  uid,
  waitUntil,
} from '../support/harness';

/** The customer loop applies the contact rules to real events and records every decision. */
describe('contact rules in the customer loop', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  const newCustomer = (extra: Record<string, unknown> = {}) => ({
    id: uid('cust'),
    email: `${uid('c')}@example.com`,
    ...extra,
  });

  async function post(programId: string, customer: { id: string; email: string }, occurredAt = new Date()) {
    const event = {
      ...eventFor({ trigger: await triggerOf(h, programId) }, customer),
      occurredAt: occurredAt.toISOString(),
    };
    const res = await api(h, 'POST', '/api/events', event);
    expect(res.status).toBe(202);
    return event;
  }

  async function decisionFor(programId: string, eventId: string) {
    return waitUntil('the contact decision', () =>
      c.contactDecisions(h.db).findOne({ _id: `${eventId}|${programId}` }),
    );
  }

  it('when the same customer transacts twice within the minimum interval, then the second survey is skipped with the reason', async () => {
    const programId = await createProgram(h, {
      contactRules: { minIntervalSameProgram: '1h', minIntervalAnyProgram: '0s' },
    });
    const customer = newCustomer();
    const first = await post(programId, customer);
    expect((await decisionFor(programId, first.id)).action).toBe('send');
    const second = await post(programId, customer);
    const decision = await decisionFor(programId, second.id);
    expect(decision).toMatchObject({ action: 'skip', rule: 'min_interval_program' });
    expect(decision.reason).toMatch(/minimum 1 hour/);
    // The first survey's invitation, which its own workflow records (possibly after the second
    // decision), and no second one.
    const invitations = await waitUntil("the first survey's invitation", async () => {
      const count = await c.invitations(h.db).countDocuments({ customerId: customer.id });
      return count > 0 ? count : undefined;
    });
    expect(invitations).toBe(1);
  });

  it('when a survey of another program went out recently, then the cross-program interval applies too', async () => {
    const a = await createProgram(h);
    const b = await createProgram(h, { contactRules: { minIntervalAnyProgram: '1h', minIntervalSameProgram: '0s' } });
    const customer = newCustomer();
    const first = await post(a, customer);
    expect((await decisionFor(a, first.id)).action).toBe('send');
    const second = await post(b, customer);
    expect(await decisionFor(b, second.id)).toMatchObject({ action: 'skip', rule: 'min_interval_any' });
  });

  it('when throttled and the program says defer, then the survey is sent at the first allowed moment', async () => {
    const programId = await createProgram(h, {
      contactRules: { minIntervalSameProgram: '3s', minIntervalAnyProgram: '0s', whenThrottled: 'defer' },
    });
    const customer = newCustomer();
    const first = await post(programId, customer);
    const firstDecision = await decisionFor(programId, first.id);
    const second = await post(programId, customer);
    const decision = await decisionFor(programId, second.id);
    expect(decision).toMatchObject({ action: 'defer', rule: 'min_interval_program' });
    expect(decision.sendAt!.getTime()).toBeGreaterThanOrEqual(firstDecision.sendAt!.getTime() + 3000);
    const messages = await waitUntil('both emails', async () => {
      const m = await mailTo(h, customer.email);
      return m.length === 2 ? m : undefined;
    });
    expect(messages[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(decision.sendAt!.getTime());
  });

  it('when the rolling-window cap is reached, then further surveys are skipped', async () => {
    const programId = await createProgram(h, {
      contactRules: {
        minIntervalSameProgram: '0s',
        minIntervalAnyProgram: '0s',
        maxPerWindow: { count: 2, window: '1h' },
      },
    });
    const customer = newCustomer();
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push(await decisionFor(programId, (await post(programId, customer)).id));
    expect(decisions.map((d) => d.action)).toEqual(['send', 'send', 'skip']);
    expect(decisions[2]).toMatchObject({ rule: 'max_per_window' });
  });

  it('when a customer is a frequent transactor, then they are not surveyed after every transaction', async () => {
    const programId = await createProgram(h, {
      contactRules: {
        minIntervalSameProgram: '0s',
        minIntervalAnyProgram: '0s',
        maxPerWindow: { count: 100, window: '1h' },
        frequentTransactor: { maxTransactions: 2, window: '1h' },
      },
    });
    const customer = newCustomer();
    const actions = [];
    for (let i = 0; i < 4; i++)
      actions.push((await decisionFor(programId, (await post(programId, customer)).id)).action);
    expect(actions.slice(0, 2)).toEqual(['send', 'send']);
    expect(actions.slice(2)).toEqual(['skip', 'skip']);
    const last = await c
      .contactDecisions(h.db)
      .find({ customerId: customer.id })
      .sort({ decidedAt: -1 })
      .limit(1)
      .next();
    expect(last).toMatchObject({ rule: 'frequent_transactor' });
  });

  it('when it is quiet hours in the customer’s timezone, then the send is deferred to their end, not dropped', async () => {
    const now = new Date();
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    // A quiet window around "now" in UTC that ends within two hours.
    const quietHours = {
      start: hhmm(new Date(now.getTime() - 3_600_000)),
      end: hhmm(new Date(now.getTime() + 3_600_000)),
    };
    const programId = await createProgram(h, {
      contactRules: { minIntervalSameProgram: '0s', minIntervalAnyProgram: '0s', quietHours },
    });
    const customer = newCustomer({ timezone: 'UTC' });
    const event = await post(programId, customer);
    const decision = await decisionFor(programId, event.id);
    expect(decision).toMatchObject({ action: 'defer', rule: 'quiet_hours' });
    expect(hhmm(decision.sendAt!)).toBe(quietHours.end);
    expect(decision.invitationId).toBe(`${programId}:${event.id}`);
    expect(await mailTo(h, customer.email)).toHaveLength(0);
  });

  it('when the customer has unsubscribed, then they are never contacted', async () => {
    const programId = await createProgram(h);
    const customer = newCustomer();
    await api(h, 'PUT', `/api/customers/${customer.id}`, { email: customer.email });
    await c.customers(h.db).updateOne({ _id: customer.id }, { $set: { unsubscribed: true } });
    const event = await post(programId, customer);
    expect(await decisionFor(programId, event.id)).toMatchObject({ action: 'skip', rule: 'unsubscribed' });
  });

  it('when the customer has an open case, of any program, then no new survey is sent', async () => {
    const programId = await createProgram(h);
    const caseProgramId = await createProgram(h, {
      caseRules: [{ when: { metric: 'nps', op: 'lte', value: 6 }, priority: 'normal', reason: 'Detractor' }],
    });
    const customer = newCustomer();
    // What a reply opening a case holds (activities/cases.ts): the customer's claim for that program.
    await c
      .openCases(h.db)
      .insertOne({ _id: c.openCaseKey(caseProgramId, customer.id), caseId: uid('case'), at: new Date() });
    const event = await post(programId, customer);
    expect(await decisionFor(programId, event.id)).toMatchObject({ action: 'skip', rule: 'open_case' });
  });

  it('when the event is outside the program’s audience or of another type, then no decision is made', async () => {
    const programId = await createProgram(h, { audience: { region: ['EU'] } });
    const outside = newCustomer({ attributes: { region: 'NA' } });
    const inside = newCustomer({ attributes: { region: 'EU' } });
    const skipped = await post(programId, outside);
    const chosen = await post(programId, inside);
    await decisionFor(programId, chosen.id);
    await waitUntil(
      'the event to be processed',
      async () => (await c.events(h.db).findOne({ _id: skipped.id }))?.processedAt,
    );
    expect(await c.contactDecisions(h.db).findOne({ eventId: skipped.id })).toBeNull();
  });

  it('when decisions are made, then the customer’s admin page shows each with its reason', async () => {
    const programId = await createProgram(h, {
      contactRules: { minIntervalSameProgram: '1h', minIntervalAnyProgram: '0s' },
    });
    const customer = newCustomer();
    await decisionFor(programId, (await post(programId, customer)).id);
    await decisionFor(programId, (await post(programId, customer)).id);
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const page = await admin.get(`/admin/customers/${customer.id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/class="tag send">send</);
    expect(html).toMatch(/class="tag skip">skip</);
    expect(html).toMatch(/minimum 1 hour/);
  });
});
