import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { rollupDay } from '../../src/domain/rollup';
import type { ExperienceReport } from '../../src/app/insight';
import {
  type Harness,
  api,
  createProgram,
  inviteNewCustomer,
  postForm,
  startHarness,
  waitUntil,
} from '../support/harness';

describe('the response funnel and theme examples', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  // A day either side, so that a step that falls after midnight still counts.
  const DAY = 86_400_000;
  const around = () => `from=${rollupDay(Date.now() - DAY)}&to=${rollupDay(Date.now() + DAY)}`;
  const experience = async (programId: string, segment = 'all'): Promise<ExperienceReport> => {
    const res = await api(h, 'GET', `/api/metrics/experience?program=${programId}&${around()}&segment=${segment}`);
    expect(res.status).toBe(200);
    return res.json as unknown as ExperienceReport;
  };
  const funnelOf = (report: ExperienceReport) => Object.fromEntries(report.funnel.map((f) => [f.stage, f.count]));

  it('counts each invitation, first reminder, reply, expiry and unsubscribe once, in the segments of the invitation', async () => {
    const programId = await createProgram(h, { reminders: ['5s', '6s'], expiresAfter: '8s' });
    const eu = { attributes: { region: 'EU' } };
    const [answers, silent, leaves] = await Promise.all([
      inviteNewCustomer(h, programId, { customer: eu }),
      inviteNewCustomer(h, programId, { customer: eu }),
      inviteNewCustomer(h, programId, { customer: eu }),
    ]);
    expect((await postForm(answers.link, { nps: '2', went_wrong: 'The delivery was late again' })).status).toBe(200);
    const unsubscribe = /<(http[^>]+)>/.exec(leaves.mail.headers['list-unsubscribe']!)![1]!;
    expect((await postForm(unsubscribe, {})).status).toBe(200);

    // One reply; the silent customer reminded (twice: counted once) then expired; the one who left
    // unsubscribed (counted as it is made), not reminded, and expired.
    const expected = { invited: 3, reminded: 1, answered: 1, expired: 2, unsubscribed: 1 };
    const report = await waitUntil(
      'the funnel to count every step',
      async () => {
        const now = await experience(programId, 'region:EU');
        return JSON.stringify(funnelOf(now)) === JSON.stringify(expected) ? now : undefined;
      },
      60_000,
    );
    expect(report.funnel.find((f) => f.stage === 'answered')?.percentOfInvited).toBe(33.3);
    expect(funnelOf(await experience(programId))).toEqual(expected);
    expect((await c.invitations(h.db).findOne({ _id: silent.invitationId }))?.remindedAt).toHaveLength(2);
    expect(await c.unsubscribes(h.db).findOne({ _id: leaves.customer.id })).toMatchObject({
      invitationId: leaves.invitationId,
      countedAt: expect.any(Date),
    });

    // The theme found in the comment is quoted, linking to the reply on the customer's page.
    const delivery = report.themes.find((t) => t.theme === 'delivery');
    expect(delivery?.examples).toEqual([
      expect.objectContaining({
        replyId: answers.invitationId,
        customerId: answers.customer.id,
        comment: 'The delivery was late again',
      }),
    ]);
    const csv = await api(h, 'GET', `/api/metrics/experience/funnel.csv?program=${programId}&${around()}`);
    expect(csv.text.split('\n').slice(0, 4).join('\n')).toBe(
      'stage,count,percentOfInvited,previousCount\ninvited,3,100,0\nreminded,1,33.3,0\nanswered,1,33.3,0',
    );
  }, 120_000);
});
