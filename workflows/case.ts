import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CaseSetup } from '../activities/cases';
import {
  type CaseCommand,
  type CaseState,
  applyAction,
  escalated,
  followUpVerdict,
  isCaseAction,
  nextBreach,
  refusal,
  reopened,
  withAttachedReply,
} from '../src/domain/cases';
import {
  type CaseActionRequest,
  type CaseInput,
  CaseStatusAttribute,
  EMAIL_ACTIVITY_OPTIONS,
  caseActionUpdate,
  caseStateQuery,
  invitationWorkflowId,
  replyAttachedSignal,
  WEBHOOK_ACTIVITY_OPTIONS,
} from './definitions';
import { surveyInvitationWorkflow } from './survey-invitation';
import { webhookEventFor } from '../src/domain/webhooks';

const activities = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 },
});

const mail = proxyActivities<ReturnType<typeof createActivities>>(EMAIL_ACTIVITY_OPTIONS);

const webhooks = proxyActivities<ReturnType<typeof createActivities>>(WEBHOOK_ACTIVITY_OPTIONS);

/**
 * One case, from the reply that opened it to its close: routed to an owner, watched against its
 * SLAs in the team's business hours, escalated when overdue, worked through owner actions
 * (updates), resolved with a message to the customer, and closed once the customer confirms —
 * or reopened when they say it is not solved. The only writer of its `cases` document.
 */
