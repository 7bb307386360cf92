import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audiencePage, writeAudiencePages } from '../../activities/campaigns';
import * as c from '../../src/db/collections';
import { insertNewCustomers, recordUnsubscribe } from '../../src/db/customers';
import { ZSegment, sampleDraw } from '../../src/domain/segment';
import { connectTemporalClient } from '../../src/temporal/connection';
import { campaignWorkflowId, fanOutTaskQueue } from '../../workflows/definitions';
import {
  type Harness,
  api,
  createProgram,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  uid,
  waitUntil,
} from '../support/harness';

type Progress = Record<string, unknown> & { status: string; skipped: Record<string, number> };

describe('pulsed campaigns', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  const newCohort = async (count: number, attributes: (i: number) => Record<string, string | number> = () => ({})) => {
    const cohort = uid('cohort');
    const profiles = Array.from({ length: count }, (_, i) => {
      const id = `${cohort}-${String(i).padStart(2, '0')}`;
      return { id, email: `${id}@example.com`, locale: 'en', attributes: { cohort, ...attributes(i) } };
    });
    await insertNewCustomers(h.db, profiles);
    return { cohort, profiles };
  };
  const newCohortMember = async (cohort: string, id: string) => {
    const profiles = [{ id, email: `${id}@example.com`, locale: 'en', attributes: { cohort } }];
    await insertNewCustomers(h.db, profiles);
    return profiles;
  };
  const preview = async (segment: Record<string, unknown>, sample?: Record<string, unknown>) => {
    const res = await api(h, 'POST', '/api/campaigns:preview', { segment, ...(sample ? { sample } : {}) });
    expect(res.status, res.text).toBe(200);
    return res.json as { matched: number; sampled: number };
  };
  const describeWorkflow = async (workflowId: string) => {
    const client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    try {
      return await client.workflow.getHandle(workflowId).describe();
    } finally {
      await client.connection.close();
    }
  };
  const progressOf = async (id: string) => (await api(h, 'GET', `/api/campaigns/${id}`)).json.progress as Progress;
  /** Waits for the progress to hold; on time-out the error shows the last progress seen. */
  const waitForProgress = async (id: string, what: string, holds: (p: Progress) => boolean) => {
    let last: Progress | undefined;
    return waitUntil(`campaign ${id}: ${what}`, async () => {
      last = await progressOf(id);
      return holds(last) ? last : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last progress ${JSON.stringify(last)}`, { cause: err });
    });
  };

  it('when operations build a segment, then the match counts equal the hand-computed ones', async () => {
    // Ten customers: revenue 0, 2,000 … 18,000; regions alternate EU / NA.
    const { cohort, profiles } = await newCohort(10, (i) => ({ region: i % 2 ? 'NA' : 'EU', revenue: i * 2000 }));
    // Summary scores 10, 20, … 90 for the first nine; the tenth never answered.
    await c
      .customerScores(h.db)
      .insertMany(profiles.slice(0, 9).map((p, i) => ({ _id: p.id, count: 1, sum: (i + 1) * 10 })));
    const weekAgo = new Date(Date.now() - 7 * 86_400_000);
    // Customers 0–2 were surveyed a week ago; customer 3 answered yesterday.
    await c.contactDecisions(h.db).insertMany(
      profiles.slice(0, 3).map((p) => ({
        _id: `seg-${p.id}`,
        customerId: p.id,
        eventId: `seg-${p.id}`,
        programId: 'elsewhere',
        action: 'send' as const,
        reason: 'fixture',
        sendAt: weekAgo,
        decidedAt: weekAgo,
      })),
    );
    const yesterday = new Date(Date.now() - 86_400_000);
    await c.responses(h.db).insertOne({
      _id: `seg-reply-${profiles[3]!.id}`,
      invitationId: `seg-reply-${profiles[3]!.id}`,
      programId: 'elsewhere',
      customerId: profiles[3]!.id,
      answers: { nps: 8 },
      submittedAt: yesterday,
      updatedAt: yesterday,
      editableUntil: yesterday,
      edits: 0,
      finalizedAt: yesterday,
    });

    const inCohort = { attributes: { cohort: [cohort] } };
    expect(await preview(inCohort)).toEqual({ matched: 10, sampled: 10 });
    expect(await preview({ attributes: { cohort: [cohort], region: ['EU'] } })).toEqual({ matched: 5, sampled: 5 });
    // Scores 30…60 inclusive: customers 2, 3, 4, 5.
    expect((await preview({ ...inCohort, score: { min: 30, max: 60 } })).matched).toBe(4);
    // Cut-offs: score 50, revenue 10,000. Model: score ≥ 50 and revenue ≥ 10,000 → customers 5–8.
    const cutoffs = { score: 50, revenue: 10_000 };
    expect((await preview({ ...inCohort, cutoffs, quadrants: ['model'] })).matched).toBe(4);
    // Growth: customer 4 (score 50, revenue 8,000). At-risk: none (low scores have low revenue). Dangling: 0–3.
    expect((await preview({ ...inCohort, cutoffs, quadrants: ['growth'] })).matched).toBe(1);
    expect((await preview({ ...inCohort, cutoffs, quadrants: ['at-risk'] })).matched).toBe(0);
    expect((await preview({ ...inCohort, cutoffs, quadrants: ['dangling', 'growth'] })).matched).toBe(5);
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    expect((await preview({ ...inCohort, notContactedSince: threeDaysAgo })).matched).toBe(10);
    expect(
      (await preview({ ...inCohort, contactedSince: new Date(weekAgo.getTime() - 1000).toISOString() })).matched,
    ).toBe(3);
    expect((await preview({ ...inCohort, respondedSince: threeDaysAgo })).matched).toBe(1);
    expect((await preview({ ...inCohort, notRespondedSince: threeDaysAgo })).matched).toBe(9);

    // Samples: a count, a percent (rounded), the same seed drawing the same number.
    expect(await preview(inCohort, { count: 4, seed: 'a' })).toEqual({ matched: 10, sampled: 4 });
    expect(await preview(inCohort, { percent: 25, seed: 'a' })).toEqual({ matched: 10, sampled: 3 });
    expect(await preview(inCohort, { count: 40, seed: 'a' })).toEqual({ matched: 10, sampled: 10 });

    const refused = await api(h, 'POST', '/api/campaigns:preview', { segment: { score: { min: 80, max: 20 } } });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatch(/min must not exceed max/);
  });

  it('when a campaign is launched with a sample, then exactly the drawn customers are surveyed once, progress counts to the end, and a relaunch changes nothing', async () => {
    const programId = await createProgram(h, { kind: 'pulsed', triggers: [], expiresAfter: '4s' });
    const { cohort, profiles } = await newCohort(10);
    await recordUnsubscribe(h.db, profiles[0]!.id);
    const id = uid('camp');
    const launch = {
      id,
      name: 'Probe of the cohort',
      programId,
      segment: { attributes: { cohort: [cohort] } },
      sample: { count: 6, seed: 'probe-1' },
    };
    const first = await api(h, 'POST', '/api/campaigns', launch);
    expect(first.status, first.text).toBe(201);
    // A double click: the same campaign, nothing new.
    expect((await api(h, 'POST', '/api/campaigns', launch)).status).toBe(200);
    expect((await api(h, 'POST', '/api/campaigns', { ...launch, name: 'Other' })).status).toBe(409);
    // It runs on the fan-out queue, apart from the loops it starts.
    expect((await describeWorkflow(campaignWorkflowId(id))).taskQueue).toBe(fanOutTaskQueue(h.taskQueue));

    const drawn = [...profiles]
      .sort((a, b) => sampleDraw('probe-1', a.id) - sampleDraw('probe-1', b.id))
      .slice(0, 6)
      .map((p) => p.id);
    const reachable = drawn.filter((customerId) => customerId !== profiles[0]!.id);
    const decided = await waitForProgress(id, 'every drawn customer decided', (p) => p.decided === 6);
    expect(decided).toMatchObject({ matched: 10, sampled: 6, signalled: 6, sent: reachable.length });
    expect(decided.skipped).toEqual(drawn.length === reachable.length ? {} : { unsubscribed: 1 });
    const invitations = await waitUntil('the invitations', async () => {
      const found = await c.invitations(h.db).find({ programId }).toArray();
      return found.length >= reachable.length ? found : undefined;
    });
    expect(invitations.map((i) => i.customerId).sort()).toEqual([...reachable].sort());
    // The audience selected at launch: one final page holding the drawn customers.
    expect(await audiencePage(h.db, id, undefined)).toMatchObject({ customerIds: [...drawn].sort(), final: true });

    // Two customers answer; the others' invitations expire.
    for (const customerId of reachable.slice(0, 2)) {
      const [mail] = await waitUntil('the survey email', async () => {
        const found = await mailTo(h, `${customerId}@example.com`);
        return found.length ? found : undefined;
      });
      // A passive: no follow-up question, so the reply is complete at once.
      expect((await postForm(surveyLinkIn(mail!.text), { nps: '7' })).status).toBe(200);
    }
    const done = await waitForProgress(id, 'completed', (p) => p.status === 'completed');
    expect(done).toMatchObject({ answered: 2, expired: reachable.length - 2, decided: 6 });

    // Relaunched after the end: still the same campaign, nobody surveyed twice.
    expect((await api(h, 'POST', '/api/campaigns', launch)).status).toBe(200);
    expect(await progressOf(id)).toMatchObject({ status: 'completed', signalled: 6 });
    expect(await c.invitations(h.db).countDocuments({ programId })).toBe(reachable.length);
    for (const customerId of reachable) expect(await mailTo(h, `${customerId}@example.com`)).toHaveLength(1);
    expect((await api(h, 'POST', `/api/campaigns/${id}/pause`)).status).toBe(409);
  });

  it('when the audience is selected, then it is written as pages chained by their last customer, and a repeated selection rewrites the chain', async () => {
    const { cohort, profiles } = await newCohort(25);
    const campaign: c.CampaignDoc = {
      _id: uid('camp'),
      name: 'Paged',
      programId: 'none',
      segment: ZSegment.parse({ attributes: { cohort: [cohort] } }),
      startAt: new Date(),
      createdBy: 'test',
      createdAt: new Date(),
    };
    const followChain = async () => {
      const pages: c.CampaignAudiencePageDoc[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await audiencePage(h.db, campaign._id, after);
        expect(page, `the page after ${after}`).not.toBeNull();
        pages.push(page!);
        if (page!.final) return pages;
        after = page!.last;
      }
    };
    await writeAudiencePages(h.db, campaign, {}, null, undefined, 10);
    const pages = await followChain();
    expect(pages.map((p) => p.customerIds.length)).toEqual([10, 10, 5]);
    expect(pages.flatMap((p) => p.customerIds)).toEqual(profiles.map((p) => p.id).sort());

    // A customer who sorts first joins: the retried selection shifts every page, and the chain
    // from the first page reaches the new pages only.
    const [joined] = (await newCohortMember(cohort, `${profiles[0]!.id}a`)).map((p) => p.id);
    await writeAudiencePages(h.db, campaign, {}, null, undefined, 10);
    const again = await followChain();
    expect(again.map((p) => p.customerIds.length)).toEqual([10, 10, 6]);
    expect(again.flatMap((p) => p.customerIds)).toEqual([...profiles.map((p) => p.id), joined].sort());

    // A campaign selected by a version that wrote no pages continues from its cursor.
    const cursor = again[0]!.last;
    await c.campaignAudience(h.db).deleteMany({ campaignId: campaign._id });
    await writeAudiencePages(h.db, campaign, {}, null, cursor, 10);
    const rest = await audiencePage(h.db, campaign._id, cursor);
    expect(rest).toMatchObject({ customerIds: again[1]!.customerIds, final: false });
  });

  it('when a scheduled campaign is paused, then nothing is sent past its start time until it resumes; a cancelled one sends nothing', async () => {
    const programId = await createProgram(h, { kind: 'pulsed', triggers: [] });
    const { cohort } = await newCohort(3);
    const startAt = new Date(Date.now() + 3_000);
    const id = uid('camp');
    const launched = await api(h, 'POST', '/api/campaigns', {
      id,
      name: 'Later',
      programId,
      segment: { attributes: { cohort: [cohort] } },
      startAt: startAt.toISOString(),
    });
    expect(launched.status, launched.text).toBe(201);
    const paused = await api(h, 'POST', `/api/campaigns/${id}/pause`);
    expect(paused.status, paused.text).toBe(200);
    expect(paused.json.status).toBe('paused');
    expect((await api(h, 'POST', `/api/campaigns/${id}/pause`)).status).toBe(409);
    await waitUntil('the start time to pass', async () => Date.now() > startAt.getTime() + 1_000);
    expect(await progressOf(id)).toMatchObject({ status: 'paused', signalled: 0 });
    expect(await c.invitations(h.db).countDocuments({ programId })).toBe(0);

    expect((await api(h, 'POST', `/api/campaigns/${id}/resume`)).json.status).not.toBe('paused');
    await waitForProgress(id, 'all three sent', (p) => p.sent === 3);

    const cancelledId = uid('camp');
    await api(h, 'POST', '/api/campaigns', {
      id: cancelledId,
      name: 'Never',
      programId,
      segment: { attributes: { cohort: [cohort] } },
      startAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const cancelled = await api(h, 'POST', `/api/campaigns/${cancelledId}/cancel`);
    expect(cancelled.status, cancelled.text).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    await waitForProgress(cancelledId, 'saved as cancelled', (p) => p.status === 'cancelled');
    expect((await api(h, 'POST', `/api/campaigns/${cancelledId}/resume`)).status).toBe(409);
    expect((await api(h, 'POST', `/api/campaigns/${cancelledId}/stop`)).status).toBe(400);
    expect((await api(h, 'GET', `/api/campaigns/${uid('none')}`)).status).toBe(404);
    expect(
      (
        await api(h, 'POST', '/api/campaigns', {
          id: uid('c'),
          name: 'x',
          programId,
          segment: {},
          sample: { count: 0, seed: 's' },
        })
      ).status,
    ).toBe(400);
    const transactional = await createProgram(h);
    const wrongKind = await api(h, 'POST', '/api/campaigns', {
      id: uid('c'),
      name: 'x',
      programId: transactional,
      segment: {},
    });
    expect(wrongKind.status).toBe(400);
    expect(wrongKind.json.error).toMatch(/not pulsed/);
  });

  it('when a campaign is cancelled while its surveys wait for their send time, then none of them goes out', async () => {
    const programId = await createProgram(h, { kind: 'pulsed', triggers: [], delay: '6s' });
    const { profiles } = await newCohort(2);
    const id = uid('camp');
    const launched = await api(h, 'POST', '/api/campaigns', {
      id,
      name: 'Cancelled while waiting',
      programId,
      segment: { attributes: { cohort: [profiles[0]!.attributes.cohort] } },
    });
    expect(launched.status, launched.text).toBe(201);
    await waitForProgress(id, 'both sends decided, for later', (p) => p.sent === 2);
    expect((await api(h, 'POST', `/api/campaigns/${id}/cancel`)).status).toBe(200);
    const invitations = () => c.invitations(h.db).find({ programId }).toArray();
    await waitUntil('both invitations recorded as cancelled at their send time', async () => {
      const found = await invitations();
      return found.length === 2 && found.every((i) => i.status === 'cancelled');
    });
    const ids = (await invitations()).map((i) => `${i._id}:invitation`);
    expect(await c.emails(h.db).countDocuments({ _id: { $in: ids } })).toBe(0);
  });
});
