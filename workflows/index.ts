export { customerLoopWorkflow } from './customer-loop';
export { surveyInvitationWorkflow } from './survey-invitation';
export { caseWorkflow } from './case';
export { scoresWorkflow } from './scores';
export { sweepWorkflow } from './sweep';
export { relationshipWaveWorkflow } from './wave';
export { campaignWorkflow } from './campaign';
export { erasureWebhooksWorkflow } from './erasure-webhooks';
