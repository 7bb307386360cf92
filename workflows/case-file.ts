import {
  ApplicationFailure,
  type CancellationScope,
  type RetryPolicy,
  allHandlersFinished,
  condition,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { CaseSnapshot } from '../activities/case-emails';
import type { CaseSetup } from '../activities/case-records';
import { type CaseCommand, type CaseState, isCaseAction, refusal } from '../src/domain/cases';
import type { Priority } from '../src/domain/priority';
import { webhookEventFor } from '../src/domain/webhooks';
import {
  type CaseActionRequest,
  type CaseInput,
  CaseStatusAttribute,
  EMAIL_ACTIVITY_OPTIONS,
  WEBHOOK_ACTIVITY_OPTIONS,
  caseActionUpdate,
  caseStateQuery,
  replyAttachedSignal,
} from './definitions';

type Activities = ReturnType<typeof createActivities>;

const UNTIL_MONGODB_ANSWERS: RetryPolicy = { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 };
/** The case's reads and writes in MongoDB, retried until MongoDB answers. */
export const activities = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: UNTIL_MONGODB_ANSWERS });
/**
 * The same, as local activities (cases opened since 'lean-case'): short, idempotent steps by `_id`
 * that trust no attempt count, so a re-run after a lost workflow task repeats them harmlessly.
 */
const localActivities = proxyLocalActivities<Activities>({
  startToCloseTimeout: '10s',
  localRetryThreshold: '10s',
  retry: UNTIL_MONGODB_ANSWERS,
});
// Opening still counts each member's open cases over `cases` (a scan that grows with them): it keeps
// the regular activity's time, the workflow task heartbeating meanwhile.
const { openCase: openLocally } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '1m',
  localRetryThreshold: '10s',
  retry: UNTIL_MONGODB_ANSWERS,
});
export const mail = proxyActivities<Activities>(EMAIL_ACTIVITY_OPTIONS);
const webhooks = proxyActivities<Activities>(WEBHOOK_ACTIVITY_OPTIONS);

/** A later reply of the customer to the program, waiting to join the case. */
export interface AttachedReply {
  replyId: string;
  priority: Priority;
  reasons: string[];
}

/** A timeline entry as the workflow asks for it; recordCase words an owner's action itself. */
export interface TimelineEntry {
  actor: string;
  kind: string;
  summary?: string;
  action?: CaseCommand;
  attachReplyId?: string;
}

/**
 * What the case workflow keeps between its steps: the case's state (which the state query
 * answers), the replies waiting to join it, and its writes — taken one at a time in the order
 * asked, whether by the process or by an owner's action, each a numbered timeline entry.
 */
