import { createCaseActivities } from './cases';
import { createContactActivities } from './contacts';
import { type InvitationDeps, createInvitationActivities } from './invitations';
import { createReplyActivities } from './replies';
import { createWebhookActivities } from './webhooks';

export type ActivityDeps = InvitationDeps;

/** Every activity, built from its dependencies (the Temporal samples' dependency-injection style). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createContactActivities(deps.db),
    ...createInvitationActivities(deps),
    ...createReplyActivities(deps.db),
    ...createCaseActivities(deps),
    ...createWebhookActivities(deps.db),
  };
}
