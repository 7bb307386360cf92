import {
  ApplicationFailure,
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  patched,
} from '@temporalio/workflow';
import {
  NEW_CASE_HEADLINE,
  REASSIGNED_HEADLINE,
  REOPENED_BY_CUSTOMER,
  attachedReplySummary,
  closedSummary,
  escalationWording,
} from '../src/domain/case-wording';
import {
  type CaseCommand,
  type CaseState,
  type SlaName,
  applyAction,
  escalated,
  followUpVerdict,
  nextBreach,
  refusal,
  reopened,
  withAttachedReply,
} from '../src/domain/cases';
import { type AttachedReply, CaseFile, activities, mail } from './case-file';
import { type CaseActionRequest, type CaseInput, invitationWorkflowId } from './definitions';
import { surveyInvitationWorkflow } from './survey-invitation';

// Mind the awaits: when one workflow task resumes both the process and an owner's action, the
// order of their commands follows from how many turns of the event loop each takes, and replay
// checks that order. Hence waitForChangeOrBreach starts the wait and hands it back to the loop.

/**
 * One case, from the reply that opened it to its close: routed to an owner, watched against its
 * SLAs in the team's business hours, escalated when overdue, worked through owner actions
 * (updates), resolved with a message to the customer, and closed once the customer confirms —
 * or reopened when they say it is not solved. The only writer of its `cases` document.
 */
export async function caseWorkflow(input: CaseInput): Promise<'closed'> {
  // Cases opened since: MongoDB steps as local activities, no second 'open' status, the claim released by the close.
  const file = new CaseFile(input, patched('lean-case'));
  // Owners may act as soon as the case shows in their queue, which can be before it is open here.
  file.acceptActions((request) => takeAction(file, request));
  await openTheCase(file, input);
  await file.serially(() => tellOwnerAndCustomer(file));

  let round = 0;
  for (;;) {
    for (const reply of file.newReplies()) await file.serially(() => attachReply(file, reply));
    // Read before waiting: an update may have resolved or closed the case while the loop was busy.
    if (file.state.status === 'closed') break;
    if (file.state.status === 'resolved') {
      await closeTheLoop(file, ++round);
      continue;
    }
    const { breach, change } = waitForChangeOrBreach(file);
    const changed = change && (await change);
    if (!changed && breach) await file.serially(() => escalate(file, breach.clock));
  }
  if (!file.lean) await activities.releaseOpenCase({ caseId: input.caseId });
  await file.settled();
  return 'closed';
}

/** Routes the case and writes it (once, whatever the retries), then announces it. */
async function openTheCase(file: CaseFile, input: CaseInput): Promise<void> {
  file.opened(await file.openCase(input));
  if (file.setup.openedSubscribed) file.announce('opened', 0);
}

/** The owner learns of the new case; the customer, if the program says so, that it is being looked at. */
async function tellOwnerAndCustomer(file: CaseFile): Promise<void> {
  await tell(file, { key: 'assigned-0', kind: 'assigned', headline: NEW_CASE_HEADLINE });
  if (file.setup.handling.acknowledgeCustomer) await tell(file, { key: 'acknowledgement', kind: 'acknowledgement' });
}

/** A later reply joins the case and may raise its priority. */
function attachReply(file: CaseFile, reply: AttachedReply): Promise<number> {
  return file.record(withAttachedReply(file.state, reply.priority), {
    actor: 'cxloop',
    kind: 'reply-attached',
    summary: attachedReplySummary(reply.reasons),
    attachReplyId: reply.replyId,
  });
}

/**
 * Starts waiting for the next change (a reply, an owner's action) or the next SLA breach, whichever
 * comes first. `change` resolves to whether a change came first; it is false, with no wait at all,
 * when the breach is already due.
 */
function waitForChangeOrBreach(file: CaseFile): {
  breach: { clock: SlaName; at: number } | null;
  change: Promise<boolean> | false;
} {
  const seen = file.changes;
  const changed = () => file.changes !== seen;
  const breach = nextBreach(file.setup.calendar, file.state, Date.now());
  if (!breach) return { breach, change: condition(changed).then(() => true) };
  const waitMs = breach.at - Date.now();
  return { breach, change: waitMs > 0 && condition(changed, waitMs) };
}

/** A breached SLA moves the case one level up the escalation chain and tells that manager. */
async function escalate(file: CaseFile, clock: SlaName): Promise<void> {
  // An action queued before this step may have met or paused the clock.
  const due = nextBreach(file.setup.calendar, file.state, Date.now());
  if (due?.clock !== clock || due.at > Date.now()) return;
  const { state: next, notify } = escalated(file.state, clock, file.setup.chain);
  const wording = escalationWording(clock, notify, next.priority);
  await file.record(next, { actor: 'cxloop', kind: 'escalated', summary: wording.summary });
  if (notify)
    await tell(file, {
      key: `escalated-${next.escalation}`,
      kind: 'escalated',
      to: notify,
      headline: wording.headline,
    });
}

