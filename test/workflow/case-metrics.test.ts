import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { rollupDay } from '../../src/domain/rollup';
import type { CaseMetricsReport } from '../../src/app/case-metrics';
import { CASE_PEOPLE, createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  type Harness,
  api,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  waitUntil,
} from '../support/harness';
import { createUser, signIn } from '../support/admin';

describe('case metrics, counted from real cases', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
  });
  afterAll(() => h?.stop());

  const DAY = 86_400_000;
  const around = () => `from=${rollupDay(Date.now() - DAY)}&to=${rollupDay(Date.now() + DAY)}`;
  const metrics = async (programId: string): Promise<CaseMetricsReport> => {
    const res = await api(h, 'GET', `/api/metrics/cases?program=${programId}&${around()}`);
    expect(res.status).toBe(200);
    return res.json as unknown as CaseMetricsReport;
  };
  const act = (caseId: string, action: string, body: Record<string, unknown> = {}) =>
    api(h, 'POST', `/api/cases/${encodeURIComponent(caseId)}/${action}`, body);
  const caseWith = (caseId: string, done: (doc: c.CaseDoc) => boolean) =>
    waitUntil(`case ${caseId}`, async () => {
      const doc = await c.cases(h.db).findOne({ _id: caseId });
      return doc && done(doc) ? doc : undefined;
    });
  const followUpSurvey = (email: string) =>
    waitUntil('the follow-up survey', async () =>
      (await mailTo(h, email)).find((m) => m.subject.includes('Is your problem solved?')),
    );

  it('counts openings, escalations, resolutions with their root causes and hours, reopenings, first-contact closes, the backlog and post-resolution CSAT', async () => {
    const followUp = await createFollowUpProgram(h);
    // First response due within 2 s: both cases breach it once (escalated) before anyone acts.
    const programId = await createCaseProgram(h, { firstResponse: '2s', resolution: '1d', followUpProgram: followUp });
    const [fixed, unhappy] = await Promise.all([inviteNewCustomer(h, programId), inviteNewCustomer(h, programId)]);
    for (const { link } of [fixed, unhappy])
      expect((await postForm(link, { nps: '2', went_wrong: 'Late' })).status).toBe(200);
    for (const { invitationId } of [fixed, unhappy]) await caseWith(invitationId, (doc) => doc.escalation >= 1);

    // Fixed at the first contact, confirmed by the customer.
    expect((await act(fixed.invitationId, 'contact', { subject: 'Your order', message: 'On its way.' })).status).toBe(
      200,
    );
    expect(
      (await act(fixed.invitationId, 'resolve', { rootCause: 'Delivery delay', customerMessage: 'Sent again.' }))
        .status,
    ).toBe(200);
    const confirm = await followUpSurvey(fixed.customer.email);
    expect((await postForm(surveyLinkIn(confirm.text), { solved: 'yes', csat: '5' })).status).toBe(200);
    await caseWith(fixed.invitationId, (doc) => doc.status === 'closed');

    // Not solved: reopened, back in the owner's backlog.
    expect(
      (await act(unhappy.invitationId, 'resolve', { rootCause: 'Billing error', customerMessage: 'Refunded.' })).status,
    ).toBe(200);
    const deny = await followUpSurvey(unhappy.customer.email);
    expect((await postForm(surveyLinkIn(deny.text), { solved: 'no', csat: '1' })).status).toBe(200);
    await caseWith(unhappy.invitationId, (doc) => doc.status === 'reopened');

    const report = await waitUntil(
      'the metrics to count every change',
      async () => {
        const now = await metrics(programId);
        // The owner writes a batch's counters and the backlog side by side: all of them, not one first.
        const counted = now.current.closed === 1 && now.current.reopened === 1 && now.postResolutionCsat.replies === 2;
        return counted && now.backlog.owners.length > 0 ? now : undefined;
      },
      60_000,
    );
    expect(report.current).toEqual({
      opened: 2,
      resolved: 2,
      reopened: 1,
      closed: 1,
      escalations: 2,
      slaBreachRate: 100,
      reopenRate: 50,
      firstContactRate: 100,
      // Both resolved within the first business hour (the test team's hours are always open).
      medianResolutionHours: 1,
      p90ResolutionHours: 1,
    });
    expect(report.rootCauses.map((r) => [r.rootCause, r.count])).toEqual([
      ['Billing error', 1],
      ['Delivery delay', 1],
    ]);
    expect(report.backlog).toEqual({
      owners: [{ id: CASE_PEOPLE.owner.email, open: 1 }],
      teams: [{ id: 'care', open: 1 }],
    });
    // One satisfied (5) and one not (1) of two follow-up answers.
    expect(report.postResolutionCsat).toMatchObject({ current: 50, replies: 2 });
    // Per owner and per root cause: each follow-up answer counts for the resolution it followed.
    expect(report.byOwner).toEqual([
      {
        id: CASE_PEOPLE.owner.email,
        resolved: 2,
        medianResolutionHours: 1,
        p90ResolutionHours: 1,
        followUps: 2,
        postResolutionCsat: 50,
        postResolutionCsatInterval: { low: expect.closeTo(9.4531, 4), high: expect.closeTo(90.5469, 4) },
      },
    ]);
    expect(report.byRootCause.map((r) => [r.id, r.resolved, r.followUps, r.postResolutionCsat])).toEqual([
      ['Billing error', 1, 1, 0],
      ['Delivery delay', 1, 1, 100],
    ]);
    const accounts = new Map(report.accounts.map((a) => [a.customerId, a.cases]));
    expect(accounts.get(fixed.customer.id)).toBe(1);
    expect(accounts.get(unhappy.customer.id)).toBe(1);

    const csv = await api(h, 'GET', `/api/metrics/cases/root-causes.csv?program=${programId}&${around()}`);
    expect(csv.text).toBe('rootCause,count,previousCount\nBilling error,1,0\nDelivery delay,1,0\n');
    const byCause = await api(h, 'GET', `/api/metrics/cases/by-root-cause.csv?program=${programId}&${around()}`);
    expect(byCause.text).toBe(
      'rootCause,resolved,medianResolutionHours,p90ResolutionHours,postResolutionCsat,postResolutionCsatLow,postResolutionCsatHigh,followUps\n' +
        'Billing error,1,1,1,0,0,79.3,1\nDelivery delay,1,1,1,100,20.7,100,1\n',
    );

    // The page, for a viewer: figures, tables and charts.
    const viewer = await createUser(h.db, 'viewer');
    const client = await signIn(h.baseUrl, viewer.email, viewer.password);
    const page = await client.get(`/admin/case-metrics?program=${programId}&${around()}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/data-figure="Reopen rate"[\s\S]*?50 %/);
    expect(html).toContain(
      `<tr data-owner="${CASE_PEOPLE.owner.email}"><td>${CASE_PEOPLE.owner.email}</td><td>1</td></tr>`,
    );
    expect(html.match(/<svg role="img"/g)).toHaveLength(3);
    expect((await client.get('/admin/case-metrics/nothing.csv')).status).toBe(404);
    expect((await client.get('/admin/case-metrics?from=2026-02-30')).status).toBe(400);
  }, 180_000);
});
