import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import {
  type Harness,
  api,
  createProgram,
  eventFor,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  triggerOf,
  uid,
  waitUntil,
} from '../support/harness';

describe('the first slice: event → invitation email → reply → scored', () => {
  let h: Harness;
  let programId: string;
  let trigger: string;

  beforeAll(async () => {
    h = await startHarness();
    programId = await createProgram(h);
    trigger = await triggerOf(h, programId);
  });
  afterAll(() => h?.stop());

  it('when a transaction is posted, then the customer gets an email whose link answers the survey and completes the workflow', async () => {
    const customer = { id: uid('cust'), email: `${uid('ada')}@example.com` };
    const event = eventFor({ trigger }, customer);
    const accepted = await api(h, 'POST', '/api/events', event);
    expect(accepted.status).toBe(202);
    expect(accepted.json).toEqual({ eventId: event.id, status: 'accepted' });

    const [mail] = await waitUntil('the invitation email', async () => {
      const messages = await mailTo(h, customer.email);
      return messages.length ? messages : undefined;
    });
    expect(mail!.subject).toBe('How did we do?');
    const link = surveyLinkIn(mail!.text);
    expect(link.startsWith(h.baseUrl)).toBe(true);

    const page = await fetch(link);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('How likely are you to recommend us?');
    expect(html).toMatch(/type="radio" name="nps" value="10"/);

    // A promoter is asked what went well next; leaving it blank completes the reply.
    const invitationId = `${programId}:${event.id}`;
    const first = await postForm(link, { nps: '10' });
    expect(await first.text()).toContain('What went well?');
    const reply = await postForm(link, { nps: '10' });
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain('Thank you for your answers');
    const stored = await c.responses(h.db).findOne({ _id: invitationId });
    expect(stored?.answers).toEqual({ nps: 10 });

    const scored = await waitUntil('the reply to be scored', async () => {
      const r = await c.responses(h.db).findOne({ _id: invitationId });
      return r?.scores ? r : undefined;
    });
    expect(scored.scores?.npsCategory).toBe('promoter');
    const invitation = await c.invitations(h.db).findOne({ _id: invitationId });
    expect(invitation?.status).toBe('answered');
  });
});