export class CaseFile {
  private current: CaseState | null = null;
  private opening: CaseSetup | null = null;
  private seq = 0;
  private readonly attached: AttachedReply[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  // Deliveries run beside the case, which never waits on a helpdesk; all end before the workflow does.
  private readonly deliveries: Promise<unknown>[] = [];
  private changeCount = 0;
  /** The kinds of the timeline entries this workflow recorded, from step 2 on (see CaseSetup.seq). */
  private readonly kinds: string[] = [];
  /** The follow-up survey under way, which an owner's reopening makes moot. */
  followUp: CancellationScope | undefined;
  /** The case's MongoDB steps: local activities on the lean path, regular ones in older histories. */
  readonly db: typeof activities;
  /** Routes and writes the case (see openLocally). */
  readonly openCase: Activities['openCase'];

  get caseId(): string {
    return this.input.caseId;
  }

  /** `lean`: the case runs its MongoDB steps as local activities and folds the claim's release into its close. */
  constructor(
    readonly input: CaseInput,
    readonly lean = false,
  ) {
    this.db = lean ? localActivities : activities;
    this.openCase = lean ? openLocally : activities.openCase;
    // Before the case is written: the query answers null until then, a reply signalled meanwhile waits here.
    setHandler(caseStateQuery, () => this.current);
    setHandler(replyAttachedSignal, (reply) => {
      this.attached.push(reply);
      this.changeCount++;
    });
  }

  /** Counts what the process waits for: replies attached and changes recorded. */
  get changes(): number {
    return this.changeCount;
  }

  /** The case as the workflow last recorded it (set once the case is open). */
  get state(): CaseState {
    return this.current!;
  }

  /** What was fixed when the case opened: its calendar, escalation chain and handling. */
  get setup(): CaseSetup {
    return this.opening!;
  }

  /** The case is written: the file takes its state and next step number, and Temporal can find it by status. */
  opened(setup: CaseSetup): void {
    this.opening = setup;
    this.current = setup.state;
    this.seq = setup.seq;
    // The lean case starts with CaseStatus 'open' (survey-invitation.ts) and does not set it again.
    if (!this.lean) upsertSearchAttributes([{ key: CaseStatusAttribute, value: setup.state.status }]);
  }

  /** What the case's emails would otherwise read again from `cases`, `users` and the routing. */
  snapshot(): CaseSnapshot {
    const { customerId, programId, reasons } = this.input;
    const { status, priority, ownerId, teamId, mayContact } = this.state;
    const opening = this.setup;
    return {
      customerId,
      programId,
      reasons,
      status,
      priority,
      ownerId,
      teamId,
      mayContact,
      // The team's name known from the opening, while the case is still with its first team.
      ...(opening.teamName !== undefined && teamId === opening.state.teamId ? { teamName: opening.teamName } : {}),
    };
  }

  /**
   * Takes owners' actions (updates) in turn with the process's own writes. The validator refuses an
   * action that does not fit the case before anything is written.
   */
  acceptActions(take: (request: CaseActionRequest) => Promise<CaseState>): void {
    setHandler(
      caseActionUpdate,
      async (request) => {
        // An action that came while the case was being written (the SDK would otherwise refuse
        // it for want of a handler) waits for the case, then meets the check the validator skipped.
        if (!this.current) {
          await condition(() => this.current !== null);
          const why = refusal(this.state, request.input, request.actor);
          if (why) throw ApplicationFailure.nonRetryable(why);
        }
        return this.serially(() => take(request));
      },
      {
        validator: (request) => {
          // The API validated the fields (ZCaseAction); any other caller's unknown action stops here.
          if (!isCaseAction(request.input)) throw new Error('Invalid action: unknown action');
          if (!this.current) return;
          const why = refusal(this.state, request.input, request.actor);
          if (why) throw new Error(why);
        },
      },
    );
  }

  /** The replies signalled since the last call, oldest first, including those that arrive meanwhile. */
  *newReplies(): Generator<AttachedReply> {
    while (this.attached.length) yield this.attached.shift()!;
  }

  /** Runs `step` once every write asked for before it has ended. */
  serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.tail.then(step);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Moves the case to `next` and records why, in the timeline, the audit log and the case document;
   * announces the change to the webhooks that want it. Returns the entry's step number.
   */
  async record(next: CaseState, entry: TimelineEntry): Promise<number> {
    const before = this.state;
    this.current = next;
    this.changeCount++;
    if (before.status !== next.status) upsertSearchAttributes([{ key: CaseStatusAttribute, value: next.status }]);
    const step = this.seq++;
    const closing = next.status === 'closed' && before.status !== 'closed';
    const leavingResolved = before.status === 'resolved' && next.status !== 'resolved';
    const known =
      this.lean && (closing || leavingResolved)
        ? { earlierKinds: [...this.kinds], followUpProgram: this.setup.handling.followUpProgram }
        : {};
    this.kinds.push(entry.kind);
    const { subscribed } = await this.db.recordCase({
      caseId: this.caseId,
      seq: step,
      before,
      after: next,
      ...entry,
      ...known,
      ...(this.lean && closing ? { releaseClaim: true } : {}),
    });
    if (subscribed) this.announce(entry.kind, step);
    return step;
  }

  /** Delivers the webhook event of a timeline entry, if it is one, without waiting for it. */
  announce(kind: string, seq: number): void {
    const event = webhookEventFor(kind);
    if (event)
      this.deliveries.push(webhooks.deliverCaseWebhooks({ caseId: this.caseId, event, seq }).catch(() => undefined));
  }

  /** Once the case is closed: the deliveries and the handlers still running end first. */
  async settled(): Promise<void> {
    await Promise.all(this.deliveries);
    await condition(allHandlersFinished);
  }
}
