import {
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  startChild,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { caseWorkflow } from './case';
import { durationMs } from '../src/domain/duration';
import {
  type InvitationPhase,
  type SurveyInvitationInput,
  CaseStatusAttribute,
  EMAIL_ACTIVITY_OPTIONS,
  CustomerIdAttribute,
  ProgramIdAttribute,
  campaignInvitationEndedSignal,
  campaignWorkflowId,
  caseWorkflowId,
  invitationPhaseQuery,
  replyAttachedSignal,
  replySubmittedSignal,
} from './definitions';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1m',
  // MongoDB outages are retried until they pass.
  retry: { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 },
});
const mail = proxyActivities<ReturnType<typeof createActivities>>(EMAIL_ACTIVITY_OPTIONS);

/**
 * One survey invitation: send it when due, remind non-responders, expire it, and once the
 * customer replies (and their edit window has passed) score the reply.
 */
export async function surveyInvitationWorkflow(input: SurveyInvitationInput): Promise<InvitationPhase> {
  const phase = await inviteAndAwaitReply(input);
  if (input.campaignId) await reportEndToCampaign(input.campaignId, input.customerId, phase);
  return phase;
}

async function inviteAndAwaitReply(input: SurveyInvitationInput): Promise<InvitationPhase> {
  let phase: InvitationPhase = 'waiting-to-send';
  let replies = 0;
  const replied = () => replies > 0;
  setHandler(invitationPhaseQuery, () => phase);
  setHandler(replySubmittedSignal, () => {
    replies++;
  });

  await sleepUntil(input.sendAt);
  const invitation = await activities.createInvitation(input);
  if (invitation.status === 'cancelled') return (phase = 'cancelled');

  const sent = await mail.sendSurveyEmail({ invitationId: input.invitationId, kind: 'invitation' });
  if (sent.status === 'failed') return (phase = 'failed');
  phase = 'awaiting-reply';

  const sentAt = sent.sentAt;
  for (const [index, reminder] of input.reminders.entries()) {
    if (await waitForReplyUntil(sentAt + durationMs(reminder), replied)) break;
    await mail.sendSurveyEmail({ invitationId: input.invitationId, kind: 'reminder', reminderNumber: index + 1 });
  }
  if (!(await waitForReplyUntil(sentAt + durationMs(input.expiresAfter), replied))) {
    const { expired } = await activities.expireInvitation({ invitationId: input.invitationId });
    if (expired) return (phase = 'expired');
  }

  phase = 'in-edit-grace';
  // Each edit may move the deadline (a partial reply completed, say), so it is re-read after
  // every signal; `seen` is taken before the read so an edit during it is not missed.
  let seen = replies;
  let { editableUntil } = await activities.acknowledgeReply({ invitationId: input.invitationId });
  for (;;) {
    if (await waitForReplyUntil(editableUntil, () => replies > seen)) {
      seen = replies;
      ({ editableUntil } = await activities.acknowledgeReply({ invitationId: input.invitationId }));
      continue;
    }
    const result = await activities.finalizeReply({ invitationId: input.invitationId });
    if (result.final) {
      if (patched('cases-from-replies')) await openOrAttachCase(input.invitationId);
      return (phase = 'answered');
    }
    editableUntil = result.editableUntil;
  }
}

async function reportEndToCampaign(campaignId: string, customerId: string, phase: InvitationPhase): Promise<void> {
  try {
    await getExternalWorkflowHandle(campaignWorkflowId(campaignId)).signal(campaignInvitationEndedSignal, {
      customerId,
      phase,
    });
  } catch {
    // The campaign was cancelled and has ended.
  }
}

async function sleepUntil(at: number): Promise<void> {
  const wait = at - Date.now();
  if (wait > 0) await sleep(wait);
}

/** True when `done()` holds before `deadline`. */
async function waitForReplyUntil(deadline: number, done: () => boolean): Promise<boolean> {
  const wait = deadline - Date.now();
  if (wait <= 0) return done();
  return condition(done, wait);
}

/**
 * A reply the program's case rules call out opens a case (its own workflow, which outlives this
 * one) or, when the customer has one open for the program, is attached to it. A case that closed
 * between the decision and the signal makes the decision run again.
 */
async function openOrAttachCase(invitationId: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const decision = await activities.decideCaseForReply({ invitationId });
    if (decision.action === 'none') return;
    if (decision.action === 'open') {
      const { action: _open, customerKey, ...input } = decision;
      // By name: the case workflow imports this module for its follow-up survey.
      await startChild<typeof caseWorkflow>('caseWorkflow', {
        workflowId: caseWorkflowId(decision.caseId),
        args: [input],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          // The key, as the customer ID may itself be personal (decisions of older histories lack it).
          { key: CustomerIdAttribute, value: customerKey ?? input.customerId },
          { key: ProgramIdAttribute, value: input.programId },
          { key: CaseStatusAttribute, value: 'open' },
        ],
      });
      return;
    }
    try {
      await getExternalWorkflowHandle(caseWorkflowId(decision.caseId)).signal(replyAttachedSignal, {
        replyId: invitationId,
        priority: decision.priority,
        reasons: decision.reasons,
      });
      return;
    } catch {
      // The case closed meanwhile; decide again.
    }
  }
}
