import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { findCustomer } from '../../src/db/customers';
import {
  type Harness,
  api,
  createProgram,
  eventFor,
  inviteNewCustomer,
  postForm,
  startHarness,
  triggerOf,
  waitUntil,
} from '../support/harness';

describe('the survey page', () => {
  let h: Harness;
  let programId: string;
  let graceProgramId: string;

  beforeAll(async () => {
    h = await startHarness();
    programId = await createProgram(h, {
      survey: {
        editGrace: '0s',
        questions: [
          { id: 'nps', type: 'nps', required: true, label: 'How likely are you to recommend us?' },
          {
            id: 'went_wrong',
            type: 'text',
            required: true,
            label: 'What went wrong?',
            showIf: { question: 'nps', npsCategory: ['detractor'] },
          },
          {
            id: 'went_well',
            type: 'text',
            label: 'What went well?',
            showIf: { question: 'nps', npsCategory: ['promoter'] },
          },
          {
            id: 'channel',
            type: 'single',
            label: 'How did you buy?',
            options: [
              { value: 'web', label: 'Online' },
              { value: 'store', label: 'In a store' },
            ],
          },
          {
            id: 'store',
            type: 'single',
            label: 'Which store?',
            knownAs: 'store',
            options: [
              { value: 'berlin', label: 'Berlin' },
              { value: 'paris', label: 'Paris' },
            ],
          },
          { id: 'csat', type: 'csat', label: 'How satisfied are you overall?' },
          { id: 'ces', type: 'ces', label: 'How easy was it?' },
          { id: 'stars', type: 'rating', label: 'Rate the packaging', scale: { min: 1, max: 3 } },
          {
            id: 'liked',
            type: 'multiple',
            label: 'What did you like?',
            options: [
              { value: 'price', label: 'Price' },
              { value: 'speed', label: 'Speed' },
            ],
          },
        ],
      },
    });
    graceProgramId = await createProgram(h, {
      survey: { editGrace: '1h', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
    });
  });
  afterAll(() => h?.stop());

  it('when the token is unknown or tampered with, then a friendly 404 page', async () => {
    const { link } = await inviteNewCustomer(h, programId);
    for (const url of [
      `${h.baseUrl}/s/unknown-token-that-does-not-exist`,
      `${link.slice(0, -2)}xx`,
      `${h.baseUrl}/s/%3Cscript%3E`,
    ]) {
      const res = await fetch(url);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('This survey link is not valid');
    }
  });

  it('when the page is opened, then every question type renders with labels, the why line and progress, and known answers are not asked', async () => {
    const { link } = await inviteNewCustomer(h, programId, { data: { store: 'berlin' } });
    const html = await (await fetch(link)).text();
    expect(html).toContain('How likely are you to recommend us?');
    expect(html).toContain('How did you buy?');
    expect(html).not.toContain('Which store?');
    expect(html).not.toContain('What went wrong?');
    expect(html).toMatch(/name="csat" value="5"/);
    expect(html).toMatch(/name="ces" value="7"/);
    expect(html).toMatch(/name="stars" value="3"/);
    expect(html).not.toMatch(/name="stars" value="4"/);
    expect(html).toMatch(/type="checkbox" name="liked" value="speed"/);
    expect(html).toContain('we will let you know what we do');
    expect(html).toMatch(/<progress[^>]+value="0"/);
    expect(html).toMatch(/<meta name="viewport"/);
  });

  it('when a detractor submits, then the follow-up "what went wrong" is asked next, and required only once shown', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, programId, { data: { store: 'paris' } });
    const first = await postForm(link, { nps: '3', channel: 'web' });
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(html).toContain('What went wrong?');
    expect(html).not.toContain('What went well?');
    expect(html).toContain('just one more step');

    const missing = await postForm(link, {
      nps: '3',
      channel: 'web',
      went_wrong: '  ',
    });
    expect(missing.status).toBe(422);
    expect(await missing.text()).toMatch(/id="err-went_wrong">[^<]+</);

    const done = await postForm(link, {
      nps: '3',
      channel: 'web',
      went_wrong: 'Delivery was late and staff rude',
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Thank you for your answers');
    const reply = await waitUntil('the reply to be scored', async () => {
      const r = await c.responses(h.db).findOne({ _id: invitationId });
      return r?.scores ? r : undefined;
    });
    expect(reply.answers).toMatchObject({
      nps: 3,
      channel: 'web',
      store: 'paris',
      went_wrong: 'Delivery was late and staff rude',
    });
    expect(reply.scores).toMatchObject({
      nps: 3,
      npsCategory: 'detractor',
      themes: ['delivery', 'staff'],
      sentiment: 'negative',
    });
  });

  it('when a promoter answers, then "what went well" is asked instead', async () => {
    const { link } = await inviteNewCustomer(h, programId);
    const html = await (await postForm(link, { nps: '9' })).text();
    expect(html).toContain('What went well?');
    expect(html).not.toContain('What went wrong?');
  });

  it('when answers are invalid, then the errors are shown next to their fields with 422', async () => {
    const { link } = await inviteNewCustomer(h, programId);
    const res = await postForm(link, { nps: '11', channel: 'by-pigeon', csat: '0' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toMatch(/id="err-nps">[^<]*0 to 10/);
    expect(html).toMatch(/id="err-channel">/);
    expect(html).toMatch(/id="err-csat">/);
    expect(html).toMatch(/role="alert"/);
  });

  it('when a mail scanner fetches every score link (GET and HEAD, no cookies, no script), then nothing is recorded', async () => {
    const { link, invitationId, mail } = await inviteNewCustomer(h, graceProgramId);
    const links = [...new Set(mail.text.match(/https?:\/\/\S+\?score=\d+/g) ?? [])];
    expect(links).toHaveLength(11);
    for (const url of links) {
      for (const method of ['GET', 'HEAD']) {
        const res = await fetch(url, { method });
        expect(res.status, `${method} ${url}`).toBe(200);
        await res.arrayBuffer();
      }
    }
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toBeNull();
    expect((await c.invitations(h.db).findOne({ _id: invitationId }))?.status).toBe('sent');
    // the link still works for the customer afterwards
    expect(await (await fetch(link)).text()).not.toContain('You have already answered');
  });

  it('when the score in the email is clicked, then the page shows it selected and says how to record it', async () => {
    const { link, invitationId, mail } = await inviteNewCustomer(h, graceProgramId);
    expect(mail.text).toContain(`${link}?score=7`);
    const res = await fetch(`${link}?score=7`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/name="nps" value="7" checked/);
    expect(html).toContain('data-one-click');
    expect(html).toContain('Your score of 7 is selected. Press “Send my answers” to record it.');
    expect(html).toContain('<script src="/assets/survey.js"></script>');
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toBeNull();

    // what the page's script sends on the person's first action: the form as shown plus the one-click marker
    const posted = await postForm(link, { nps: '7', _oneclick: '1' });
    expect(posted.status).toBe(200);
    expect(await posted.text()).toContain('your score of 7 is recorded');
    expect((await c.responses(h.db).findOne({ _id: invitationId }))?.answers).toEqual({ nps: 7 });
    const script = await fetch(`${h.baseUrl}/assets/survey.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const source = await script.text();
    expect(source).toContain('_oneclick');
    expect(source).toContain('isTrusted');
  });

  it('when a client leaves out a required question, then 422 and nothing is stored, whatever it claims was shown', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const attempts: Record<string, string>[] = [
      { channel: 'web' },
      { _shown: '', channel: 'web' },
      { _shown: 'channel', nps: '' },
    ];
    for (const fields of attempts) {
      const res = await postForm(link, fields);
      expect(res.status).toBe(422);
      expect(await res.text()).toMatch(/id="err-nps">/);
    }
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toBeNull();
  });

  it('when the clicked score is out of range, then 400 and nothing is stored', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, graceProgramId);
    const res = await fetch(`${link}?score=42`);
    expect(res.status).toBe(400);
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toBeNull();
  });

  it('when a reply is submitted again within the grace period, then it is edited, not duplicated', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, graceProgramId);
    const first = await postForm(link, { nps: '2' });
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('Edit my answers');
    expect((await postForm(link, { nps: '8' })).status).toBe(200);
    const reply = await c.responses(h.db).findOne({ _id: invitationId });
    expect(reply).toMatchObject({ answers: { nps: 8 }, edits: 1 });
    expect(await c.responses(h.db).countDocuments({ invitationId })).toBe(1);
  });

  it('when the grace period is over, then a second submission is refused with 409', async () => {
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    expect(
      (
        await postForm(link, {
          nps: '10',
          went_well: 'All good',
        })
      ).status,
    ).toBe(200);
    await waitUntil(
      'the reply to be final',
      async () => (await c.responses(h.db).findOne({ _id: invitationId }))?.finalizedAt,
    );
    const again = await postForm(link, { nps: '0' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('You have already answered');
    expect((await fetch(link)).status).toBe(409);
    expect((await c.responses(h.db).findOne({ _id: invitationId }))?.answers.nps).toBe(10);
    // The same answers again — a retry after the first answer's response was lost — are thanked, not refused.
    const retried = await postForm(link, { nps: '10', went_well: 'All good' });
    expect(retried.status).toBe(200);
    const thanks = await retried.text();
    expect(thanks).toContain('Thank you');
    expect(thanks).not.toContain('Edit my answers');
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toMatchObject({ edits: 0, answers: { nps: 10 } });
  });

  it('when the invitation has expired, then 410 and the reply is refused', async () => {
    const shortLived = await createProgram(h, { expiresAfter: '1s' });
    const { link, invitationId } = await inviteNewCustomer(h, shortLived);
    await waitUntil(
      'the invitation to expire',
      async () => (await c.invitations(h.db).findOne({ _id: invitationId }))?.status === 'expired',
    );
    expect((await fetch(link)).status).toBe(410);
    const res = await postForm(link, { nps: '5' });
    expect(res.status).toBe(410);
    expect(await res.text()).toContain('This survey has closed');
    expect(await c.responses(h.db).findOne({ _id: invitationId })).toBeNull();
  });

  it('when the customer unsubscribes, then the email offered it and they get no further surveys', async () => {
    const { mail, customer } = await inviteNewCustomer(h, programId);
    const unsubscribe = /<(http[^>]+\/u\/[^>]+)>/.exec(mail.headers['list-unsubscribe'] ?? '')?.[1];
    expect(unsubscribe).toBeTruthy();
    expect(mail.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(mail.text).toContain(unsubscribe!);
    const page = await fetch(unsubscribe!);
    expect(await page.text()).toContain('Stop survey emails?');
    expect((await findCustomer(h.db, customer.id))?.unsubscribed).toBe(false);
    // The unsubscribe and a profile update from the integration arrive together: the update must not undo it.
    const [done, updated] = await Promise.all([
      postForm(unsubscribe!, { 'List-Unsubscribe': 'One-Click' }),
      api(h, 'PUT', `/api/customers/${customer.id}`, { email: customer.email, attributes: { tier: 'gold' } }),
    ]);
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('You are unsubscribed');
    expect(updated.status).toBe(200);
    expect(await findCustomer(h.db, customer.id)).toMatchObject({ unsubscribed: true, attributes: { tier: 'gold' } });
    expect((await api(h, 'GET', `/api/customers/${customer.id}`)).json).toMatchObject({
      customer: { unsubscribed: true },
    });

    const next = eventFor({ trigger: await triggerOf(h, programId) }, customer);
    expect((await api(h, 'POST', '/api/events', next)).status).toBe(202);
    const decision = await waitUntil('the contact decision', () =>
      c.contactDecisions(h.db).findOne({ _id: `${next.id}|${programId}` }),
    );
    expect(decision).toMatchObject({ action: 'skip', rule: 'unsubscribed' });
  });

  it('when the customer’s locale is German, then the page speaks German, labels and wording alike', async () => {
    const german = await createProgram(h, {
      survey: {
        editGrace: '0s',
        questions: [
          { id: 'nps', type: 'nps', required: true, label: { en: 'Recommend us?', de: 'Empfehlen Sie uns?' } },
        ],
      },
    });
    const { link } = await inviteNewCustomer(h, german, { customer: { locale: 'de' } });
    const html = await (await fetch(link)).text();
    expect(html).toContain('<html lang="de">');
    expect(html).toContain('Empfehlen Sie uns?');
    expect(html).toContain('Antworten senden');
    expect(html).toContain('Sehr unwahrscheinlich');
    const invalid = await postForm(link, { nps: '12' });
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain('Bitte wählen Sie einen Wert von 0 bis 10');
    const done = await postForm(link, { nps: '10' });
    expect(await done.text()).toContain('Vielen Dank für Ihre Antworten');
  });
});
