import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { fieldKey } from '../../src/domain/case-metrics';
import { ROUTING_STATE_ID } from '../../src/domain/rollup';
import { ROUTING_TEAMS, createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
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

/**
 * Case assignment reads the routing state the scores' owner counts from the cases' changes (one
 * document by `_id`), not the cases: each case is routed once the one before it is counted.
 */
describe('case assignment from the counted routing state', () => {
  let h: Harness;
  let programId: string;

  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
    programId = await createCaseProgram(h, {
      firstResponse: '1h',
      resolution: '1h',
      followUpProgram: await createFollowUpProgram(h),
      acknowledgeCustomer: false,
    });
  });
  afterAll(() => h?.stop());

  /** A detractor of a customer routed by `assignment` (ROUTING_TEAMS): their case, once its owner is told. */
  async function openCase(assignment: keyof typeof ROUTING_TEAMS) {
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId, {
      customer: { attributes: { routing: assignment } },
    });
    expect((await postForm(link, { nps: '2', went_wrong: 'Nobody called back' })).status).toBe(200);
    await waitUntil(`case ${invitationId} to be ready`, () =>
      c.emails(h.db).findOne({ _id: `case:${invitationId}:assigned-0`, status: 'sent' }),
    );
    const doc = (await c.cases(h.db).findOne({ _id: invitationId }))!;
    expect(doc.teamId).toBe(ROUTING_TEAMS[assignment].id);
    return { ...doc, customer };
  }

  /** Waits until the routing state counts `n` under `field` for `id` (an owner or a team). */
  const counted = (field: 'open' | 'opened', id: string, n: number) =>
    waitUntil(
      `the routing state to count ${n} ${field} for ${id}`,
      async () => {
        const state = await c.routingState(h.db).findOne({ _id: ROUTING_STATE_ID });
        return (state?.[field]?.[fieldKey(id)] ?? 0) === n ? true : undefined;
      },
      60_000,
    );

  it('when a least-loaded team gets cases one after another, then each goes to the member with fewest unclosed ones', async () => {
    const [a, b] = ROUTING_TEAMS['least-loaded'].members;
    const first = await openCase('least-loaded');
    expect(first.ownerId).toBe(a);
    await counted('open', a, 1);
    const second = await openCase('least-loaded');
    expect(second.ownerId).toBe(b);
    await counted('open', b, 1);

    // Resolved, the case is still its owner's until the customer confirms the fix and it closes.
    const resolved = await api(h, 'POST', `/api/cases/${encodeURIComponent(first._id)}/resolve`, {
      rootCause: 'Other',
      customerMessage: 'We called you back.',
    });
    expect(resolved.status).toBe(200);
    const survey = await waitUntil('the follow-up survey', async () =>
      (await mailTo(h, first.customer.email)).find((m) => m.subject.includes('Is your problem solved?')),
    );
    expect((await postForm(surveyLinkIn(survey.text), { solved: 'yes', csat: '5' })).status).toBe(200);
    await counted('open', a, 0);
    expect((await c.cases(h.db).findOne({ _id: first._id }))?.status).toBe('closed');

    // Now the first member has none and the second one: the next case is the first's again.
    const third = await openCase('least-loaded');
    expect(third.ownerId).toBe(a);
    await counted('open', a, 1);
    await counted('opened', ROUTING_TEAMS['least-loaded'].id, 3);
  });

  it('when a round-robin team gets cases one after another, then they take turns', async () => {
    const team = ROUTING_TEAMS['round-robin'];
    const owners: string[] = [];
    for (let n = 1; n <= 3; n++) {
      owners.push((await openCase('round-robin')).ownerId);
      await counted('opened', team.id, n);
    }
    expect(owners).toEqual([team.members[0], team.members[1], team.members[0]]);
    await counted('open', team.members[0], 2);
    await counted('open', team.members[1], 1);
  });
});
