import { ActivityFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { EMAIL_ACTIVITY_OPTIONS, WEBHOOK_ACTIVITY_OPTIONS } from './definitions';

type Activities = ReturnType<typeof createActivities>;

const { checkAlerts, markAlertDelivered } = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  // The schedule starts the next run anyway: a failed check is retried a few times, not forever.
  retry: { initialInterval: '5s', maximumAttempts: 5 },
});
const { emailAlert } = proxyActivities<Activities>(EMAIL_ACTIVITY_OPTIONS);
const { postAlertWebhook } = proxyActivities<Activities>(WEBHOOK_ACTIVITY_OPTIONS);

const DAY_MS = 86_400_000;

/**
 * One run of the alert checks, started daily by a Temporal Schedule (ensureAlertSchedule): checks
 * every unit's figures up to `day` (default: yesterday, the last whole day, UTC), then tells the
 * responsible people of each episode that opened. Carries alert IDs and counts only.
 */
export async function alertCheckWorkflow(input: { day?: string } = {}): Promise<{
  day: string;
  checked: number;
  delivered: number;
  recovered: number;
}> {
  const day = input.day ?? new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
  const run = await checkAlerts({ day });
  for (const alertId of run.toDeliver) {
    await emailAlert({ alertId });
    try {
      await postAlertWebhook({ alertId });
    } catch (err) {
      // Given up after its retries (the receiver is gone or refuses): the emails went out.
      if (!(err instanceof ActivityFailure)) throw err;
    }
    await markAlertDelivered({ alertId });
  }
  return { day, checked: run.checked, delivered: run.toDeliver.length, recovered: run.recovered };
}
