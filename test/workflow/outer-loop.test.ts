import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { rollupDay } from '../../src/domain/rollup';
import type { RootCauseReport } from '../../src/app/root-causes';
import { createUser, signIn } from '../support/admin';
import { createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  type Harness,
  api,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  uid,
  waitUntil,
} from '../support/harness';

/**
 * The outer loop end to end: cases resolved with a root cause, the root cause marked fixed, the
 * "we fixed it" emails with their question, the answers, and the effect on the root cause's page.
 * Its own database: the fix's campaign reaches every customer with that root cause in it.
 */
describe('the outer loop', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { MONGODB_DB: `cxloop_${uid('outer').replace(/-/g, '_')}` } });
    await setUpCaseRouting(h);
  });
  afterAll(() => h?.stop());

  const act = (caseId: string, action: string, body: Record<string, unknown> = {}) =>
    api(h, 'POST', `/api/cases/${encodeURIComponent(caseId)}/${action}`, body);
  const mailWith = (email: string, subject: string) =>
    waitUntil(`"${subject}" to ${email}`, async () =>
      (await mailTo(h, email)).find((m) => m.subject.includes(subject)),
    );
  const FIXED = 'We fixed the problem you told us about';

  /** A detractor whose case is resolved with `rootCause` and closed by their confirmation. */
  async function closedCase(programId: string, rootCause: string) {
    const invited = await inviteNewCustomer(h, programId);
    expect((await postForm(invited.link, { nps: '2', went_wrong: 'Charged twice' })).status).toBe(200);
    await waitUntil('the case', () =>
      c.emails(h.db).findOne({ _id: `case:${invited.invitationId}:assigned-0`, status: 'sent' }),
    );
    expect((await act(invited.invitationId, 'resolve', { rootCause, customerMessage: 'Refunded.' })).status).toBe(200);
    const survey = await mailWith(invited.customer.email, 'Is your problem solved?');
    expect((await postForm(surveyLinkIn(survey.text), { solved: 'yes', csat: '5' })).status).toBe(200);
    await waitUntil('the case to close', async () =>
      (await c.cases(h.db).findOne({ _id: invited.invitationId }))?.status === 'closed' ? true : undefined,
    );
    return invited;
  }

  it('tells every customer whose case had the root cause, asks again, counts nobody twice, and shows the effect', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const [billed, delayed] = await Promise.all([
      closedCase(programId, 'Billing error'),
      closedCase(programId, 'Delivery delay'),
    ]);

    const DAY = 86_400_000;
    const fix = {
      id: 'billing-fix-1',
      note: {
        en: 'We fixed our billing system: nobody is charged twice any more.',
        de: 'Die Abrechnung ist repariert.',
      },
      from: rollupDay(Date.now() - DAY),
      to: rollupDay(Date.now() + DAY),
      resurvey: true,
      // The customers were surveyed minutes ago: no waiting period for this test.
      contactRules: { minIntervalAnyProgram: '0s', minIntervalSameProgram: '0s' },
    };
    const launched = await api(h, 'POST', `/api/root-causes/${encodeURIComponent('Billing error')}/fixes`, fix);
    expect(launched.status, launched.text).toBe(201);
    const again = await api(h, 'POST', `/api/root-causes/${encodeURIComponent('Billing error')}/fixes`, fix);
    expect(again.status).toBe(200);

    const news = await mailWith(billed.customer.email, FIXED);
    expect(news.text).toContain('We fixed our billing system: nobody is charged twice any more.');
    expect(news.text).toContain('Now that we fixed it, how satisfied are you with us?');
    expect((await postForm(surveyLinkIn(news.text), { csat: '5' })).status).toBe(200);

    let last = '';
    const report = await waitUntil(
      'the effect of the fix',
      async () => {
        const res = await api(h, 'GET', `/api/root-causes/${encodeURIComponent('Billing error')}`);
        const body = res.json as unknown as RootCauseReport;
        last = JSON.stringify([body.fixes[0]?.effect, body.fixes[0]?.campaign.progress]);
        return body.fixes[0]?.effect.customers === 1 && body.fixes[0].campaign.progress.status === 'completed'
          ? body
          : undefined;
      },
      150_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last}`);
    });
    // Before: the detractor's NPS 2 (20); after: CSAT 5 (100). The follow-up survey is left out.
    expect(report.fixes).toHaveLength(1);
    expect(report.fixes[0]!.effect).toEqual({ customers: 1, before: 20, after: 100, improved: 1 });
    expect(report.fixes[0]!.campaign.progress).toMatchObject({ matched: 1 });
    // Once each, and only to the customer whose case had that root cause.
    expect((await mailTo(h, billed.customer.email)).filter((m) => m.subject.includes(FIXED))).toHaveLength(1);
    expect((await mailTo(h, delayed.customer.email)).filter((m) => m.subject.includes(FIXED))).toHaveLength(0);

    const viewer = await createUser(h.db, 'viewer');
    const asViewer = await signIn(h.baseUrl, viewer.email, viewer.password);
    const html = await (await asViewer.get(`/admin/root-causes/${encodeURIComponent('Billing error')}`)).text();
    expect(html).toContain('We fixed our billing system');
    expect(html).toMatch(/<tr><td>1<\/td><td>20<\/td><td>100<\/td><td>1<\/td><\/tr>/);
    expect(html).not.toContain('Tell the customers');
    const csv = await api(h, 'GET', `/api/root-causes/${encodeURIComponent('Billing error')}/fixes.csv`);
    expect(csv.text.split('\n')[1]).toMatch(
      /^billing-fix-1,[^,]+,api-key:test,[^,]+,[^,]+,true,completed,1,1,1,1,20,100,1$/,
    );
    expect((await asViewer.post(`/admin/root-causes/${encodeURIComponent('Billing error')}/fixes`, {})).status).toBe(
      403,
    );
  }, 240_000);

  it('refuses a fix with a clear message: unknown root cause, bad fields, a fix ID of another root cause', async () => {
    const body = { id: 'fix-x', note: 'Done.', from: '2026-01-01', to: '2026-01-31' };
    const unknown = await api(h, 'POST', '/api/root-causes/Gremlins/fixes', body);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/No root cause "Gremlins"; the root causes are/);
    const bad = await api(h, 'POST', `/api/root-causes/Other/fixes`, { ...body, from: '2026-02-01' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/from: the period starts after it ends/);
    expect((await api(h, 'POST', `/api/root-causes/Other/fixes`, { ...body, note: '' })).status).toBe(400);
    expect(
      (
        await api(h, 'POST', `/api/root-causes/Other/fixes`, {
          id: 'billing-fix-1',
          note: 'x',
          from: '2026-01-01',
          to: '2026-01-02',
        })
      ).status,
    ).toBe(409);

    const ops = await createUser(h.db, 'operations');
    const asOps = await signIn(h.baseUrl, ops.email, ops.password);
    await asOps.get('/admin/root-causes/Other');
    const refused = await asOps.post('/admin/root-causes/Other/fixes', {
      id: 'fix-y',
      note: '',
      from: '2026-01-01',
      to: '2026-01-31',
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toMatch(/id="fix-note-error"/);
  });
});
