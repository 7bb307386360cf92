/** Signals, queries and IDs shared by the workflows, the web tier and the sweeps. */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { type ActivityOptions, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Priority } from '../src/domain/case-rules';
import { WEBHOOK_MAX_ATTEMPTS } from '../src/domain/webhooks';
import type { CaseCommand, CaseState } from '../src/domain/cases';
import type { ScoreContribution } from '../src/domain/rollup';
import type { CampaignAction, CampaignProgress } from '../src/domain/campaign';
import type { CustomerProfile, ErasureSummary, ProfileOutcome } from '../src/domain/customer';

/**
 * For the activities that hand an email to SMTP. A slow mail server must not be cut off: an
 * attempt abandoned while its message is still on the way makes the retry hand it over a second
 * time. So the limit is long, and the attempt heartbeats while it waits, which notices a lost
 * worker within 30 s.
 */
export const EMAIL_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  // SMTP or MongoDB outages are retried until they pass; a rejected address is a result, not an error.
  retry: { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 },
};

/** Webhook deliveries are retried with backoff for a while, then given up (each attempt is logged for admins). */
export const WEBHOOK_ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '2m',
  retry: {
    initialInterval: '5s',
    maximumInterval: '10m',
    backoffCoefficient: 2,
    maximumAttempts: WEBHOOK_MAX_ATTEMPTS,
  },
};

/**
 * The task queue of the fan-out (campaign and wave workflows, their pages and progress), served by
 * every worker apart from the main queue: a burst of customer loops' tasks, which the fan-out
 * itself causes, cannot queue ahead of the fan-out that feeds them. Of a fan-out queue, itself.
 */
const FAN_OUT_SUFFIX = '.fan-out';
export const fanOutTaskQueue = (taskQueue: string) =>
  taskQueue.endsWith(FAN_OUT_SUFFIX) ? taskQueue : `${taskQueue}${FAN_OUT_SUFFIX}`;

/** The main task queue of an activity's worker: where the customer loops it signals run. */
export const loopTaskQueue = (activityTaskQueue: string) =>
  activityTaskQueue.endsWith(FAN_OUT_SUFFIX) ? activityTaskQueue.slice(0, -FAN_OUT_SUFFIX.length) : activityTaskQueue;

export const transactionRecordedSignal = defineSignal<[{ eventId: string }]>('transactionRecorded');
export const replySubmittedSignal = defineSignal<[{ responseId: string }]>('replySubmitted');

export type InvitationPhase =
  'waiting-to-send' | 'awaiting-reply' | 'in-edit-grace' | 'answered' | 'expired' | 'failed' | 'cancelled';
export const invitationPhaseQuery = defineQuery<InvitationPhase>('invitationPhase');

/**
 * A change to the customer's record (email, name, locale, time zone, attributes), stored in
 * `profile_changes` by whoever received it: the loop gets only its ID, so no personal data enters
 * its history. An inline profile is a change handed over before that (still in running histories).
 */
export type ProfileChange = { changeId: string } | CustomerProfile;

/**
 * Applied by the customer's loop: the record's one writer, whichever web process received the change.
 */
export const profileUpdate = defineUpdate<ProfileOutcome, [ProfileChange]>('updateProfile');
/** The same, for callers that need not wait (a customer import hands over thousands). */
export const profileChangedSignal = defineSignal<[ProfileChange]>('profileChanged');

/** Erases the customer's personal data, in turn with their other work (see eraseCustomerData). */
export const eraseUpdate = defineUpdate<ErasureSummary, []>('erase');

/** The `customer.erased` webhook delivery of one customer (see erasureWebhooksWorkflow). */
export const erasureWebhooksWorkflowId = (customerId: string) => `customer-erased:${customerId}`;

export interface ProfileWork {
  profile: ProfileChange;
  outcome?: ProfileOutcome;
}
export interface ErasureWork {
  erase: true;
  summary?: ErasureSummary;
}

/** The loop's work in arrival order: a transaction's event ID, a profile change or an erasure. */
export type LoopWork = string | ProfileWork | ErasureWork;

