import {
  type Client,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type ScheduleOptions,
  type ScheduleOptionsAction,
} from '@temporalio/client';

/** Removes a schedule; one that is already gone is what was asked for. */
export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch((err: unknown) => {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    });
}

/**
 * Creates the schedule, or makes an existing one match: its spec, action, policies and state. Idempotent,
 * so a save and the start-up repair can both call it.
 */
export async function putSchedule(
  client: Client,
  schedule: Required<Pick<ScheduleOptions, 'scheduleId' | 'spec' | 'policies' | 'state'>> & {
    action: ScheduleOptionsAction;
  },
): Promise<void> {
  const { scheduleId, spec, action, policies, state } = schedule;
  try {
    await client.schedule.create({ scheduleId, spec, action, policies, state });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, ...policies }, state }));
  }
}
