// How the case's own steps are worded: their timeline entries and the headlines of the emails that
// tell an owner or a manager. An owner's action is worded by describeAction (cases.ts).
import type { SlaName } from './cases';
import type { Priority } from './priority';

/** The timeline entry of a new case: why it opened and who owns it. */
export function openedSummary(opened: {
  reasons: readonly string[];
  ownerId: string;
  teamName: string;
  mayContact: boolean;
}): string {
  const summary = `Opened for ${opened.reasons.join('; ')}; assigned to ${opened.ownerId} (${opened.teamName})`;
  return opened.mayContact ? summary : `${summary}. The customer asked not to be contacted: internal action only.`;
}

/** The timeline entry of a later reply of the customer joining the open case. */
export const attachedReplySummary = (reasons: readonly string[]): string =>
  `Another reply attached (${reasons.join('; ')})`;

/** A breached SLA: the timeline entry, and the headline for `notify`, who was told (no one once the chain ends). */
export function escalationWording(
  clock: SlaName,
  notify: string | null,
  priority: Priority,
): { summary: string; headline: string } {
  const what = clock === 'firstResponse' ? 'first-response' : 'resolution';
  return {
    summary: `The ${what} SLA was breached: escalated${notify ? ` to ${notify}` : ''}, priority ${priority}`,
    headline: `Overdue case escalated to you (${what} SLA breached)`,
  };
}

/** The customer's follow-up answer reopened the case: the timeline entry and the owner's headline. */
export const REOPENED_BY_CUSTOMER = {
  summary: 'The customer says the problem is not solved: reopened, resolution SLA restarted',
  headline: 'The customer says the problem is not solved: case reopened',
} as const;

/** The timeline entry of the close, after a follow-up survey or without one (the customer may not be surveyed). */
export const closedSummary = (surveyed: boolean): string =>
  surveyed ? 'Closed: the customer confirmed, or did not answer the follow-up' : 'Closed';

/** Headlines of the owner's emails. */
export const NEW_CASE_HEADLINE = 'New case';
export const REASSIGNED_HEADLINE = 'A case was reassigned to you';
