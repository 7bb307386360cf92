import {
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { caseWorkflow } from './case';
import type { CaseDecision } from '../activities/cases';
import type { FinalizeOptions, Finalized } from '../activities/replies';
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

type Activities = ReturnType<typeof createActivities>;
// MongoDB outages are retried until they pass.
const RETRY = { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 } as const;
const activities = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: RETRY });
/**
 * The invitation's database steps in a lean run: short, idempotent writes by `_id` whose
 * exactly-once logic trusts neither attempts nor heartbeats, so a re-run from attempt 1 (after a
 * lost workflow task) decides the same. Past the threshold a retry waits on a timer.
 */
const local = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  localRetryThreshold: '10s',
  retry: RETRY,
});
const mail = proxyActivities<Activities>(EMAIL_ACTIVITY_OPTIONS);
/** A lean run's finalizing: the case decided in the same step, praise emails left to a regular activity. */
const LEAN_FINALIZE: FinalizeOptions = { decideCase: true, praiseApart: true };

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
  // Runs without the marker (started before) keep their regular activities and separate steps.
  const lean = patched('lean-invitation');
  const steps = lean ? local : activities;
  let phase: InvitationPhase = 'waiting-to-send';
  let replies = 0;
  const replied = () => replies > 0;
  setHandler(invitationPhaseQuery, () => phase);
  setHandler(replySubmittedSignal, () => {
    replies++;
  });

  await sleepUntil(input.sendAt);
  const invitation = await steps.createInvitation(input);
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
    const { expired } = await steps.expireInvitation({ invitationId: input.invitationId });
    if (expired) return (phase = 'expired');
  }

  phase = 'in-edit-grace';
  const finalized = await awaitFinalReply(input.invitationId, steps, lean, () => replies);
  if (lean || patched('cases-from-replies')) await openOrAttachCase(input.invitationId, steps, finalized.case);
  // After the case: an SMTP outage delays the praise, not the case.
  if (finalized.praiseLocale)
    await mail.sendReplyPraise({ invitationId: input.invitationId, locale: finalized.praiseLocale });
  return (phase = 'answered');
}

/**
 * Acknowledges the reply and finalizes it once its edit window has passed. Each edit may move the
 * deadline (a partial reply completed, say), so it is re-read after every signal; `seen` is taken
 * before the read so an edit during it is not missed. A lean run acknowledges and finalizes in one
 * step when the window has already passed, and decides the case with the finalizing.
 */
async function awaitFinalReply(
  invitationId: string,
  steps: typeof activities,
  lean: boolean,
  replies: () => number,
): Promise<Finalized> {
  const acknowledge = { invitationId, ...(lean ? { finalizeIfDue: LEAN_FINALIZE } : {}) };
  let seen = replies();
  let { editableUntil, finalized } = await steps.acknowledgeReply(acknowledge);
  while (!finalized) {
    if (await waitForReplyUntil(editableUntil, () => replies() > seen)) {
      seen = replies();
      ({ editableUntil, finalized } = await steps.acknowledgeReply(acknowledge));
      continue;
    }
    const result = await steps.finalizeReply({ invitationId, ...(lean ? LEAN_FINALIZE : {}) });
    if (result.final) finalized = result;
    else editableUntil = result.editableUntil;
  }
  return finalized;
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
 * between the decision and the signal makes the decision run again. `decided`: the first decision,
 * made while finalizing (a lean run).
 */
async function openOrAttachCase(invitationId: string, steps: typeof activities, decided?: CaseDecision): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const decision = (attempt === 0 && decided) || (await steps.decideCaseForReply({ invitationId }));
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