export interface CustomerLoopInput {
  customerId: string;
  /** How long the loop waits for the next transaction before it ends (its state lives in MongoDB). */
  idleTimeout: string;
  /** Transactions signalled but not yet handled, carried over a continue-as-new. */
  pending?: LoopWork[];
  /** Set once no loop named by the customer ID (before loops were keyed) runs any more. */
  legacyLoopEnded?: true;
  /** History length after which the loop continues as new (default 2,000 events). */
  historyLimit?: number;
}

export interface SurveyInvitationInput {
  invitationId: string;
  programId: string;
  customerId: string;
  eventId: string;
  sendAt: number;
  reminders: string[];
  expiresAfter: string;
  editGrace: string;
  /** Set when a pulsed campaign asked for it: the invitation reports how it ended to the campaign. */
  campaignId?: string;
}

/** A finalized reply's contribution to the rollups and the customer's score, for their owner. */
export const replyScoredSignal = defineSignal<[ScoreContribution]>('replyScored');

export interface ScoresInput {
  /** Contributions signalled but not yet applied, carried over a continue-as-new. */
  pending?: ScoreContribution[];
  /** History length after which the owner continues as new (default 2,000 events). */
  historyLimit?: number;
}

/**
 * The single writer of the rollups and customer scores of the deployment served by a task queue:
 * one per task queue, because tests run several deployments on one Temporal server.
 */
export const scoresWorkflowId = (taskQueue: string) => `scores:${taskQueue}`;

/**
 * A customer's loop, named by their key (see src/temporal/customer-key.ts); loops started before
 * keys were named by the customer ID itself, the same way.
 */
export const customerWorkflowId = (customerKey: string) => `customer:${customerKey}`;
export const invitationWorkflowId = (invitationId: string) => `invitation:${invitationId}`;
/** One invitation per program and triggering event, whatever the retries. */
export const invitationIdFor = (programId: string, eventId: string) => `${programId}:${eventId}`;

export interface CaseInput {
  /** The triggering reply's ID. */
  caseId: string;
  programId: string;
  customerId: string;
  priority: Priority;
  reasons: string[];
}

/** An owner's action (its texts stay in MongoDB), with who takes it; `canReassign` for managers and admins. */
export interface CaseActionRequest {
  input: CaseCommand;
  actor: { id: string; canReassign: boolean };
}

/** A later reply of the same customer to the same program while the case is open. */
export const replyAttachedSignal =
  defineSignal<[{ replyId: string; priority: Priority; reasons: string[] }]>('replyAttached');
/** Owner actions; the validator refuses a bad transition before anything is written. */
export const caseActionUpdate = defineUpdate<CaseState, [CaseActionRequest]>('caseAction');
export const caseStateQuery = defineQuery<CaseState | null>('caseState');

/** Custom search attributes, so cases can be found in the Temporal Web UI (registered at start, see README). */
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ProgramIdAttribute = defineSearchAttributeKey('ProgramId', SearchAttributeType.KEYWORD);
export const CaseStatusAttribute = defineSearchAttributeKey('CaseStatus', SearchAttributeType.KEYWORD);
export const CASE_SEARCH_ATTRIBUTES = [CustomerIdAttribute, ProgramIdAttribute, CaseStatusAttribute];

export const caseWorkflowId = (caseId: string) => `case:${caseId}`;

export const campaignWorkflowId = (campaignId: string) => `campaign:${campaignId}`;

/** From a customer's loop: what it decided for the campaign's event. */
export const campaignDecidedSignal =
  defineSignal<[{ customerId: string; action: 'send' | 'defer' | 'skip'; rule?: string }]>('campaignDecided');
/** From an invitation the campaign asked for: how it ended. */
export const campaignInvitationEndedSignal =
  defineSignal<[{ customerId: string; phase: InvitationPhase }]>('campaignInvitationEnded');
/** Pause, resume or cancel; refused (and nothing changes) when the campaign is past it. */
export const campaignControlUpdate = defineUpdate<CampaignProgress, [CampaignAction]>('campaignControl');
export const campaignProgressQuery = defineQuery<CampaignProgress>('campaignProgress');
