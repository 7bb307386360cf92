import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { isCounted } from '../../src/db/counted-keys';
import { rollupDay, rollupId } from '../../src/domain/rollup';
import { connectTemporalClient } from '../../src/temporal/connection';
import { scoresWorkflowId } from '../../workflows/definitions';
import { type Harness, createProgram, inviteNewCustomer, postForm, startHarness, waitUntil } from '../support/harness';

describe('the scores owner', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('counts every reply once in the rollups and customer scores, across continue-as-new', async () => {
    const programId = await createProgram(h, {
      survey: { editGrace: '0s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
    });
    const client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    // Started ahead of the replies with a short history limit, so that it continues as new while they arrive.
    const owner = await client.workflow.start('scoresWorkflow', {
      workflowId: scoresWorkflowId(h.taskQueue),
      taskQueue: h.taskQueue,
      args: [{ historyLimit: 12 }],
    });
    const answers = [0, 3, 5, 7, 8, 9, 10, 10];
    const invited = await Promise.all(answers.map(() => inviteNewCustomer(h, programId)));
    await Promise.all(invited.map(({ link }, i) => postForm(link, { nps: String(answers[i]) })));

    const day = rollupDay(Date.now());
    const all = await waitUntil('the rollup to count every reply', async () => {
      const doc = await c.rollups(h.db).findOne({ _id: rollupId(programId, day, 'all') });
      return doc?.responses === answers.length ? doc : undefined;
    });
    expect(all.nps).toEqual({ count: 8, sum: 52, detractors: 3, passives: 2, promoters: 3 });
    // Each reply is a counted key of the rollup; the invitations' funnel steps are counted once each too.
    const counted = await Promise.all(invited.map(({ invitationId }) => isCounted(h.db, 'rollups', all, invitationId)));
    expect(counted.every(Boolean)).toBe(true);
    expect(all.funnel).toEqual({ invited: 8 });
    // What dashboards read: the same counters, in the month's document.
    const copy = await waitUntil("the month's document to copy the rollup", async () => {
      const doc = await c.rollupMonths(h.db).findOne({ _id: `${programId}|${day.slice(0, 7)}|all` });
      const counters = doc?.days?.[day.slice(8, 10)];
      return counters?.responses === answers.length ? counters : undefined;
    });
    const { _id, programId: _program, day: _day, segment: _segment, appliedBatch: _batch, ...counters } = all;
    expect(copy).toEqual(counters);
    for (const { customer } of invited) {
      const score = await c.customerScores(h.db).findOne({ _id: customer.id });
      expect(score?.count).toBe(1);
    }
    const latest = await client.workflow.getHandle(owner.workflowId).describe();
    expect(latest.runId).not.toBe(owner.firstExecutionRunId);
    await client.connection.close();
  });
});
