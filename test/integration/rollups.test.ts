import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { applyScoreBatch, createReplyActivities } from '../../activities/replies';
import * as c from '../../src/db/collections';
import { type Database, connectDatabase } from '../../src/db/connection';
import { ZProgram } from '../../src/domain/program';
import { type ScoreContribution, rollupDay, rollupId, summarizeRollups } from '../../src/domain/rollup';
import { storeProgram } from '../../src/app/programs';
import { uid } from '../support/harness';

describe('rollups', () => {
  let database: Database;

  beforeAll(async () => {
    database = await connectDatabase(inject('stack').mongoUri, inject('stack').dbName);
  });
  afterAll(() => database?.close());

  async function seedReplies(programId: string, scores: number[], region: (i: number) => string) {
    const now = new Date();
    const ids: string[] = [];
    for (const [i, nps] of scores.entries()) {
      const id = `${programId}:${uid('evt')}`;
      const customerId = uid('cust');
      ids.push(id);
      await c.customers(database.db).insertOne({
        _id: customerId,
        email: `${customerId}@example.com`,
        locale: 'en',
        attributes: {},
        unsubscribed: false,
        createdAt: now,
        updatedAt: now,
      });
      await c.invitations(database.db).insertOne({
        _id: id,
        tokenHash: uid('token-hash'),
        programId,
        customerId,
        eventId: id,
        email: `${customerId}@example.com`,
        locale: 'en',
        status: 'answered',
        known: { region: region(i) },
        sendAt: now,
        createdAt: now,
        updatedAt: now,
      });
      await c.responses(database.db).insertOne({
        _id: id,
        invitationId: id,
        programId,
        customerId,
        answers: { nps, comment: nps < 7 ? 'delivery was late' : 'friendly staff' },
        submittedAt: now,
        updatedAt: now,
        editableUntil: now,
        edits: 0,
      });
    }
    return ids;
  }

  it('when many replies are finalized at once and every step is retried, then each is counted exactly once per segment', async () => {
    const programId = uid('rollup');
    await storeProgram(
      database.db,
      ZProgram.parse({
        id: programId,
        name: 'Rollup test',
        kind: 'transactional',
        triggers: ['purchase'],
        survey: {
          questions: [
            { id: 'nps', type: 'nps', label: 'Recommend us?' },
            { id: 'comment', type: 'text', label: 'Why?' },
          ],
        },
        email: { subject: 's', intro: 'i' },
        themes: { delivery: ['delivery', 'late'], staff: ['staff', 'friendly'] },
      }),
    );
    const scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 5, 9, 2];
    const ids = await seedReplies(programId, scores, (i) => (i % 2 ? 'EU' : 'NA'));
    const submitted: ScoreContribution[] = [];
    const { finalizeReply } = createReplyActivities(database.db, async (contribution) => {
      submitted.push(contribution);
    });
    const applyScores = (id: string, batch: ScoreContribution[], retried = false) =>
      applyScoreBatch(database.db, { id: `${programId}|${id}`, retried }, batch);

    // Every reply finalized twice, all at once: retried activities hand their contribution over twice.
    const results = await Promise.all([...ids, ...ids].map((invitationId) => finalizeReply({ invitationId })));
    expect(results.every((r) => r.final)).toBe(true);
    expect(submitted).toHaveLength(24);
    // The owner applies them in batches; a batch retried after it was applied writes nothing again
    // (and answers as before), a later batch counts nothing already counted, and a contribution
    // delivered twice counts once.
    const once = ids.map((id) => submitted.find((contribution) => contribution.replyId === id)!);
    expect(await applyScores('1', once.slice(0, 10))).toEqual({ counted: 10 });
    expect(await applyScores('1', once.slice(0, 10), true)).toEqual({ counted: 10 });
    expect(await applyScores('2', once.slice(0, 10))).toEqual({ counted: 0 });
    expect(await applyScores('3', submitted)).toEqual({ counted: 2 });
    const customerScores = await Promise.all(
      once.map((contribution) => c.customerScores(database.db).findOne({ _id: contribution.customerId })),
    );
    expect(customerScores.map((score) => score?.count)).toEqual(ids.map(() => 1));

    const day = rollupDay(Date.now());
    const all = await c.rollups(database.db).findOne({ _id: rollupId(programId, day, 'all') });
    const eu = await c.rollups(database.db).findOne({ _id: rollupId(programId, day, 'region:EU') });
    expect(all?.responses).toBe(12);
    expect(eu?.responses).toBe(6);
    const summary = summarizeRollups([all!]);
    // 5 promoters (10, 9, 9, 10, 9), 5 detractors (6, 3, 0, 5, 2) of 12 → 0
    expect(summary.npsCounts).toEqual({ promoters: 5, passives: 2, detractors: 5 });
    expect(summary.nps).toBe(0);
    expect(summary.themes).toEqual([
      { theme: 'staff', count: 7 },
      { theme: 'delivery', count: 5 },
    ]);
  });
});
