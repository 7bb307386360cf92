import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { sweepUnacknowledged } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: '30s',
  // The schedule starts the next sweep anyway: a failed one is retried a few times, not forever.
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

/**
 * One sweep: re-signals the events and replies MongoDB holds but the workflows have not
 * acknowledged, and removes expired admin sessions. A Temporal Schedule starts it (see ensureSweepSchedule), so it runs once per
 * cluster however many web and worker processes there are.
 */
export async function sweepWorkflow(): ReturnType<typeof sweepUnacknowledged> {
  return sweepUnacknowledged();
}
