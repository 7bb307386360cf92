import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { CASE_PEOPLE, createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import { type Harness, api, inviteNewCustomer, mailTo, postForm, startHarness, waitUntil } from '../support/harness';

describe('a case while its worker is down', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
  });
  afterAll(() => h?.stop());

  it('when the worker is down, then an action is answered 503 and applied once on retry, and the overdue case escalates once when the worker is back', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '2s', resolution: '1h', followUpProgram: followUp });
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '0', went_wrong: 'Nothing worked' })).status).toBe(200);
    const opened = await waitUntil('the case to be ready', async () => {
      const sent = await c.emails(h.db).findOne({ _id: `case:${invitationId}:assigned-0`, status: 'sent' });
      return sent && c.cases(h.db).findOne({ _id: invitationId });
    });

    await h.stopWorker();
    const path = `/api/cases/${encodeURIComponent(invitationId)}/note`;
    const headers = { 'idempotency-key': 'note-while-down-1' };
    const unanswered = await api(h, 'POST', path, { note: 'Called, no answer' }, headers);
    expect(unanswered.status).toBe(503);
    expect(unanswered.json.error).toContain('try again');
    // The first-response SLA runs out while no worker runs.
    const due = opened.firstResponse.startedAt + opened.firstResponse.budgetMs;
    await waitUntil('the first-response deadline to pass', async () => Date.now() > due + 500);

    await h.startWorker();
    // A client retries a 503 with the same key until the case answers: the restarted worker first
    // replays and catches up (the overdue escalation), which on a busy machine can outlast one
    // action's 10 s deadline. However many retries that takes, the note applies once (below).
    const retried = await waitUntil(
      'the action to be answered once the worker is back',
      async () => {
        const res = await api(h, 'POST', path, { note: 'Called, no answer' }, headers);
        return res.status === 503 ? null : res;
      },
      90_000,
    );
    expect(retried.status).toBe(200);
    await waitUntil('the escalation', async () => (await c.cases(h.db).findOne({ _id: invitationId }))?.escalation);
    // A further action proves the case has handled everything before it.
    expect((await api(h, 'POST', `/api/cases/${encodeURIComponent(invitationId)}/acknowledge`)).status).toBe(200);

    const timeline = await c.caseTimeline(h.db).find({ caseId: invitationId }).sort({ seq: 1 }).toArray();
    expect(timeline.filter((e) => e.kind === 'note')).toHaveLength(1);
    expect(timeline.filter((e) => e.kind === 'escalated')).toHaveLength(1);
    const escalations = (await mailTo(h, CASE_PEOPLE.manager.email)).filter((m) =>
      m.headers['x-cxloop-case']?.includes(invitationId),
    );
    expect(escalations).toHaveLength(1);
  }, 150_000);
});
