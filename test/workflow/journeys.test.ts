import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import type { JourneySummary } from '../../src/app/journeys';
import { connectTemporalClient } from '../../src/temporal/connection';
import { backfillJourneys } from '../../src/temporal/journey-backfill';
import { createUser, signIn } from '../support/admin';
import {
  type Harness,
  api,
  createProgram,
  eventFor,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  uid,
  waitUntil,
} from '../support/harness';

describe('journeys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  const journeyProgram = (id = uid('journey')) =>
    createProgram(h, {
      id,
      triggers: ['signup', 'kyc', 'first_order'],
      journey: { name: 'Onboarding', touchPoints: ['signup', 'kyc', 'first_order'] },
    });

  it("records each scored reply at its event's touch point", async () => {
    const programId = await journeyProgram();
    const customer = { id: uid('cust'), email: `${uid('c')}@example.com` };
    // With the follow-up question answered too, the reply is complete and scored at once.
    const answer = async (type: string, nps: string, follow: Record<string, string>) => {
      const event = eventFor({ trigger: type }, customer);
      expect((await api(h, 'POST', '/api/events', event)).status).toBe(202);
      const invitationId = `${programId}:${event.id}`;
      const mail = await waitUntil(`the ${type} survey`, async () =>
        (await mailTo(h, customer.email)).find((m) => m.headers['x-cxloop-invitation'] === invitationId),
      );
      expect((await postForm(surveyLinkIn(mail.text), { nps, ...follow })).status).toBe(200);
      return invitationId;
    };
    const signup = await answer('signup', '9', { went_well: 'Quick' });
    const kyc = await answer('kyc', '4', { went_wrong: 'Too many documents' });
    const steps = await waitUntil('both journey steps', async () => {
      const docs = await c.journeyReplies(h.db).find({ programId }).sort({ step: 1 }).toArray();
      return docs.length === 2 ? docs : undefined;
    });
    expect(steps.map((s) => [s._id, s.step, s.touchPoint, s.score])).toEqual([
      [signup, 0, 'signup', 90],
      [kyc, 1, 'kyc', 40],
    ]);
    // Counted by the scores' owner, as the dashboards' rollups are: shown once it has taken both.
    const json = await waitUntil('both steps counted', async () => {
      const report = (await api(h, 'GET', `/api/metrics/journeys/${programId}`)).json as unknown as JourneySummary;
      return report.steps[1]?.customers === 1 ? report : undefined;
    });
    expect(json).toMatchObject({
      customers: 1,
      steps: [{ customers: 1, satisfiedPercent: 100 }, { fellPercent: 100, cumulativePercent: 0 }, { customers: 0 }],
    });
  }, 120_000);

  it('shows the falling journey flagged, by API, CSV and page; bad input is refused', async () => {
    const programId = await journeyProgram();
    const at = new Date();
    // Five customers, each dissatisfied at one different touch point (or none): 80 % satisfied at
    // every touch point, 40 % all the way.
    const low: Record<string, number> = { a: 0, b: 1, c: 2 };
    await c.journeyReplies(h.db).insertMany(
      ['a', 'b', 'c', 'd', 'e'].flatMap((customer) =>
        [0, 1, 2].map((step) => ({
          _id: `${programId}:${customer}:${step}`,
          programId,
          customerId: `${programId}-${customer}`,
          step,
          touchPoint: ['signup', 'kyc', 'first_order'][step]!,
          score: low[customer] === step ? 30 : 90,
          at,
        })),
      ),
    );
    // Stored directly, as before the journeys' counters: counted by their backfill.
    const temporal = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    try {
      for (let run = 0; run < 2; run++) await backfillJourneys(h.db, temporal, h.taskQueue);
    } finally {
      await temporal.connection.close();
    }
    const { status, json } = await api(h, 'GET', `/api/metrics/journeys/${programId}`);
    expect(status).toBe(200);
    const report = json as unknown as JourneySummary;
    expect(report.steps.map((s) => [s.satisfiedPercent, s.cumulativePercent])).toEqual([
      [80, 80],
      [80, 60],
      [80, 40],
    ]);
    expect(report.flagged).toBe(true);
    const list = (await api(h, 'GET', '/api/metrics/journeys')).json as unknown as JourneySummary[];
    expect(list.find((j) => j.programId === programId)?.flagged).toBe(true);
    const csv = await api(h, 'GET', `/api/metrics/journeys/${programId}.csv`);
    expect(csv.text.split('\n')[3]).toBe('3,first_order,5,78,80,40,20');

    const viewer = await createUser(h.db, 'viewer');
    const client = await signIn(h.baseUrl, viewer.email, viewer.password);
    const html = await (await client.get(`/admin/journeys/${programId}`)).text();
    expect(html).toContain('Falling journey:');
    expect(html).toContain(
      '<tr data-step="kyc"><td>kyc</td><td>5</td><td>78</td><td>80 %</td><td>60 %</td><td>20 %</td></tr>',
    );
    expect(html.match(/<svg role="img"/g)).toHaveLength(1);
    expect((await client.get('/admin/journeys')).status).toBe(200);

    expect((await api(h, 'GET', '/api/metrics/journeys/no-such-program')).status).toBe(404);
    const bad = await api(h, 'GET', '/api/metrics/journeys?since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/since/);
    // Only replies since the day given count.
    const later = await api(h, 'GET', `/api/metrics/journeys/${programId}?since=2999-01-01`);
    expect((later.json as unknown as JourneySummary).customers).toBe(0);
  });
});
