import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { isCounted } from '../../src/db/counted-keys';
import { rollupDay, rollupId } from '../../src/domain/rollup';
import { saveReply } from '../../src/app/replies';
import { type Harness, createProgram, inviteNewCustomer, postForm, startHarness, waitUntil } from '../support/harness';

describe('no reply is lost or counted twice', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());
  afterEach(async () => {
    if (!h.worker) await h.startWorker();
  });

  it('when the worker is down while customers reply, then after its restart every reply is processed exactly once', async () => {
    const programId = await createProgram(h, {
      survey: { editGrace: '3s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
    });
    const invited = [];
    for (let i = 0; i < 4; i++) invited.push(await inviteNewCustomer(h, programId));
    await h.stopWorker();

    for (const [i, { link }] of invited.entries()) {
      const res = await postForm(link, { nps: String(i * 3) });
      expect(res.status).toBe(200);
    }
    // Stored, but nothing has processed them yet.
    const stored = await c.responses(h.db).find({ programId }).toArray();
    expect(stored).toHaveLength(4);
    expect(stored.every((r) => !r.scores)).toBe(true);
    expect(await c.replyAcks(h.db).countDocuments({ _id: { $in: stored.map((r) => r._id) } })).toBe(0);

    // A second submission while down is an edit of the same reply, not a second one.
    expect((await postForm(invited[0]!.link, { nps: '0' })).status).toBe(200);
    expect(await c.responses(h.db).countDocuments({ programId })).toBe(4);

    await h.startWorker();
    const scored = await waitUntil('all replies to be scored', async () => {
      const replies = await c
        .responses(h.db)
        .find({ programId, scores: { $exists: true } })
        .toArray();
      return replies.length === 4 ? replies : undefined;
    });
    expect(scored.every((r) => r.finalizedAt)).toBe(true);
    expect(await c.replyAcks(h.db).countDocuments({ _id: { $in: scored.map((r) => r._id) } })).toBe(4);

    // Scores are written before the rollups: wait for the rollup itself to count what it will count.
    const day = rollupDay(scored[0]!.submittedAt.getTime());
    const all = await waitUntil('the rollup to count the four replies', async () => {
      const doc = await c.rollups(h.db).findOne({ _id: rollupId(programId, day, 'all') });
      return (doc?.responses ?? 0) >= 4 ? doc : undefined;
    });
    expect(all?.responses).toBe(4);
    expect(await Promise.all(scored.map((r) => isCounted(h.db, 'rollups', all, r._id)))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(all?.funnel?.invited).toBe(4);
    expect(all?.nps).toMatchObject({ count: 4, sum: 0 + 3 + 6 + 9 });
    for (const { customer } of invited) {
      const score = await waitUntil('the customer score', () => c.customerScores(h.db).findOne({ _id: customer.id }));
      expect(score.count).toBe(1);
    }
  });

  it('when the web tier stored a reply but never signalled (it crashed), then the sweep delivers it', async () => {
    const programId = await createProgram(h);
    const { invitationId } = await inviteNewCustomer(h, programId);
    const invitation = await c.invitations(h.db).findOne({ _id: invitationId });
    const program = await c.programs(h.db).findOne({ _id: programId });
    expect((await saveReply(h.db, invitation!, program!, { nps: 5 }, true)).outcome).toBe('created');
    const reply = await waitUntil('the sweep to deliver the reply', async () => {
      const r = await c.responses(h.db).findOne({ _id: invitationId });
      return r?.scores ? r : undefined;
    });
    expect(reply.scores?.npsCategory).toBe('detractor');
  });

  it('when the event was stored but its loop never signalled, then the sweep hands it over', async () => {
    const programId = await createProgram(h);
    const trigger = (await c.programs(h.db).findOne({ _id: programId }))!.triggers[0]!;
    const customerId = `sweep-${Date.now()}`;
    await c.customers(h.db).insertOne({
      _id: customerId,
      email: `${customerId}@example.com`,
      locale: 'en',
      attributes: {},
      unsubscribed: false,
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    await c.events(h.db).insertOne({
      _id: `${customerId}-evt`,
      type: trigger,
      occurredAt: new Date(),
      customerId,
      data: {},
      receivedAt: new Date(),
    });
    const decision = await waitUntil(
      'the sweep to hand the event to the loop',
      () => c.contactDecisions(h.db).findOne({ eventId: `${customerId}-evt` }),
      20_000,
    );
    expect(decision.action).toBe('send');
  });

  it('the sweep removes expired admin sessions and keeps live ones', async () => {
    const now = Date.now();
    const session = { cookie: {} };
    await c.sessions(h.db).insertMany([
      { _id: 'sweep-expired', expires: new Date(now - 60_000), session },
      { _id: 'sweep-live', expires: new Date(now + 3_600_000), session },
    ]);
    await waitUntil('the expired session to be removed', async () =>
      (await c.sessions(h.db).countDocuments({ _id: 'sweep-expired' })) === 0 ? true : undefined,
    );
    expect(await c.sessions(h.db).countDocuments({ _id: 'sweep-live' })).toBe(1);
  });
});
