import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

/** Per task queue, like the sweep's: tests run several deployments on one Temporal server. */
export const alertScheduleId = (taskQueue: string) => `alerts:${taskQueue}`;

/** The checks run once a day, once the day before is complete (UTC), and before the working day in Europe. */
const ALERT_SPEC = { calendars: [{ hour: 5, minute: 30, comment: 'daily alert checks' }] };

/**
 * The Temporal Schedule that starts `alertCheckWorkflow` every day on the task queue: one per
 * cluster however many workers there are, skipping a run while the previous one lasts (so one run
 * at a time writes the episode states). Created by the first worker to start, kept as it is by the
 * next ones.
 */
export async function ensureAlertSchedule(client: Client, taskQueue: string): Promise<void> {
  const scheduleId = alertScheduleId(taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      spec: ALERT_SPEC,
      action: {
        type: 'startWorkflow',
        workflowType: 'alertCheckWorkflow',
        taskQueue,
        workflowId: scheduleId,
        args: [{}],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 3_600_000 },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
