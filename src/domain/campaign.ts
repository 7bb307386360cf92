/**
 * A pulsed campaign's progress: what its workflow counts as the customers' loops decide and their
 * invitations end, and which controls apply when.
 */

export type CampaignStatus =
  'scheduled' | 'selecting' | 'sending' | 'paused' | 'awaiting-replies' | 'completed' | 'cancelled';
export type CampaignAction = 'pause' | 'resume' | 'cancel';

export interface CampaignProgress {
  status: CampaignStatus;
  /** Customers in the segment when the campaign selected them, and how many of them the sample takes. */
  matched: number;
  sampled: number;
  /** Handed to their loop so far. */
  signalled: number;
  /** Decided by their loop: send now, defer, or skip (skips by rule: unsubscribed, fatigue, …). */
  decided: number;
  sent: number;
  deferred: number;
  skipped: Record<string, number>;
  /** Invitations ended: answered, expired, and otherwise (failed, cancelled). */
  answered: number;
  expired: number;
  otherwiseEnded: number;
}

export const newCampaignProgress = (): CampaignProgress => ({
  status: 'scheduled',
  matched: 0,
  sampled: 0,
  signalled: 0,
  decided: 0,
  sent: 0,
  deferred: 0,
  skipped: {},
  answered: 0,
  expired: 0,
  otherwiseEnded: 0,
});

/** A skip without a contact rule: the customer was no longer eligible (erased, left the audience, program paused). */
export const NOT_ELIGIBLE = 'not_eligible';

export function countDecision(progress: CampaignProgress, action: 'send' | 'defer' | 'skip', rule?: string): void {
  progress.decided++;
  if (action === 'send') progress.sent++;
  else if (action === 'defer') progress.deferred++;
  else {
    const key = rule ?? NOT_ELIGIBLE;
    progress.skipped[key] = (progress.skipped[key] ?? 0) + 1;
  }
}

export function countInvitationEnd(progress: CampaignProgress, phase: string): void {
  if (phase === 'answered') progress.answered++;
  else if (phase === 'expired') progress.expired++;
  else progress.otherwiseEnded++;
}

/** Every customer handed over has been decided on, and every invitation sent or deferred has ended. */
export function allSettled(progress: CampaignProgress): boolean {
  const ended = progress.answered + progress.expired + progress.otherwiseEnded;
  return progress.decided >= progress.signalled && ended >= progress.sent + progress.deferred;
}

/**
 * Customers handed over whose loops have not decided yet, at most, before the next page goes: a
 * campaign hands customers over far faster than a small deployment decides and emails them, and
 * the backlog it would pile up delays everything else on that Temporal server too (transactional
 * surveys, replies, the campaign's own tasks).
 */
export const IN_FLIGHT_LIMIT = 2_000;

/** Whether the loops have caught up enough for the campaign to hand over its next page. */
export function loopsCaughtUp(progress: CampaignProgress, limit = IN_FLIGHT_LIMIT): boolean {
  return progress.signalled - progress.decided < limit;
}

/** Why an action cannot apply in this status, or undefined when it can. */
export function refusedControl(status: CampaignStatus, action: CampaignAction): string | undefined {
  if (status === 'completed' || status === 'cancelled') return `the campaign is ${status}`;
  if (action === 'pause' && status === 'paused') return 'the campaign is paused already';
  if (action === 'pause' && status === 'awaiting-replies')
    return 'every customer has been handed over; only cancel applies';
  if (action === 'resume' && status !== 'paused') return 'the campaign is not paused';
  return undefined;
}
