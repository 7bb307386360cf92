import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, api, startHarness, uid } from '../support/harness';

const validProgram = {
  name: 'After delivery',
  kind: 'transactional',
  triggers: ['delivery'],
  reminders: ['3d', '7d'],
  expiresAfter: '14d',
  survey: { questions: [{ id: 'nps', type: 'nps', required: true, label: { en: 'Recommend us?', de: 'Empfehlen?' } }] },
  email: { subject: { en: 'How was the delivery?' }, intro: 'Thanks for your order.' },
};

describe('programs and customers API', () => {
  let h: Harness;

  beforeAll(async () => {
    // With a worker: customer records are written by the customers' loops.
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('when a valid program is put, then it is created with defaults and can be read back', async () => {
    const id = uid('delivery');
    const created = await api(h, 'PUT', `/api/programs/${id}`, validProgram);
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      _id: id,
      id,
      delay: '0s',
      contactRules: { minIntervalAnyProgram: '14d', whenThrottled: 'skip' },
      survey: { editGrace: '15m' },
    });
    const updated = await api(h, 'PUT', `/api/programs/${id}`, { ...validProgram, name: 'Renamed' });
    expect(updated.status).toBe(200);
    expect((await api(h, 'GET', `/api/programs/${id}`)).json.name).toBe('Renamed');
    const list = await api(h, 'GET', '/api/programs');
    expect((list.json.items as { id: string }[]).some((p) => p.id === id)).toBe(true);
  });

  it.each([
    ['a bad kind', { kind: 'weekly' }, /kind/],
    ['a transactional program without triggers', { triggers: [] }, /at least one trigger/],
    ['a bad duration', { reminders: ['three days'] }, /reminders.0: a duration such as/],
    [
      'a follow-up on a later question',
      {
        survey: {
          questions: [
            { id: 'why', type: 'text', label: 'Why?', showIf: { question: 'nps' } },
            { id: 'nps', type: 'nps', label: 'NPS' },
          ],
        },
      },
      /showIf must refer to an earlier question/,
    ],
    [
      'a choice without options',
      { survey: { questions: [{ id: 'pick', type: 'single', label: 'Pick' }] } },
      /choice questions need options/,
    ],
    [
      'duplicate question ids',
      {
        survey: {
          questions: [
            { id: 'a', type: 'text', label: 'A' },
            { id: 'a', type: 'text', label: 'B' },
          ],
        },
      },
      /duplicate question id a/,
    ],
    ['bad quiet hours', { contactRules: { quietHours: { start: '9pm', end: '08:00' } } }, /quietHours.start/],
  ])('when a program has %s, then 400 names the problem', async (_name, override, message) => {
    const res = await api(h, 'PUT', `/api/programs/${uid('bad')}`, { ...validProgram, ...override });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(message);
  });

  it('when a program id is malformed, then 400', async () => {
    const res = await api(h, 'PUT', '/api/programs/Not%20Valid', validProgram);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/^invalid program: id:/);
  });

  it('when an unknown program is read, then 404', async () => {
    expect((await api(h, 'GET', `/api/programs/${uid('none')}`)).status).toBe(404);
  });

  it('when a customer is put twice, then attributes merge and the customer can be read with its history', async () => {
    const id = uid('cust');
    const first = await api(h, 'PUT', `/api/customers/${id}`, { email: 'a@example.com', attributes: { region: 'EU' } });
    expect(first.status).toBe(200);
    const second = await api(h, 'PUT', `/api/customers/${id}`, {
      email: 'a@example.com',
      locale: 'de',
      attributes: { product: 'router' },
    });
    expect(second.json).toMatchObject({
      _id: id,
      locale: 'de',
      attributes: { region: 'EU', product: 'router' },
      unsubscribed: false,
    });
    const read = await api(h, 'GET', `/api/customers/${id}`);
    expect(read.json).toMatchObject({
      customer: { _id: id },
      summary: null,
      decisions: [],
      invitations: [],
      responses: [],
    });
  });

  it('when a customer has a bad email or locale, then 400 names the field', async () => {
    const res = await api(h, 'PUT', `/api/customers/${uid('cust')}`, { email: 'nope', locale: 'english' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/email: a valid email address/);
    expect(res.json.error).toMatch(/locale: a locale such as en/);
  });

  it('when lists are paged beyond the limit, then 400 names the parameter', async () => {
    const res = await api(h, 'GET', '/api/customers?limit=100000&offset=0');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/limit: limit must be at most 200/);
    expect((await api(h, 'GET', '/api/customers?limit=200')).json.limit).toBe(200);
    expect((await api(h, 'GET', '/api/invitations?limit=-1')).status).toBe(400);
  });
});
