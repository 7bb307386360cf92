/** Signals, queries and IDs shared by the workflows, the web tier and the sweeps. */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const transactionRecordedSignal = defineSignal<[{ eventId: string }]>('transactionRecorded');
export const replySubmittedSignal = defineSignal<[{ responseId: string }]>('replySubmitted');

export type InvitationPhase =
  'waiting-to-send' | 'awaiting-reply' | 'in-edit-grace' | 'answered' | 'expired' | 'failed' | 'cancelled';
export const invitationPhaseQuery = defineQuery<InvitationPhase>('invitationPhase');

export interface CustomerLoopInput {
  customerId: string;
  /** How long the loop waits for the next transaction before it ends (its state lives in MongoDB). */
  idleTimeout: string;
  /** Transactions signalled but not yet handled, carried over a continue-as-new. */
  pending?: string[];
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
}

export const customerWorkflowId = (customerId: string) => `customer:${customerId}`;
export const invitationWorkflowId = (invitationId: string) => `invitation:${invitationId}`;
/** One invitation per program and triggering event, whatever the retries. */
export const invitationIdFor = (programId: string, eventId: string) => `${programId}:${eventId}`;