/**
 * Tells the customer what was done, then asks whether that solved it. "Not solved" or a low CSAT
 * reopens the case; a good answer, no answer, or a customer we may not contact closes it.
 */
async function closeTheLoop(file: CaseFile, n: number): Promise<void> {
  // The message is read from the case document (cases resolved before that carry it in their state).
  await file.serially(() =>
    tell(file, {
      key: `resolution-${n}`,
      kind: 'resolution',
      ...(file.state.customerMessage ? { message: file.state.customerMessage } : {}),
    }),
  );
  const invitation = await file.db.prepareFollowUp({
    caseId: file.caseId,
    round: n,
    programId: file.setup.handling.followUpProgram,
    customerId: file.input.customerId,
    mayContact: file.state.mayContact,
    ...(file.state.rootCause ? { rootCause: file.state.rootCause } : {}),
  });
  if (file.state.status !== 'resolved') return;
  let verdict: 'close' | 'reopen' = 'close';
  if (invitation) {
    file.followUp = new CancellationScope();
    try {
      const phase = await file.followUp.run(() =>
        executeChild(surveyInvitationWorkflow, {
          workflowId: invitationWorkflowId(invitation.invitationId),
          args: [invitation],
        }),
      );
      const answer =
        phase === 'answered' ? await file.db.followUpAnswer({ invitationId: invitation.invitationId }) : null;
      // Older histories hold the answers themselves, which the workflow judged.
      verdict = answer?.verdict ?? followUpVerdict(answer?.answers ?? null, answer?.csat);
    } catch (err) {
      // The owner reopened the case meanwhile: the survey is moot.
      if (isCancellation(err)) {
        await file.db.withdrawFollowUp({ invitationId: invitation.invitationId });
        return;
      }
      throw err;
    } finally {
      file.followUp = undefined;
    }
  }
  if (file.state.status !== 'resolved') return;
  if (verdict === 'reopen') {
    await file.serially(() =>
      file.record(reopened(file.state, Date.now(), file.setup.handling.sla.resolution), {
        actor: 'customer',
        kind: 'reopened',
        summary: REOPENED_BY_CUSTOMER.summary,
      }),
    );
    await tell(file, {
      key: `reopened-${n}`,
      kind: 'reopened',
      headline: REOPENED_BY_CUSTOMER.headline,
    });
    return;
  }
  await file.serially(() =>
    file.record(
      { ...file.state, status: 'closed' },
      { actor: 'cxloop', kind: 'closed', summary: closedSummary(!!invitation) },
    ),
  );
}

/** An owner's action (an update), in turn with the process's writes. */
async function takeAction(file: CaseFile, { input: action, actor }: CaseActionRequest): Promise<CaseState> {
  // Checked again: an action queued behind another may no longer fit.
  const why = refusal(file.state, action, actor);
  if (why) throw ApplicationFailure.nonRetryable(why, 'RefusedCaseAction');
  const next = applyAction(file.state, action, Date.now(), file.setup.handling.sla.resolution);
  // The activity words the timeline entry, with the action's texts read from MongoDB.
  const step = await file.record(next, { actor: actor.id, kind: action.action, action });
  await afterAction(file, action, step);
  return file.state;
}

/** The emails an action sends; the step number keeps each one's idempotency key unique. */
async function afterAction(file: CaseFile, action: CaseCommand, step: number): Promise<void> {
  if (action.action === 'contact') await tell(file, { key: `contact-${step}`, kind: 'contact', ...textsOf(action) });
  if (action.action === 'reassign')
    await tell(file, {
      key: `assigned-${step}`,
      kind: 'assigned',
      to: action.ownerId,
      headline: REASSIGNED_HEADLINE,
    });
  if (action.action === 'reopen') file.followUp?.cancel();
}

/** Where the email's subject and message are: stored under `textId`, or inline in older actions. */
function textsOf(action: CaseCommand): { textId?: string; subject?: string; message?: string } {
  if (action.textId) return { textId: action.textId };
  return { subject: action.subject, message: action.message };
}

/** One email about the case, with what the workflow knows of it (the activity reads the rest). */
function tell(file: CaseFile, email: Omit<Parameters<typeof mail.sendCaseEmail>[0], 'caseId' | 'case'>) {
  return mail.sendCaseEmail({ caseId: file.caseId, case: file.snapshot(), ...email });
}
