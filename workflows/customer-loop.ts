import type { RetryPolicy } from '@temporalio/common';
import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { decideContact } from '../src/domain/contact';
import { durationMs } from '../src/domain/duration';
import {
  type CustomerLoopInput,
  type ErasureWork,
  type LoopWork,
  type ProfileWork,
  campaignDecidedSignal,
  campaignWorkflowId,
  customerWorkflowId,
  eraseUpdate,
  invitationIdFor,
  invitationWorkflowId,
  profileChangedSignal,
  profileUpdate,
  transactionRecordedSignal,
} from './definitions';
import { surveyInvitationWorkflow } from './survey-invitation';

type Activities = ReturnType<typeof createActivities>;
/** The loop's own steps: short reads and writes by `_id`, each safe to run again. */
type LoopSteps = Pick<
  Activities,
  'planContacts' | 'recordContactDecision' | 'markEventProcessed' | 'applyCustomerProfile' | 'legacyLoopRunning'
>;

const retry: RetryPolicy = { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 };
const activitySteps: LoopSteps = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry });
// Run in the workflow's own task (a marker instead of scheduling, task and completion events); a
// longer MongoDB outage than the threshold backs off with timers between attempts.
const localSteps: LoopSteps = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  localRetryThreshold: '10s',
  retry,
});
// A loop of an earlier version ends once idle, which the default LOOP_IDLE_TIMEOUT (1 h) bounds.
const { awaitLegacyLoop } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1d',
  heartbeatTimeout: '1m',
  retry,
});
// Stops every invitation workflow of the customer and clears their data: longer, so it reports progress.
const { eraseCustomerData } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry,
});

/** Keeps histories small: well under Temporal's limits even for very frequent transactors. */
const DEFAULT_HISTORY_LIMIT = 2_000;

/**
 * One per customer and the single writer of that customer's record and contact decisions: it
 * applies profile changes and erasure and, for each transaction, decides per matching program
 * whether to survey now, later or not at all — one piece of work at a time, in arrival order.
 */
export async function customerLoopWorkflow(input: CustomerLoopInput): Promise<void> {
  // Runs recorded before it take the regular activities, and mark each event in a step of its own.
  const lean = patched('lean-loop');
  const steps = lean ? localSteps : activitySteps;
  const pending: LoopWork[] = [...(input.pending ?? [])];
  setHandler(transactionRecordedSignal, ({ eventId }) => {
    if (!pending.includes(eventId)) pending.push(eventId);
  });
  setHandler(profileChangedSignal, (profile) => {
    pending.push({ profile });
  });
  // The callers learn the outcome once the loop has reached their work and done it.
  setHandler(profileUpdate, async (profile) => {
    const work: ProfileWork = { profile };
    await queueAndWait(pending, work);
    return work.outcome!;
  });
  setHandler(eraseUpdate, async () => {
    const work: ErasureWork = { erase: true };
    await queueAndWait(pending, work);
    return work.summary!;
  });

  // Loops were once named by the customer ID. One writer per customer: while such a loop still
  // runs (it gets no new work, so it ends when idle), this one only queues what arrives. Loops so
  // named skip this (it would wait for themselves).
  let { legacyLoopEnded } = input;
  if (!legacyLoopEnded && workflowInfo().workflowId !== customerWorkflowId(input.customerId)) {
    // Lean loops know keyed IDs without a marker, and wait (a long activity) only if such a loop runs.
    if (lean) {
      if (await localSteps.legacyLoopRunning({ customerId: input.customerId }))
        await awaitLegacyLoop({ customerId: input.customerId });
      legacyLoopEnded = true;
    } else if (patched('keyed-loop-ids')) {
      await awaitLegacyLoop({ customerId: input.customerId });
      legacyLoopEnded = true;
    }
  }

  for (;;) {
    const hasWork = await condition(() => pending.length > 0, durationMs(input.idleTimeout));
    if (!hasWork) break;
    await perform(steps, lean, input.customerId, pending[0]!);
    pending.shift();
    const info = workflowInfo();
    const longHistory =
      info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT);
    // A caller waits on this run for its update, so the loop moves on only once none is queued.
    if (longHistory && pending.every((queued) => typeof queued === 'string')) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof customerLoopWorkflow>({ ...input, pending, legacyLoopEnded });
    }
  }
  await condition(allHandlersFinished);
}

async function queueAndWait(pending: LoopWork[], work: LoopWork): Promise<void> {
  pending.push(work);
  await condition(() => !pending.includes(work));
}

async function perform(steps: LoopSteps, lean: boolean, customerId: string, work: LoopWork): Promise<void> {
  if (typeof work === 'string') await decideOnTransaction(steps, lean, customerId, work);
  else if ('profile' in work)
    work.outcome = await steps.applyCustomerProfile(
      'changeId' in work.profile ? { ...work.profile, customerId } : work.profile,
    );
  else work.summary = await eraseCustomerData({ customerId });
}

async function decideOnTransaction(
  steps: LoopSteps,
  lean: boolean,
  customerId: string,
  eventId: string,
): Promise<void> {
  const plan = await steps.planContacts({ customerId, eventId });
  // planContacts now marks an event no program wants; histories from before still call markEventProcessed.
  if (plan.processed && (lean || patched('plan-marks-unmatched-events'))) return;
  // A campaign's customer who is no longer eligible (erased, out of the audience, program paused).
  if (plan.campaignId && plan.candidates.length === 0) await reportToCampaign(plan.campaignId, customerId, 'skip');
  // The event's last decision marks it processed too, one step less (lean loops only).
  const last = lean && plan.event ? plan.candidates.at(-1) : undefined;
  for (const candidate of plan.candidates) {
    const decision = decideContact({ ...candidate.input, now: Date.now() });
    const invitationId = decision.action === 'skip' ? undefined : invitationIdFor(candidate.program.id, eventId);
    await steps.recordContactDecision({
      customerId,
      eventId,
      programId: candidate.program.id,
      decision,
      invitationId,
      ...(candidate === last ? { lastOfEvent: plan.event } : {}),
    });
    if (plan.campaignId)
      await reportToCampaign(
        plan.campaignId,
        customerId,
        decision.action,
        'rule' in decision ? decision.rule : undefined,
      );
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
          ...(plan.campaignId ? { campaignId: plan.campaignId } : {}),
        },
      ],
    });
  }
  if (!last) await steps.markEventProcessed({ eventId });
}

/** Each campaign event is decided once, so the campaign counts each customer once. */
async function reportToCampaign(
  campaignId: string,
  customerId: string,
  action: 'send' | 'defer' | 'skip',
  rule?: string,
): Promise<void> {
  try {
    await getExternalWorkflowHandle(campaignWorkflowId(campaignId)).signal(campaignDecidedSignal, {
      customerId,
      action,
      ...(rule ? { rule } : {}),
    });
  } catch {
    // The campaign was cancelled and has ended: nothing is counted any more.
  }
}
