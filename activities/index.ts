import { createAlertActivities } from './alerts';
import { createCampaignActivities } from './campaigns';
import { createCaseEmailActivities } from './case-emails';
import { createFollowUpActivities } from './case-follow-up';
import { createCaseRecordActivities } from './case-records';
import { caseDecider, createCaseDecisionActivities } from './cases';
import { createContactActivities } from './contacts';
import { createDigestActivities } from './digests';
import { createErasureActivities } from './erasure';
import { type InvitationDeps, createInvitationActivities } from './invitations';
import { praiseSender } from './praise';
import { createReplyActivities } from './replies';
import { createSweepActivities } from './sweeps';
import { createWaveActivities } from './waves';
import { type WebhookDestinations, createWebhookActivities } from './webhooks';
import type { LoopDefaults } from '../src/temporal/loop-client';

/** `loopIdleTimeout`: a customer loop started by the sweep ends after this long without transactions. */
export type ActivityDeps = InvitationDeps &
  LoopDefaults & {
    /** Which webhook destinations may be reached (the allow-list) and how their names resolve. */
    webhookDestinations?: WebhookDestinations;
  };

/** Every activity, built from its dependencies (the Temporal samples' dependency-injection style). */
export function createActivities(deps: ActivityDeps) {
  // One decision, asked by finalizing (lean invitations) and by decideCaseForReply.
  const decideCase = caseDecider(deps);
  return {
    ...createContactActivities(deps.db),
    ...createErasureActivities(deps.db),
    ...createInvitationActivities(deps),
    ...createReplyActivities(deps.db, undefined, praiseSender(deps), decideCase),
    ...createCaseDecisionActivities(decideCase),
    ...createCaseRecordActivities(deps.db),
    ...createCaseEmailActivities(deps),
    ...createFollowUpActivities(deps.db),
    ...createWebhookActivities(deps.db, deps.webhookDestinations),
    ...createSweepActivities(deps.db, deps),
    ...createWaveActivities(deps.db, deps),
    ...createCampaignActivities(deps.db, deps),
    ...createAlertActivities(deps),
    ...createDigestActivities(deps),
  };
}
