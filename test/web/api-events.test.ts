import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import {
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

describe('POST /api/events', () => {
  let h: Harness;
  let trigger: string;

  beforeAll(async () => {
    h = await startHarness({ env: { METRICS_TOKEN: 'events-test-metrics-token' } });
    trigger = await triggerOf(h, await createProgram(h));
  });
  afterAll(() => h?.stop());

  const customer = () => ({ id: uid('cust'), email: `${uid('c')}@example.com` });

  it('when no API key is sent, then 401 says how to authenticate', async () => {
    const res = await fetch(`${h.baseUrl}/api/events`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/Authorization: Bearer/);
  });

  it('when the API key is unknown, then 401', async () => {
    const res = await api(h, 'POST', '/api/events', {}, { authorization: 'Bearer nope-nope-nope' });
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('unknown, revoked or expired API key');
  });

  it('when the body is not JSON, then 400 says so', async () => {
    const res = await api(h, 'POST', '/api/events', '{"id": ');
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('the request body is not valid JSON');
  });

  it.each([
    ['id', { id: undefined }, /id: /],
    ['type', { type: 'Not A Type!' }, /type: a lower-case event type/],
    ['occurredAt', { occurredAt: 'yesterday' }, /occurredAt: an ISO 8601 date-time/],
    [
      'future occurredAt',
      { occurredAt: new Date(Date.now() + 86_400_000).toISOString() },
      /occurredAt: must not be in the future/,
    ],
    ['customer email', { customer: { id: 'x', email: 'not-an-email' } }, /customer.email: a valid email address/],
    [
      'customer timezone',
      { customer: { id: 'x', email: 'a@b.co', timezone: 'Mars/Olympus' } },
      /customer.timezone: an IANA time zone/,
    ],
    ['unknown field', { surprise: true }, /Unrecognized key/i],
    ['attribute name', { data: { 'bad.key': 1 } }, /data.bad.key: attribute names/],
  ])('when %s is invalid, then 400 names the field', async (_name, override, message) => {
    const res = await api(h, 'POST', '/api/events', { ...eventFor({ trigger }, customer()), ...override });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(message);
  });

  it('when the same event is posted twice, then the second is a duplicate and only one invitation is sent', async () => {
    const who = customer();
    const event = eventFor({ trigger }, who);
    const [first, second] = await Promise.all([
      api(h, 'POST', '/api/events', event),
      api(h, 'POST', '/api/events', event),
    ]);
    expect([first.json.status, second.json.status].sort()).toEqual(['accepted', 'duplicate']);
    const third = await api(h, 'POST', '/api/events', event);
    expect(third.status).toBe(202);
    expect(third.json).toEqual({ eventId: event.id, status: 'duplicate' });

    await waitUntil('the invitation email', async () => (await mailTo(h, who.email)).length > 0);
    await waitUntil(
      'the event to be processed',
      async () => (await c.events(h.db).findOne({ _id: event.id }))?.processedAt,
    );
    // The loop has taken all three posts once the event is processed; a second invitation would
    // exist by now, and a second email would show once the first invitation's workflow ends.
    const invitation = await waitUntil('the invitation', () => c.invitations(h.db).findOne({ eventId: event.id }));
    await waitUntil(
      'the invitation to be sent',
      async () => (await c.invitations(h.db).findOne({ _id: invitation._id }))?.status === 'sent',
    );
    expect(await c.invitations(h.db).countDocuments({ eventId: event.id })).toBe(1);
    expect(await mailTo(h, who.email)).toHaveLength(1);
  });

  it('when a batch is posted, then each event gets its own status', async () => {
    const a = eventFor({ trigger }, customer());
    const b = eventFor({ trigger }, customer());
    const res = await api(h, 'POST', '/api/events:batch', { events: [a, b, a] });
    expect(res.status).toBe(202);
    expect(res.json.results).toEqual([
      { eventId: a.id, status: 'accepted' },
      { eventId: b.id, status: 'accepted' },
      { eventId: a.id, status: 'duplicate' },
    ]);
  });

  it('when one event of a batch is invalid, then 400 names its index and none is stored', async () => {
    const good = eventFor({ trigger }, customer());
    const res = await api(h, 'POST', '/api/events:batch', { events: [good, { id: 'x' }] });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/1 event\(s\) are invalid/);
    expect(res.json.details).toEqual([expect.objectContaining({ index: 1 })]);
    expect(await c.events(h.db).findOne({ _id: good.id })).toBeNull();
  });

  it('when a batch has more than 1,000 events, then 400', async () => {
    const res = await api(h, 'POST', '/api/events:batch', { events: Array.from({ length: 1001 }, () => ({})) });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/at most 1000 events/);
  });

  it('when the body is larger than the API accepts, then 413 says so', async () => {
    const res = await api(h, 'POST', '/api/events', { id: 'x'.repeat(6 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json.error).toBe('the request body is too large');
  });

  it('when the OpenAPI document is requested, then it lists the event endpoints', async () => {
    const res = await api(h, 'GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.json.paths as object)).toEqual(expect.arrayContaining(['/api/events', '/api/events:batch']));
  });

  it('when an unknown API route is called, then 404 in JSON', async () => {
    const res = await api(h, 'GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json.error).toMatch(/no route/);
  });

  it('when the service endpoints are probed, then they answer', async () => {
    expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { mongodb: 'ok', temporal: 'ok' } });
    const metrics = await fetch(`${h.baseUrl}/metrics`, {
      headers: { authorization: 'Bearer events-test-metrics-token' },
    });
    expect(await metrics.text()).toMatch(/cxloop_events_total\{status="accepted"\} [1-9]/);
  });
});
