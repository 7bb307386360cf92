import { createCampaignActivities } from './campaigns';
import { createCaseActivities } from './cases';
import { createContactActivities } from './contacts';
import { createErasureActivities } from './erasure';
import { type InvitationDeps, createInvitationActivities } from './invitations';
import { createReplyActivities } from './replies';
import { createSweepActivities } from './sweeps';
import { createWaveActivities } from './waves';
import { type WebhookDestinations, createWebhookActivities } from './webhooks';

export type ActivityDeps = InvitationDeps & {
  /** A customer loop started by the sweep ends after this long without transactions. */
  loopIdleTimeout: string;
  /** Which webhook destinations may be reached (the allow-list) and how their names resolve. */
  webhookDestinations?: WebhookDestinations;
};

/** Every activity, built from its dependencies (the Temporal samples' dependency-injection style). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createContactActivities(deps.db),
    ...createErasureActivities(deps.db),
    ...createInvitationActivities(deps),
    ...createReplyActivities(deps.db),
    ...createCaseActivities(deps),
    ...createWebhookActivities(deps.db, deps.webhookDestinations),
    ...createSweepActivities(deps.db, deps.loopIdleTimeout),
    ...createWaveActivities(deps.db, deps.loopIdleTimeout),
    ...createCampaignActivities(deps.db, deps.loopIdleTimeout),
  };
}
