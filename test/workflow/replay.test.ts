import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import * as c from '../../src/db/collections';
import { temporalCliPath } from '../../src/stack/tools';
import { codecDataConverter, parseCodecKeys } from '../../src/temporal/codec';
import { connectTemporalClient } from '../../src/temporal/connection';
import { caseWorkflowId, invitationWorkflowId } from '../../workflows/definitions';
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
  waitUntil,
  workflowEnded,
} from '../support/harness';
import { TEST_CODEC_KEYS } from '../support/codec-keys';

const HISTORIES = path.join(__dirname, 'histories');
const TEST_DATA_CONVERTER = codecDataConverter(parseCodecKeys(TEST_CODEC_KEYS));

/**
 * Histories recorded from earlier workflow code, replayed against the current code: a change
 * that would break workflows already running fails here (guard such changes with `patched()`).
 * `RECORD_HISTORIES=1 npx vitest run test/workflow/replay.test.ts` records fresh ones.
 */
describe('workflow replay', () => {
  // `RECORD_HISTORIES=cases` records only the case histories, keeping the older ones as they are.
  const recordCases = process.env.RECORD_HISTORIES === 'cases';
  const record = Boolean(process.env.RECORD_HISTORIES) && !recordCases;
  let h: Harness | undefined;

  beforeAll(async () => {
    // Recorded without the payload codec, so the checked-in histories stay readable in review.
    if (record || recordCases) h = await startHarness({ env: { TEMPORAL_CODEC_KEYS: '' } });
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
      save('case-escalated-reopened-closed', caseWorkflowId(invitationId));
      save('survey-invitation-opens-case', invitationWorkflowId(invitationId));
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
      await saveEnded('survey-invitation-answered', invitationWorkflowId(answered.invitationId));
      await saveEnded('survey-invitation-expired', invitationWorkflowId(expired.invitationId));
      await saveEnded('customer-loop', await loopIdOf(harness, answered.customer.id));
      await client.connection.close();
    },
  );

  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('when %s is replayed against the current code, then it is deterministic', async (file) => {
    const history: unknown = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
    // With the codec, as a production worker replays histories written before encryption was on.
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('stack').workflowBundlePath }, dataConverter: TEST_DATA_CONVERTER },
      history,
      file,
    );
  });
});
