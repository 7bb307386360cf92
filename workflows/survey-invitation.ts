import { condition, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { durationMs } from '../src/domain/duration';
import { type InvitationPhase, type SurveyInvitationInput, invitationPhaseQuery, replySubmittedSignal } from './definitions';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2, nonRetryableErrorTypes: ['PermanentDeliveryError'] },
});

/**
 * One survey invitation: send it when due, remind non-responders, expire it, and once the
 * customer replies (and their edit window has passed) score the reply.
 */
export async function surveyInvitationWorkflow(input: SurveyInvitationInput): Promise<InvitationPhase> {
  let phase: InvitationPhase = 'waiting-to-send';
  let replied = false;
  setHandler(invitationPhaseQuery, () => phase);
  setHandler(replySubmittedSignal, () => {
    replied = true;
  });

  await sleepUntil(input.sendAt);
  const invitation = await activities.createInvitation(input);
  if (invitation.status === 'cancelled') return (phase = 'cancelled');

  const sent = await activities.sendSurveyEmail({ invitationId: input.invitationId, kind: 'invitation' });
  if (sent.status === 'failed') return (phase = 'failed');
  phase = 'awaiting-reply';

  const sentAt = sent.sentAt;
  for (const [index, reminder] of input.reminders.entries()) {
    if (await waitForReplyUntil(sentAt + durationMs(reminder), () => replied)) break;
    await activities.sendSurveyEmail({ invitationId: input.invitationId, kind: 'reminder', reminderNumber: index + 1 });
  }
  if (!(await waitForReplyUntil(sentAt + durationMs(input.expiresAfter), () => replied))) {
    const { expired } = await activities.expireInvitation({ invitationId: input.invitationId });
    if (expired) return (phase = 'expired');
  }

  const { editableUntil } = await activities.acknowledgeReply({ invitationId: input.invitationId });
  phase = 'in-edit-grace';
  await sleepUntil(editableUntil);
  await activities.finalizeReply({ invitationId: input.invitationId });
  return (phase = 'answered');
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
