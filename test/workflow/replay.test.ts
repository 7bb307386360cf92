import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import * as c from '../../src/db/collections';
import { temporalCliPath } from '../../src/stack/tools';
import { connectTemporalClient } from '../../src/temporal/connection';
import { customerWorkflowId, invitationWorkflowId } from '../../workflows/definitions';
import { type Harness, createProgram, inviteNewCustomer, postForm, startHarness, waitUntil } from '../support/harness';

const HISTORIES = path.join(__dirname, 'histories');

/**
 * Histories recorded from earlier workflow code, replayed against the current code: a change
 * that would break workflows already running fails here (guard such changes with `patched()`).
 * `RECORD_HISTORIES=1 npx vitest run test/workflow/replay.test.ts` records fresh ones.
 */
describe('workflow replay', () => {
  const record = Boolean(process.env.RECORD_HISTORIES);
  let h: Harness | undefined;

  beforeAll(async () => {
    if (record) h = await startHarness();
  });
  afterAll(() => h?.stop());

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
      const save = async (name: string, workflowId: string) => {
        if (workflowId.startsWith('invitation:')) await client.workflow.getHandle(workflowId).result();
        // The CLI writes the history in the proto JSON form historyFromJSON reads.
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
      await save('survey-invitation-answered', invitationWorkflowId(answered.invitationId));
      await save('survey-invitation-expired', invitationWorkflowId(expired.invitationId));
      await save('customer-loop', customerWorkflowId(answered.customer.id));
      await client.connection.close();
    },
  );

  const files = readdirSync(HISTORIES).filter((f) => f.endsWith('.json'));

  it('has recorded histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)('when %s is replayed against the current code, then it is deterministic', async (file) => {
    const history: unknown = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: { codePath: inject('stack').workflowBundlePath } }, history, file);
  });
});
