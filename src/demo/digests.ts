import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { digestPeriodBefore } from '../domain/digest-period';
import type { DigestOutcome } from '../../activities/digests';

/** The demo's general manager for Europe: their weekly digest is in the outbox after `npm start`. */
export const DEMO_DIGEST_USER = 'gm-eu@cxloop.localhost';

/**
 * Runs the Europe GM's digest of last week once the demo's history is in, as their Monday schedule
 * would. The email's key is the person and the week, so a restart in the same week sends nothing more.
 */
export async function runDemoDigest(temporal: Client, taskQueue: string, now = Date.now()): Promise<DigestOutcome> {
  const period = digestPeriodBefore('weekly', now);
  const workflowId = `demo-digest:${period}`;
  try {
    return await temporal.workflow.execute('digestWorkflow', {
      taskQueue,
      workflowId,
      args: [{ userId: DEMO_DIGEST_USER, frequency: 'weekly', period }],
    });
  } catch (err) {
    // Another process of the demo runs it already.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return temporal.workflow.getHandle(workflowId).result();
  }
}
