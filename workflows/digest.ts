import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { type SentFrequency, digestPeriodBefore } from '../src/domain/digest-period';
import { EMAIL_ACTIVITY_OPTIONS } from './definitions';

const { sendDigest } = proxyActivities<ReturnType<typeof createActivities>>(EMAIL_ACTIVITY_OPTIONS);

export interface DigestWorkflowInput {
  /** The person; their name, address and what their digest says are read by the activity, never carried here. */
  userId: string;
  frequency: SentFrequency;
  /** A given period (a re-run); by default the last complete one when the schedule fires. */
  period?: string;
}

/**
 * One person's digest of one period, started by their schedule (src/temporal/digest-schedules.ts).
 * The email's key is the person and the period, so a re-run or a retry after a worker restart sends nothing twice.
 */
export async function digestWorkflow(input: DigestWorkflowInput): ReturnType<typeof sendDigest> {
  // Workflow time: the same on replay.
  const period = input.period ?? digestPeriodBefore(input.frequency, Date.now());
  return sendDigest({ userId: input.userId, period });
}
