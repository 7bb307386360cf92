import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import type { CaseStatus } from '../../src/domain/cases';
import { connectTemporalClient } from '../../src/temporal/connection';
import { caseActionUpdate, caseWorkflowId } from '../../workflows/definitions';
import { CASE_PEOPLE, createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  type Harness,
  api,
  eventFor,
  inviteNewCustomer,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  triggerOf,
  waitUntil,
  workflowEnded,
} from '../support/harness';

describe('a case, from the detractor reply to the customer confirming the fix', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
  });
  afterAll(() => h?.stop());

  const caseIn = (caseId: string, status?: CaseStatus) =>
    waitUntil(`case ${caseId}${status ? ` to be ${status}` : ''}`, async () => {
      const doc = await c.cases(h.db).findOne({ _id: caseId });
      return doc && (!status || doc.status === status) ? doc : undefined;
    });
  /** Emails to `to` with `subject`; for the owners, who get mail from every test file's cases, about `caseId` only. */
  const mailWith = (to: string, subject: string | RegExp, count = 1, caseId?: string) =>
    waitUntil(`${count} email(s) "${subject}" to ${to}`, async () => {
      const found = (await mailTo(h, to)).filter(
        (m) =>
          (typeof subject === 'string' ? m.subject.includes(subject) : subject.test(m.subject)) &&
          (!caseId || m.headers['x-cxloop-case'] === caseId),
      );
      return found.length >= count ? found : undefined;
    });
  /** The case workflow has opened the case and told its owner: it takes actions from now on. */
  const caseReady = (caseId: string) =>
    waitUntil(`case ${caseId} to be ready`, () =>
      c.emails(h.db).findOne({ _id: `case:${caseId}:assigned-0`, status: 'sent' }),
    );
  const act = (caseId: string, action: string, body: Record<string, unknown> = {}) =>
    api(h, 'POST', `/api/cases/${encodeURIComponent(caseId)}/${action}`, body);

  it('when nobody acts, then it escalates to the manager and then one level up; resolved and confirmed, it closes', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '2s', resolution: '5s', followUpProgram: followUp });
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '3', went_wrong: 'The delivery was late again' })).status).toBe(200);

    const opened = await caseIn(invitationId);
    expect(opened).toMatchObject({
      customerId: customer.id,
      programId,
      ownerId: CASE_PEOPLE.owner.email,
      teamId: 'care',
      priority: 'normal',
      reasons: ['Detractor (NPS ≤ 6)'],
      mayContact: true,
    });
    const [assigned] = await mailWith(CASE_PEOPLE.owner.email, 'New case', 1, invitationId);
    expect(assigned!.text).toContain(`/admin/cases/${encodeURIComponent(invitationId)}`);
    const [ack] = await mailWith(customer.email, 'We read your feedback');
    expect(ack!.text).toContain('Olga Owner from Customer care will get back to you');
    expect(ack!.headers['reply-to']).toContain(CASE_PEOPLE.owner.email);

    // First-response SLA (2 s) breached: the manager; resolution SLA (5 s): the director.
    await mailWith(CASE_PEOPLE.manager.email, 'Overdue case escalated to you (first-response', 1, invitationId);
    await mailWith(CASE_PEOPLE.director.email, 'Overdue case escalated to you (resolution', 1, invitationId);
    const escalated = await waitUntil('two escalations', async () => {
      const doc = await c.cases(h.db).findOne({ _id: invitationId });
      return doc && doc.escalation >= 2 ? doc : undefined;
    });
    expect(escalated.priority).toBe('urgent');

    const contacted = await act(invitationId, 'contact', { subject: 'About your delivery', message: 'Which order?' });
    expect(contacted.status).toBe(200);
    const [contact] = await mailWith(customer.email, 'About your delivery');
    expect(contact!.text).toContain('Which order?');
    expect(contact!.headers['reply-to']).toContain(CASE_PEOPLE.owner.email);

    const resolved = await act(invitationId, 'resolve', {
      rootCause: 'Delivery delay',
      customerMessage: 'We moved your deliveries to a faster courier.',
      note: 'Courier B from now on',
    });
    expect(resolved.status).toBe(200);
    expect(resolved.json).toMatchObject({ status: 'resolved', rootCause: 'Delivery delay' });
    const [resolution] = await mailWith(customer.email, 'What we did about your feedback');
    expect(resolution!.text).toContain('We moved your deliveries to a faster courier.');

    const [survey] = await mailWith(customer.email, 'Is your problem solved?');
    expect((await postForm(surveyLinkIn(survey!.text), { solved: 'yes', csat: '5' })).status).toBe(200);
    const closed = await caseIn(invitationId, 'closed');
    expect(closed.closedAt).toBeInstanceOf(Date);
    await workflowEnded(h, caseWorkflowId(invitationId));
    expect(await c.openCases(h.db).findOne({ _id: c.openCaseKey(programId, customer.id) })).toBeNull();

    const { json } = await api(h, 'GET', `/api/cases/${encodeURIComponent(invitationId)}`);
    const kinds = (json.timeline as { kind: string; actor: string }[]).map((e) => e.kind);
    expect(kinds).toEqual(['opened', 'escalated', 'escalated', 'contact', 'resolve', 'closed']);
    const audit = await c
      .auditLog(h.db)
      .find({ subject: `case ${invitationId}` })
      .sort({ at: 1 })
      .toArray();
    expect(audit.map((a) => a.action)).toEqual(['case.contact', 'case.resolve']);
    expect(audit[1]).toMatchObject({ before: { status: 'in_progress' }, after: { status: 'resolved' } });
    // Every email of the case went out once.
    const keys = await c.emails(h.db).find({ caseId: invitationId }).toArray();
    expect(keys.map((k) => k.status)).toEqual(keys.map(() => 'sent'));
  });

  it('when an action does not fit the case, then it is refused with the reason and nothing is written', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '2', went_wrong: 'Slow' })).status).toBe(200);
    await caseIn(invitationId);
    await caseReady(invitationId);
    const before = await c.caseTimeline(h.db).countDocuments({ caseId: invitationId });

    const reopen = await act(invitationId, 'reopen', { note: 'why not' });
    expect(reopen.status).toBe(409);
    expect(reopen.json.error).toBe('Only a resolved case can be reopened.');
    const unknownCause = await act(invitationId, 'resolve', { rootCause: 'Gremlins', customerMessage: 'x' });
    expect(unknownCause.status).toBe(409);
    expect(unknownCause.json.error).toContain('Unknown root cause "Gremlins"');
    expect((await act(invitationId, 'resolve', { rootCause: 'Other' })).json.error).toContain('message the customer');
    expect((await act(invitationId, 'explode')).status).toBe(400);
    expect((await act(invitationId, 'note', { note: 'x'.repeat(6000) })).status).toBe(400);
    expect((await act(invitationId, 'reassign', { ownerId: 'ghost@example.com' })).status).toBe(400);
    expect((await act('no-such-case', 'acknowledge')).status).toBe(404);

    expect((await act(invitationId, 'acknowledge')).status).toBe(200);
    const again = await act(invitationId, 'acknowledge');
    expect(again.status).toBe(409);
    expect(again.json.error).toBe('The case was already acknowledged.');
    expect(await c.caseTimeline(h.db).countDocuments({ caseId: invitationId })).toBe(before + 1);

    // Reopened by the owner while the follow-up survey is open: the survey is withdrawn.
    expect((await act(invitationId, 'resolve', { rootCause: 'Other', customerMessage: 'Done.' })).status).toBe(200);
    const survey = await waitUntil('the follow-up survey', async () =>
      (await mailTo(h, customer.email)).find((m) => m.subject === 'Is your problem solved?'),
    );
    expect((await act(invitationId, 'reopen', { note: 'Found another problem' })).status).toBe(200);
    const followUpId = `${followUp}:case-resolved-1:${invitationId}`;
    await waitUntil(
      'the follow-up withdrawn',
      async () => (await c.invitations(h.db).findOne({ _id: followUpId }))?.status === 'cancelled',
    );
    expect((await postForm(surveyLinkIn(survey.text), { solved: 'yes', csat: '5' })).status).toBe(404);
    expect((await c.cases(h.db).findOne({ _id: invitationId }))?.status).toBe('reopened');
  });

  it('when an owner acts while the case workflow is still writing the case, then the action waits for the case, not refused', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    const client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    try {
      expect((await postForm(link, { nps: '2', went_wrong: 'Slow' })).status).toBe(200);
      const handle = client.workflow.getHandle(caseWorkflowId(invitationId));
      // Polled tightly: the action must arrive before the workflow's first activity has written the case.
      while (
        !(await handle.describe().then(
          () => true,
          () => false,
        ))
      )
        await new Promise((r) => setTimeout(r, 5));
      const acknowledged = await handle.executeUpdate(caseActionUpdate, {
        args: [{ input: { action: 'acknowledge' }, actor: { id: CASE_PEOPLE.owner.email, canReassign: false } }],
      });
      expect(acknowledged.firstResponse.metAt).toBeDefined();
      expect((await caseIn(invitationId)).firstResponse.metAt).toBeDefined();
    } finally {
      await client.connection.close();
    }
  });

  it('when the customer says it is not solved, then the case reopens for the owner and closes after the next fix', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '4', went_wrong: 'Slow' })).status).toBe(200);
    await caseReady(invitationId);

    const fix = { rootCause: 'Billing error', customerMessage: 'We refunded the fee.' };
    expect((await act(invitationId, 'resolve', fix)).status).toBe(200);
    const [first] = await mailWith(customer.email, 'Is your problem solved?');
    expect((await postForm(surveyLinkIn(first!.text), { solved: 'no', csat: '4' })).status).toBe(200);
    const reopened = await caseIn(invitationId, 'reopened');
    expect(reopened.resolution.metAt).toBeUndefined();
    await mailWith(CASE_PEOPLE.owner.email, 'not solved: case reopened', 1, invitationId);

    expect((await act(invitationId, 'resolve', { ...fix, customerMessage: 'We refunded both fees.' })).status).toBe(
      200,
    );
    const surveys = await mailWith(customer.email, 'Is your problem solved?', 2);
    expect((await postForm(surveyLinkIn(surveys[0]!.text), { solved: 'yes', csat: '5' })).status).toBe(200);
    await caseIn(invitationId, 'closed');
    const { json } = await api(h, 'GET', `/api/cases/${encodeURIComponent(invitationId)}`);
    expect((json.timeline as { kind: string }[]).map((e) => e.kind)).toEqual([
      'opened',
      'resolve',
      'reopened',
      'resolve',
      'closed',
    ]);
  });

  it('while a case is open, the customer gets no new survey, a second reply joins the case, and closing lifts the hold', async () => {
    const followUp = await createFollowUpProgram(h, '2s');
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });
    const trigger = await triggerOf(h, programId);
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    // A second invitation, sent before the case opens.
    const second = eventFor({ trigger }, customer);
    expect((await api(h, 'POST', '/api/events', second)).status).toBe(202);
    const [secondMail] = await waitUntil('the second invitation', async () => {
      const mails = (await mailTo(h, customer.email)).filter((m) => m.subject === 'How did we do?');
      return mails.length === 2 ? mails : undefined;
    });

    expect((await postForm(link, { nps: '5', went_wrong: 'Slow' })).status).toBe(200);
    await caseReady(invitationId);
    expect((await postForm(surveyLinkIn(secondMail!.text), { nps: '1', went_wrong: 'I will cancel' })).status).toBe(
      200,
    );
    const joined = await waitUntil('the second reply to join the case', async () => {
      const doc = await c.cases(h.db).findOne({ _id: invitationId });
      return doc && doc.replyIds.length === 2 ? doc : undefined;
    });
    expect(joined.priority).toBe('urgent');
    expect(await c.cases(h.db).countDocuments({ customerId: customer.id })).toBe(1);

    const held = eventFor({ trigger }, customer);
    expect((await api(h, 'POST', '/api/events', held)).status).toBe(202);
    const decision = await waitUntil('the held event decided', () =>
      c.contactDecisions(h.db).findOne({ eventId: held.id }),
    );
    expect(decision).toMatchObject({ action: 'skip', reason: expect.stringContaining('open case') });

    // Resolved, and no answer to the follow-up by its expiry (2 s): closed, and surveys resume.
    expect((await act(invitationId, 'resolve', { rootCause: 'Other', customerMessage: 'Sorted.' })).status).toBe(200);
    await caseIn(invitationId, 'closed');
    // Once the case's workflow has released the customer's open-case claim, just after the close.
    await workflowEnded(h, caseWorkflowId(invitationId));
    const after = eventFor({ trigger }, customer);
    expect((await api(h, 'POST', '/api/events', after)).status).toBe(202);
    const resumed = await waitUntil('the event after closing decided', () =>
      c.contactDecisions(h.db).findOne({ eventId: after.id }),
    );
    expect(resumed.action).toBe('send');
  });

  it('when the customer declines contact, then the case is internal only: no customer email, no follow-up', async () => {
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(
      h,
      { firstResponse: '1h', resolution: '1d', followUpProgram: followUp },
      {
        survey: {
          editGrace: '0s',
          questions: [
            { id: 'nps', type: 'nps', required: true, label: 'Recommend us?' },
            {
              id: 'consent',
              type: 'single',
              purpose: 'contact-consent',
              label: 'May we contact you about your feedback?',
              options: [
                { value: 'yes', label: 'Yes' },
                { value: 'no', label: 'No' },
              ],
            },
          ],
        },
      },
    );
    const { customer, link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '2', consent: 'no' })).status).toBe(200);
    const opened = await caseIn(invitationId);
    expect(opened.mayContact).toBe(false);
    await caseReady(invitationId);
    const contact = await act(invitationId, 'contact', { subject: 'Hi', message: 'Hello' });
    expect(contact.status).toBe(409);
    expect(contact.json.error).toBe('The customer asked not to be contacted about this feedback.');
    expect((await act(invitationId, 'resolve', { rootCause: 'Other', note: 'Fixed internally' })).status).toBe(200);
    await caseIn(invitationId, 'closed');
    await workflowEnded(h, caseWorkflowId(invitationId));
    // Only the survey invitation itself ever reached the customer.
    expect((await mailTo(h, customer.email)).map((m) => m.subject)).toEqual(['How did we do?']);
  });
});
