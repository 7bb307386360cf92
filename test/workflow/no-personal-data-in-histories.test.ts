import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { AesGcmCodec, parseCodecKeys } from '../../src/temporal/codec';
import { connectTemporalClient } from '../../src/temporal/connection';
import {
  CustomerIdAttribute,
  caseWorkflowId,
  invitationWorkflowId,
  scoresWorkflowId,
} from '../../workflows/definitions';
import { createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import { TEST_CODEC_KEYS } from '../support/codec-keys';
import {
  type Harness,
  api,
  eventFor,
  loopIdOf,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  triggerOf,
  uid,
  waitUntil,
  workflowEnded,
} from '../support/harness';

const codec = new AesGcmCodec(parseCodecKeys(TEST_CODEC_KEYS));

/** Every payload-shaped object (`metadata` and `data`) in a fetched history. */
function payloadsIn(node: unknown, found: Payload[] = []): Payload[] {
  if (!node || typeof node !== 'object' || node instanceof Uint8Array) return found;
  if ('metadata' in node && 'data' in node) found.push(node as Payload);
  else for (const child of Object.values(node)) payloadsIn(child, found);
  return found;
}

/**
 * A history as text, its payloads decrypted (the codec is defence in depth: what must hold is that
 * nothing personal is there even decrypted) and their `data` (inputs, results, signals, updates,
 * memos, search attributes: JSON bytes) decoded, so a search sees what is stored.
 */
async function historyText(history: object): Promise<string> {
  for (const payload of payloadsIn(history)) Object.assign(payload, (await codec.decode([payload]))[0]);
  return JSON.stringify(history, (key, field: unknown) => {
    if (field instanceof Uint8Array) return Buffer.from(field).toString('utf8');
    return key === 'data' && typeof field === 'string' ? Buffer.from(field, 'base64').toString('utf8') : field;
  });
}

describe('personal data and Temporal', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
  });
  afterAll(() => h?.stop());

  const mailWith = (to: string, subject: string) =>
    waitUntil(`an email "${subject}" to ${to}`, async () =>
      (await mailTo(h, to)).find((m) => m.subject.includes(subject)),
    );

  it('when a customer goes round the whole closed loop, then no history holds their email, name or words', async () => {
    const marker = uid('MARKER').toUpperCase();
    const customer = {
      id: uid('cust'),
      email: `${marker.toLowerCase()}.olivia@example.com`,
      name: `Olivia ${marker}-NAME Quist`,
    };
    const secrets = [
      customer.email,
      customer.name,
      `${marker}-NAME`,
      `${marker}-ATTRIBUTE`,
      `${marker}-IMPORTED`,
      `${marker}-VERBATIM`,
      `${marker}-NOTE`,
      `${marker}-SUBJECT`,
      `${marker}-CONTACT`,
      `${marker}-RESOLUTION`,
      `${marker}-TO-CUSTOMER`,
      `${marker}-COMMENT`,
    ];
    const followUp = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram: followUp });

    // A profile change through the loop's update, a transaction, then an import's change (a signal).
    const put = await api(h, 'PUT', `/api/customers/${customer.id}`, {
      email: customer.email,
      name: customer.name,
      attributes: { favourite: `${marker}-ATTRIBUTE` },
    });
    expect(put.status).toBe(200);
    const event = eventFor({ trigger: await triggerOf(h, programId) }, customer);
    expect((await api(h, 'POST', '/api/events', { ...event, customer })).status).toBe(202);
    const invitation = await mailWith(customer.email, 'How did we do?');
    const imported = await fetch(`${h.baseUrl}/api/customers:import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'text/csv' },
      body: `id,email,name\n${customer.id},${customer.email},Olivia ${marker}-IMPORTED\n`,
    });
    expect(imported.status).toBe(200);
    await waitUntil('the imported name', async () =>
      (await c.customers(h.db).findOne({ _id: customer.id }))?.name?.includes('IMPORTED'),
    );
    // The stored changes were only for the hand-over.
    await waitUntil(
      'the applied changes to be removed',
      async () => (await c.profileChanges(h.db).countDocuments({ customerId: customer.id })) === 0,
    );

    // The detractor's reply opens a case, which the owner works and resolves.
    const caseId = `${programId}:${event.id}`;
    expect(
      (await postForm(surveyLinkIn(invitation.text), { nps: '2', went_wrong: `Broken, ${marker}-VERBATIM` })).status,
    ).toBe(200);
    await waitUntil('the case to be ready', () =>
      c.emails(h.db).findOne({ _id: `case:${caseId}:assigned-0`, status: 'sent' }),
    );
    const act = (action: string, body: Record<string, unknown>) =>
      api(h, 'POST', `/api/cases/${encodeURIComponent(caseId)}/${action}`, body);
    expect((await act('note', { note: `Called them, ${marker}-NOTE` })).status).toBe(200);
    expect(
      (await act('contact', { subject: `${marker}-SUBJECT`, message: `Which one? ${marker}-CONTACT` })).status,
    ).toBe(200);
    const resolved = await act('resolve', {
      rootCause: 'Other',
      note: `Replaced it, ${marker}-RESOLUTION`,
      customerMessage: `We replaced it. ${marker}-TO-CUSTOMER`,
    });
    expect(resolved.status).toBe(200);

    // The words still reach the customer and the timeline, from MongoDB.
    expect((await mailWith(customer.email, `${marker}-SUBJECT`)).text).toContain(`${marker}-CONTACT`);
    expect((await mailWith(customer.email, 'What we did about your feedback')).text).toContain(`${marker}-TO-CUSTOMER`);
    const survey = await mailWith(customer.email, 'Is your problem solved?');
    const answer = { solved: 'yes', csat: '5', comment: `All good, ${marker}-COMMENT` };
    expect((await postForm(surveyLinkIn(survey.text), answer)).status).toBe(200);
    await workflowEnded(h, caseWorkflowId(caseId));
    const notes = (await c.caseTimeline(h.db).find({ caseId }).toArray()).map((e) => `${e.summary} ${e.note ?? ''}`);
    expect(notes.join('\n')).toContain(`${marker}-NOTE`);
    expect(notes.join('\n')).toContain(`Emailed the customer: ${marker}-SUBJECT`);
    expect((await c.cases(h.db).findOne({ _id: caseId }))?.customerMessage).toContain(`${marker}-TO-CUSTOMER`);

    // Every workflow of this deployment, every run.
    const followUpInvitation = await waitUntil('the follow-up invitation', () =>
      c.invitations(h.db).findOne({ customerId: customer.id, programId: followUp }),
    );
    const expected = [
      await loopIdOf(h, customer.id),
      invitationWorkflowId(caseId),
      caseWorkflowId(caseId),
      invitationWorkflowId(followUpInvitation._id),
      scoresWorkflowId(h.taskQueue),
    ];
    const client = await connectTemporalClient({ address: h.temporalAddress, namespace: h.config.temporal.namespace });
    try {
      const executions = await waitUntil('every workflow to be listed', async () => {
        const listed: WorkflowExecutionInfo[] = [];
        for await (const execution of client.workflow.list({ query: `TaskQueue = "${h.taskQueue}"` }))
          listed.push(execution);
        const ids = new Set(listed.map((execution) => execution.workflowId));
        return expected.every((id) => ids.has(id)) ? listed : undefined;
      });
      const histories: string[] = [];
      const found: string[] = [];
      for (const { workflowId, runId } of executions) {
        const text = await historyText(await client.workflow.getHandle(workflowId, runId).fetchHistory());
        found.push(...secrets.filter((secret) => text.includes(secret)).map((secret) => `${secret} in ${workflowId}`));
        histories.push(text);
      }
      expect(found).toEqual([]);
      // The payloads were read as text: the case's reasons are in its input.
      expect(histories.join('\n').includes('Detractor (NPS')).toBe(true);
    } finally {
      await client.connection.close();
    }
  });

  it('when the customer ID is an email, then workflow IDs and search attributes carry its key, not the ID', async () => {
    const customer = { id: `${uid('id')}@example.com`, email: `${uid('c')}@example.com` };
    const programId = await createCaseProgram(h, {
      firstResponse: '1h',
      resolution: '1d',
      followUpProgram: await createFollowUpProgram(h),
    });
    const event = eventFor({ trigger: await triggerOf(h, programId) }, customer);
    expect((await api(h, 'POST', '/api/events', event)).status).toBe(202);
    const invitation = await mailWith(customer.email, 'How did we do?');
    expect((await postForm(surveyLinkIn(invitation.text), { nps: '1', went_wrong: 'Late' })).status).toBe(200);
    const caseId = `${programId}:${event.id}`;
    await waitUntil('the case', () => c.cases(h.db).findOne({ _id: caseId }));

    const loopId = await loopIdOf(h, customer.id);
    const client = await connectTemporalClient({ address: h.temporalAddress, namespace: h.config.temporal.namespace });
    try {
      const theCase = await client.workflow.getHandle(caseWorkflowId(caseId)).describe();
      expect(theCase.typedSearchAttributes.get(CustomerIdAttribute)).toBe(loopId.slice('customer:'.length));
      const executions = await waitUntil('the loop and the case to be listed', async () => {
        const listed: WorkflowExecutionInfo[] = [];
        for await (const execution of client.workflow.list({ query: `TaskQueue = "${h.taskQueue}"` }))
          listed.push(execution);
        const ids = listed.map((execution) => execution.workflowId);
        return ids.includes(loopId) && ids.includes(caseWorkflowId(caseId)) ? listed : undefined;
      });
      const named = executions.map(({ workflowId, searchAttributes }) =>
        JSON.stringify({ workflowId, searchAttributes }),
      );
      expect(named.filter((text) => text.includes(customer.id))).toEqual([]);
    } finally {
      await client.connection.close();
    }
  });
});
