import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { type AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import * as c from '../../src/db/collections';
import { temporalCliPath } from '../../src/stack/tools';
import { codecDataConverter, parseCodecKeys } from '../../src/temporal/codec';
import { connectTemporalClient } from '../../src/temporal/connection';
import { insertNewCustomers } from '../../src/db/customers';
import {
  campaignWorkflowId,
  caseWorkflowId,
  erasureWebhooksWorkflowId,
  fanOutTaskQueue,
  invitationWorkflowId,
  scoresWorkflowId,
} from '../../workflows/definitions';
import { createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  type Harness,
  api,
  createProgram,
  inviteNewCustomer,
  loopIdOf,
  mailTo,
  postForm,
  startHarness,
  surveyLinkIn,
  uid,
  waitUntil,
  workflowEnded,
} from '../support/harness';
import { TEST_CODEC_KEYS } from '../support/codec-keys';

const HISTORIES = path.join(__dirname, 'histories');
const readHistory = (file: string): History => JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as History;

interface History {
  events: { workflowExecutionStartedEventAttributes?: { workflowType: { name: string } } }[];
}
const workflowTypeOf = (history: History) =>
  history.events[0]!.workflowExecutionStartedEventAttributes!.workflowType.name;
/** A recorded history under another workflow type, to replay it against a changed version of its code. */
const asType = (history: History, name: string): History => {
  const copy = structuredClone(history);
  copy.events[0]!.workflowExecutionStartedEventAttributes!.workflowType.name = name;
  return copy;
};

/** The workflow types the worker registers (workflows/index.ts). */
const WORKFLOW_TYPES = [
  ...readFileSync(path.join(__dirname, '../../workflows/index.ts'), 'utf8').matchAll(/export \{ (\w+) \}/g),
].map((m) => m[1]!);
const TEST_DATA_CONVERTER = codecDataConverter(parseCodecKeys(TEST_CODEC_KEYS));

/**
 * Histories recorded from earlier workflow code, replayed against the current code: a change
 * that would break workflows already running fails here (guard such changes with `patched()`).
 * `RECORD_HISTORIES=1 npx vitest run test/workflow/replay.test.ts` records fresh ones.
 */
describe('workflow replay', () => {
  // `RECORD_HISTORIES=cases` or `=others` records only those histories, keeping the older ones as they are.
  const recordCases = process.env.RECORD_HISTORIES === 'cases';
  const recordOthers = process.env.RECORD_HISTORIES === 'others';
  const record = Boolean(process.env.RECORD_HISTORIES) && !recordCases && !recordOthers;
  let h: Harness | undefined;

  beforeAll(async () => {
    // Recorded without the payload codec, so the checked-in histories stay readable in review.
    if (record || recordCases || recordOthers) h = await startHarness({ env: { TEMPORAL_CODEC_KEYS: '' } });
    if (recordCases) await setUpCaseRouting(h!);
  });
  afterAll(() => h?.stop());

  /** Writes a workflow's history with the CLI, in the proto JSON form historyFromJSON reads. */
  const save = (name: string, workflowId: string) => {
    const shown = spawnSync(
      temporalCliPath(),
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--address',
        inject('stack').temporalAddress,
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(shown.status, shown.stderr).toBe(0);
    writeFileSync(path.join(HISTORIES, `${name}.json`), shown.stdout);
  };

  it.runIf(recordCases)(
    'records the histories of cases: escalated twice, contacted, resolved, reopened by the customer, closed',
    async () => {
      const harness = h!;
      const followUp = await createFollowUpProgram(harness);
      const programId = await createCaseProgram(harness, {
        firstResponse: '1s',
        resolution: '3s',
        followUpProgram: followUp,
      });
      const { link, invitationId, customer } = await inviteNewCustomer(harness, programId);
      await postForm(link, { nps: '2', went_wrong: 'Late delivery' });
      await waitUntil('two escalations', async () => {
        const doc = await c.cases(harness.db).findOne({ _id: invitationId });
        return doc && doc.escalation >= 2;
      });
      const act = (action: string, body: Record<string, unknown>) =>
        api(harness, 'POST', `/api/cases/${encodeURIComponent(invitationId)}/${action}`, body);
      expect((await act('note', { note: 'Looking into it' })).status).toBe(200);
      expect((await act('wait', {})).status).toBe(200);
      expect((await act('resume', {})).status).toBe(200);
      expect((await act('resolve', { rootCause: 'Other', customerMessage: 'Fixed.' })).status).toBe(200);
      const survey = async (count: number) =>
        waitUntil('the follow-up survey', async () => {
          const mails = (await mailTo(harness, customer.email)).filter((m) => m.subject === 'Is your problem solved?');
          return mails.length >= count ? mails[0] : undefined;
        });
      await postForm(surveyLinkIn((await survey(1)).text), { solved: 'no', csat: '2' });
      await waitUntil(
        'reopened',
        async () => (await c.cases(harness.db).findOne({ _id: invitationId }))?.status === 'reopened',
      );
      expect((await act('resolve', { rootCause: 'Other', customerMessage: 'Fixed again.' })).status).toBe(200);
      await postForm(surveyLinkIn((await survey(2)).text), { solved: 'yes', csat: '5' });
      await workflowEnded(harness, caseWorkflowId(invitationId));
      // The lean path (patched('lean-case')); case-escalated-reopened-closed.json keeps the path before it.
      save('case-lean-escalated-reopened-closed', caseWorkflowId(invitationId));
      save('survey-invitation-lean-opens-case', invitationWorkflowId(invitationId));
    },
  );

  it.runIf(record)(
    'records the histories of a full loop: decision, invitation, reminder, reply, edit, scoring, expiry',
    async () => {
      const harness = h!;
      const programId = await createProgram(harness, {
        id: 'replay-program',
        reminders: ['1s'],
        expiresAfter: '3s',
        survey: {
          editGrace: '2s',
          questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }],
        },
      });
      const answered = await inviteNewCustomer(harness, programId);
      await waitUntil(
        'the reminder',
        async () => (await c.invitations(harness.db).findOne({ _id: answered.invitationId }))?.remindedAt?.length,
      );
      await postForm(answered.link, { nps: '4' });
      await postForm(answered.link, { nps: '6' });
      await waitUntil(
        'scoring',
        async () => (await c.responses(harness.db).findOne({ _id: answered.invitationId }))?.scores,
      );
      const expired = await inviteNewCustomer(harness, programId);
      await waitUntil(
        'expiry',
        async () => (await c.invitations(harness.db).findOne({ _id: expired.invitationId }))?.status === 'expired',
      );

      const client = await connectTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default' });
      const saveEnded = async (name: string, workflowId: string) => {
        if (workflowId.startsWith('invitation:')) await client.workflow.getHandle(workflowId).result();
        save(name, workflowId);
      };
      await saveEnded('survey-invitation-lean-answered', invitationWorkflowId(answered.invitationId));
      await saveEnded('survey-invitation-lean-expired', invitationWorkflowId(expired.invitationId));
      await saveEnded('customer-loop-lean', await loopIdOf(harness, answered.customer.id));
      await client.connection.close();
    },
  );

  it.runIf(recordOthers)(
    'records the histories of the other workflow types: scores, sweep, relationship wave, campaign, erasure webhooks',
    async () => {
      const harness = h!;
      const client = await connectTemporalClient({ address: inject('stack').temporalAddress, namespace: 'default' });
      const cohort = uid('replay-cohort');
      const customers = ['a', 'b'].map((n) => ({
        id: `${cohort}-${n}`,
        email: `${cohort}-${n}@example.com`,
        locale: 'en',
        attributes: { cohort },
      }));
      await insertNewCustomers(harness.db, customers);

      const scoredProgram = await createProgram(harness, { id: uid('replay-scored') });
      await postForm((await inviteNewCustomer(harness, scoredProgram)).link, { nps: '9' });
      await waitUntil(
        'the reply counted',
        async () => (await c.rollups(harness.db).countDocuments({ programId: scoredProgram })) > 0,
      );
      save('scores', scoresWorkflowId(harness.taskQueue));

      const sweepId = uid('replay-sweep');
      await client.workflow.execute('sweepWorkflow', { taskQueue: harness.taskQueue, workflowId: sweepId });
      save('sweep', sweepId);

      const waveProgram = uid('replay-wave');
      const wave = await api(harness, 'PUT', `/api/programs/${waveProgram}`, {
        name: 'Relationship replay',
        kind: 'relationship',
        cadence: { cycle: '1d' },
        audience: { cohort: [cohort] },
        reminders: [],
        expiresAfter: '1h',
        survey: { editGrace: '0s', questions: [{ id: 'nps', type: 'nps', required: true, label: 'Recommend us?' }] },
        email: { subject: 'How are we doing?', intro: 'Once a year we ask our customers.' },
      });
      expect(wave.status, wave.text).toBe(201);
      const waveId = uid('replay-wave-run');
      await client.workflow.execute('relationshipWaveWorkflow', {
        taskQueue: fanOutTaskQueue(harness.taskQueue),
        workflowId: waveId,
        args: [{ programId: waveProgram }],
      });
      save('relationship-wave', waveId);

      const campaignId = uid('replay-campaign');
      const launched = await api(harness, 'POST', '/api/campaigns', {
        id: campaignId,
        name: 'Replay probe',
        programId: await createProgram(harness, { kind: 'pulsed', triggers: [], expiresAfter: '2s' }),
        segment: { attributes: { cohort: [cohort] } },
      });
      expect(launched.status, launched.text).toBe(201);
      await client.workflow.getHandle(campaignWorkflowId(campaignId)).result();
      save('campaign', campaignWorkflowId(campaignId));

      // The erasure announces itself only to a receiver subscribed to it.
      const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end()));
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const hook = await api(harness, 'POST', '/api/webhooks', {
        url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
        events: ['customer.erased'],
      });
      expect(hook.status, hook.text).toBe(201);
      expect((await api(harness, 'DELETE', `/api/customers/${customers[0]!.id}`)).status).toBe(200);
      const announcement = client.workflow.getHandle(erasureWebhooksWorkflowId(customers[0]!.id));
      // Started by the customer's loop once it erased them: not found until then.
      await waitUntil('the erasure announced', async () =>
        announcement.describe().then(
          (d) => d.status.name === 'COMPLETED',
          () => false,
        ),
      );
      save('erasure-webhooks', erasureWebhooksWorkflowId(customers[0]!.id));
      await api(harness, 'DELETE', `/api/webhooks/${hook.json.id as string}`);
      await new Promise((resolve) => receiver.close(resolve));
      await client.connection.close();
    },
  );

  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

  it('has a recorded history of every workflow type the worker runs', () => {
    const recorded = new Set(files.map((file) => workflowTypeOf(readHistory(file))));
    expect(WORKFLOW_TYPES.filter((type) => !recorded.has(type))).toEqual([]);
  });

  it.each(files)('when %s is replayed against the current code, then it is deterministic', async (file) => {
    const history = readHistory(file);
    // With the codec, as a production worker replays histories written before encryption was on.
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('stack').workflowBundlePath }, dataConverter: TEST_DATA_CONVERTER },
      history,
      file,
    );
  });
});

/**
 * The rule a maintainer follows when changing a workflow, shown on a real history: a new step
 * that running workflows never took breaks their replay (Temporal would stop them with a
 * non-determinism error at the next deploy); the same step behind `patched()` replays, because
 * histories without the patch marker take the old path.
 */
describe('changing a workflow that is already running', () => {
  const changed = path.join(__dirname, 'fixtures/changed-workflows.ts');
  const answered = readHistory('survey-invitation-answered.json');

  it('when a step is added without patched(), then replaying a history from before fails', async () => {
    await expect(
      Worker.runReplayHistory({ workflowsPath: changed }, asType(answered, 'invitationWithUnguardedStep')),
    ).rejects.toThrow(/[Nn]ondeterminism|DeterminismViolation/);
  });

  it('when the same step is behind patched(), then the history from before replays', async () => {
    await Worker.runReplayHistory({ workflowsPath: changed }, asType(answered, 'invitationWithPatchedStep'));
  });
});