export async function caseWorkflow(input: CaseInput): Promise<'closed'> {
  let state: CaseState | null = null;
  let changes = 0;
  const attached: { replyId: string; priority: CaseState['priority']; reasons: string[] }[] = [];
  let followUp: CancellationScope | undefined;
  // Deliveries run beside the case, which never waits on a helpdesk; all end before the workflow does.
  const deliveries: Promise<unknown>[] = [];
  const announce = (kind: string, seq: number) => {
    const event = webhookEventFor(kind);
    if (event)
      deliveries.push(webhooks.deliverCaseWebhooks({ caseId: input.caseId, event, seq }).catch(() => undefined));
  };

  // Writes happen one at a time, in the order taken, whether from the process or an owner's update.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(step: () => Promise<T>): Promise<T> => {
    const run = tail.then(step);
    tail = run.catch(() => undefined);
    return run;
  };

  /** Moves the case to `next` and records why, in the timeline, the audit log and the case document. */
  const record = async (
    next: CaseState,
    entry: { actor: string; kind: string; summary?: string; action?: CaseCommand; attachReplyId?: string },
  ) => {
    const before = state!;
    state = next;
    changes++;
    if (before.status !== next.status) upsertSearchAttributes([{ key: CaseStatusAttribute, value: next.status }]);
    const step = seq++;
    const { subscribed } = await activities.recordCase({
      caseId: input.caseId,
      seq: step,
      before,
      after: next,
      ...entry,
    });
    if (subscribed) announce(entry.kind, step);
  };

  setHandler(caseStateQuery, () => state);
  setHandler(replyAttachedSignal, (reply) => {
    attached.push(reply);
    changes++;
  });

  const setup: CaseSetup = await activities.openCase(input);
  state = setup.state;
  let seq = setup.seq;
  upsertSearchAttributes([{ key: CaseStatusAttribute, value: state.status }]);
  if (setup.openedSubscribed) announce('opened', 0);
  // Registered once the case exists; an update that came earlier waits in the SDK's buffer.
  setHandler(caseActionUpdate, (request) => serially(() => takeAction(request)), {
    validator: (request) => {
      // The API validated the fields (ZCaseAction); any other caller's unknown action stops here.
      if (!isCaseAction(request.input)) throw new Error('Invalid action: unknown action');
      const why = refusal(state!, request.input, request.actor);
      if (why) throw new Error(why);
    },
  });

  async function takeAction({ input: action, actor }: CaseActionRequest): Promise<CaseState> {
    // Checked again: an action queued behind another may no longer fit.
    const why = refusal(state!, action, actor);
    if (why) throw ApplicationFailure.nonRetryable(why, 'RefusedCaseAction');
    const next = applyAction(state!, action, Date.now(), setup.handling.sla.resolution);
    // The activity words the timeline entry, with the action's texts read from MongoDB.
    await record(next, { actor: actor.id, kind: action.action, action });
    await afterAction(action, seq - 1);
    return state!;
  }

  /** The emails an action sends; the step number keeps each one's idempotency key unique. */
  async function afterAction(action: CaseCommand, step: number): Promise<void> {
    if (action.action === 'contact')
      await mail.sendCaseEmail({
        caseId: input.caseId,
        key: `contact-${step}`,
        kind: 'contact',
        ...textsOf(action),
      });
    if (action.action === 'reassign')
      await mail.sendCaseEmail({
        caseId: input.caseId,
        key: `assigned-${step}`,
        kind: 'assigned',
        to: action.ownerId,
        headline: 'A case was reassigned to you',
      });
    if (action.action === 'reopen') followUp?.cancel();
  }

  await serially(async () => {
    await mail.sendCaseEmail({ caseId: input.caseId, key: 'assigned-0', kind: 'assigned', headline: 'New case' });
    if (setup.handling.acknowledgeCustomer)
      await mail.sendCaseEmail({ caseId: input.caseId, key: 'acknowledgement', kind: 'acknowledgement' });
  });

  let round = 0;
  for (;;) {
    while (attached.length) {
      const reply = attached.shift()!;
      await serially(() =>
        record(withAttachedReply(state!, reply.priority), {
          actor: 'cxloop',
          kind: 'reply-attached',
          summary: `Another reply attached (${reply.reasons.join('; ')})`,
          attachReplyId: reply.replyId,
        }),
      );
    }
    // Read before waiting: an update may have resolved or closed the case while the loop was busy.
    if (state.status === 'closed') break;
    if (state.status === 'resolved') {
      await closeTheLoop(++round);
      continue;
    }
    const seen = changes;
    const breach = nextBreach(setup.calendar, state, Date.now());
    const waitMs = breach ? breach.at - Date.now() : undefined;
    const woken =
      waitMs === undefined
        ? await condition(() => changes !== seen).then(() => true)
        : waitMs > 0 && (await condition(() => changes !== seen, waitMs));
    if (!woken && breach) await serially(() => escalate(breach.clock));
  }
  await activities.releaseOpenCase({ caseId: input.caseId });
  await Promise.all(deliveries);
  await condition(allHandlersFinished);
  return 'closed';

  async function escalate(clock: 'firstResponse' | 'resolution') {
    // An action queued before this step may have met or paused the clock.
    const due = nextBreach(setup.calendar, state!, Date.now());
    if (due?.clock !== clock || due.at > Date.now()) return;
    const { state: next, notify } = escalated(state!, clock, setup.chain);
    const what = clock === 'firstResponse' ? 'first-response' : 'resolution';
    await record(next, {
      actor: 'cxloop',
      kind: 'escalated',
      summary: `The ${what} SLA was breached: escalated${notify ? ` to ${notify}` : ''}, priority ${next.priority}`,
    });
    if (notify)
      await mail.sendCaseEmail({
        caseId: input.caseId,
        key: `escalated-${next.escalation}`,
        kind: 'escalated',
        to: notify,
        headline: `Overdue case escalated to you (${what} SLA breached)`,
      });
  }

  /**
   * Tells the customer what was done, then asks whether that solved it. "Not solved" or a low CSAT
   * reopens the case; a good answer, no answer, or a customer we may not contact closes it.
   */
  async function closeTheLoop(n: number): Promise<void> {
    // The message is read from the case document (cases resolved before that carry it in their state).
    await serially(() =>
      mail.sendCaseEmail({
        caseId: input.caseId,
        key: `resolution-${n}`,
        kind: 'resolution',
        ...(state!.customerMessage ? { message: state!.customerMessage } : {}),
      }),
    );
    const invitation = await activities.prepareFollowUp({
      caseId: input.caseId,
      round: n,
      programId: setup.handling.followUpProgram,
    });
    if (state!.status !== 'resolved') return;
    let verdict: 'close' | 'reopen' = 'close';
    if (invitation) {
      followUp = new CancellationScope();
      try {
        const phase = await followUp.run(() =>
          executeChild(surveyInvitationWorkflow, {
            workflowId: invitationWorkflowId(invitation.invitationId),
            args: [invitation],
          }),
        );
        const answer =
          phase === 'answered' ? await activities.followUpAnswer({ invitationId: invitation.invitationId }) : null;
        // Older histories hold the answers themselves, which the workflow judged.
        verdict = answer?.verdict ?? followUpVerdict(answer?.answers ?? null, answer?.csat);
      } catch (err) {
        // The owner reopened the case meanwhile: the survey is moot.
        if (isCancellation(err)) {
          await activities.withdrawFollowUp({ invitationId: invitation.invitationId });
          return;
        }
        throw err;
      } finally {
        followUp = undefined;
      }
    }
    if (state!.status !== 'resolved') return;
    if (verdict === 'reopen') {
      await serially(() =>
        record(reopened(state!, Date.now(), setup.handling.sla.resolution), {
          actor: 'customer',
          kind: 'reopened',
          summary: 'The customer says the problem is not solved: reopened, resolution SLA restarted',
        }),
      );
      await mail.sendCaseEmail({
        caseId: input.caseId,
        key: `reopened-${n}`,
        kind: 'reopened',
        headline: 'The customer says the problem is not solved: case reopened',
      });
      return;
    }
    await serially(() =>
      record(
        { ...state!, status: 'closed' },
        {
          actor: 'cxloop',
          kind: 'closed',
          summary: invitation ? 'Closed: the customer confirmed, or did not answer the follow-up' : 'Closed',
        },
      ),
    );
  }
}

/** Where the email's subject and message are: stored under `textId`, or inline in older actions. */
function textsOf(action: CaseCommand): { textId?: string; subject?: string; message?: string } {
  if (action.textId) return { textId: action.textId };
  return { subject: action.subject, message: action.message };
}
