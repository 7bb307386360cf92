import {
  ParentClosePolicy,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { decideContact } from '../src/domain/contact';
import { durationMs } from '../src/domain/duration';
import {
  type CustomerLoopInput,
  invitationIdFor,
  invitationWorkflowId,
  transactionRecordedSignal,
} from './definitions';
import { surveyInvitationWorkflow } from './survey-invitation';

const { planContacts, recordContactDecision, markEventProcessed } = proxyActivities<
  ReturnType<typeof createActivities>
>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** Keeps histories small: well under Temporal's limits even for very frequent transactors. */
const DEFAULT_HISTORY_LIMIT = 2_000;

/**
 * One per customer and the single writer of that customer's contact decisions: for each
 * transaction it decides, per matching program, whether to survey now, later or not at all.
 */
export async function customerLoopWorkflow(input: CustomerLoopInput): Promise<void> {
  const pending = [...(input.pending ?? [])];
  setHandler(transactionRecordedSignal, ({ eventId }) => {
    if (!pending.includes(eventId)) pending.push(eventId);
  });

  for (;;) {
    const hasWork = await condition(() => pending.length > 0, durationMs(input.idleTimeout));
    if (!hasWork) return;
    await decideOnTransaction(input.customerId, pending[0]!);
    pending.shift();
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) {
      await continueAsNew<typeof customerLoopWorkflow>({ ...input, pending });
    }
  }
}

async function decideOnTransaction(customerId: string, eventId: string): Promise<void> {
  const plan = await planContacts({ customerId, eventId });
  // planContacts now marks an event no program wants; histories from before still call markEventProcessed.
  if (plan.processed && patched('plan-marks-unmatched-events')) return;
  for (const candidate of plan.candidates) {
    const decision = decideContact({ ...candidate.input, now: Date.now() });
    const invitationId = decision.action === 'skip' ? undefined : invitationIdFor(candidate.program.id, eventId);
    await recordContactDecision({ customerId, eventId, programId: candidate.program.id, decision, invitationId });
    if (decision.action === 'skip' || !invitationId) continue;
    await startChild(surveyInvitationWorkflow, {
      workflowId: invitationWorkflowId(invitationId),
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [
        {
          invitationId,
          programId: candidate.program.id,
          customerId,
          eventId,
          sendAt: decision.sendAt,
          reminders: candidate.program.reminders,
          expiresAfter: candidate.program.expiresAfter,
          editGrace: candidate.program.editGrace,
        },
      ],
    });
  }
  await markEventProcessed({ eventId });
}
