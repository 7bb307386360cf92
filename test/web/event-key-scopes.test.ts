import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiKey } from '../../src/bootstrap';
import * as c from '../../src/db/collections';
import { type Harness, api, startHarness, uid, waitUntil } from '../support/harness';

/** Events no program triggers on: their loop applies the customer block and surveys nobody. */
const TYPE = 'scope.check';

describe('what an events:write key may do to a customer', () => {
  let h: Harness;
  const eventsKey = `pos-key-${uid('k')}`;
  const writeKey = `crm-key-${uid('k')}`;

  beforeAll(async () => {
    h = await startHarness();
    await ensureApiKey(h.db, eventsKey, 'point of sale', ['events:write']);
    await ensureApiKey(h.db, writeKey, 'crm', ['events:write', 'write']);
  });
  afterAll(() => h?.stop());

  const asKey = (key: string) => ({ authorization: `Bearer ${key}` });
  const event = (customer: Record<string, unknown>) => ({
    id: uid('evt'),
    type: TYPE,
    occurredAt: new Date().toISOString(),
    customer,
  });
  /** The customer record once their loop has taken the event. */
  const afterLoopTook = async (eventId: string, customerId: string) => {
    await waitUntil(`event ${eventId} to be processed`, async () =>
      (await c.events(h.db).findOne({ _id: eventId }))?.processedAt ? true : undefined,
    );
    return (await c.customers(h.db).findOne({ _id: customerId }))!;
  };
  async function existingCustomer() {
    const id = uid('cust');
    const created = event({ id, email: `${id}@example.com`, name: 'Ada Original', attributes: { region: 'EU' } });
    expect((await api(h, 'POST', '/api/events', created)).status).toBe(202);
    await afterLoopTook(created.id, id);
    return id;
  }

  it('when an events key sends a new customer, then the customer is created with their email and name', async () => {
    const id = uid('cust');
    const sent = event({ id, email: `${id}@example.com`, name: 'New Person', attributes: { store: 'Berlin' } });
    const res = await api(h, 'POST', '/api/events', sent, asKey(eventsKey));
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ eventId: sent.id, status: 'accepted' });
    const customer = await afterLoopTook(sent.id, id);
    expect(customer).toMatchObject({ email: `${id}@example.com`, name: 'New Person', attributes: { store: 'Berlin' } });
  });

  it("when an events key changes an existing customer's email and name, then they are kept, attributes are added, and the answer says what was ignored", async () => {
    const id = await existingCustomer();
    const sent = event({
      id,
      email: 'attacker@evil.example',
      name: 'Someone Else',
      locale: 'de',
      attributes: { store: 'Hamburg' },
    });
    const res = await api(h, 'POST', '/api/events', sent, asKey(eventsKey));
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      eventId: sent.id,
      status: 'accepted',
      ignored: ['customer.email', 'customer.name'],
      reason: expect.stringMatching(/write scope/),
    });
    const customer = await afterLoopTook(sent.id, id);
    expect(customer).toMatchObject({
      email: `${id}@example.com`,
      name: 'Ada Original',
      locale: 'de',
      attributes: { region: 'EU', store: 'Hamburg' },
    });
  });

  it('when an events key sends a batch, then each event says what it ignored', async () => {
    const [kept, moved] = [await existingCustomer(), await existingCustomer()];
    const unchanged = event({ id: kept, email: `${kept}@example.com`, attributes: { visits: 2 } });
    const redirect = event({ id: moved, email: 'attacker@evil.example' });
    const res = await api(h, 'POST', '/api/events:batch', { events: [unchanged, redirect] }, asKey(eventsKey));
    expect(res.status).toBe(202);
    expect(res.json.results).toEqual([
      { eventId: unchanged.id, status: 'accepted' },
      { eventId: redirect.id, status: 'accepted', ignored: ['customer.email'], reason: expect.any(String) },
    ]);
    expect((await afterLoopTook(unchanged.id, kept)).attributes).toMatchObject({ visits: 2 });
    expect((await afterLoopTook(redirect.id, moved)).email).toBe(`${moved}@example.com`);
  });

  it("when a key with the write scope changes a customer's email and name, then they change", async () => {
    const id = await existingCustomer();
    const sent = event({ id, email: `moved-${id}@example.com`, name: 'Ada Married' });
    const res = await api(h, 'POST', '/api/events', sent, asKey(writeKey));
    expect(res.json).toEqual({ eventId: sent.id, status: 'accepted' });
    const customer = await afterLoopTook(sent.id, id);
    expect(customer).toMatchObject({ email: `moved-${id}@example.com`, name: 'Ada Married' });
  });
});
