import { createHash } from 'node:crypto';
import { type Client, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import type { DigestFrequency } from '../domain/digest';
import { DIGEST_HOUR_UTC } from '../domain/digest-period';
import { deleteSchedule, putSchedule } from './schedules';

/**
 * Per task queue, like the sweep's and the waves': tests run several deployments on one Temporal
 * server. Named by a hash of the user ID, so no email address shows in Temporal's schedule list.
 */
export const digestScheduleId = (taskQueue: string, userId: string) =>
  `${SCHEDULE_PREFIX(taskQueue)}${createHash('sha256').update(userId).digest('hex').slice(0, 24)}`;
const SCHEDULE_PREFIX = (taskQueue: string) => `digest:${taskQueue}:`;

function specOf(frequency: Exclude<DigestFrequency, 'none'>): ScheduleSpec {
  const at = { hour: DIGEST_HOUR_UTC, minute: 0 };
  return {
    calendars: [
      frequency === 'daily'
        ? { ...at, comment: 'daily digest' }
        : { ...at, dayOfWeek: 'MONDAY', comment: 'weekly digest' },
    ],
    timezone: 'UTC',
  };
}

/**
 * Makes the person's digest schedule match their frequency: daily at 06:00 UTC, Mondays at 06:00 UTC,
 * or none. Idempotent, so the worker's start can repair what a save that missed Temporal left.
 */
export async function syncDigestSchedule(
  client: Client,
  taskQueue: string,
  userId: string,
  frequency: DigestFrequency,
): Promise<DigestFrequency> {
  const scheduleId = digestScheduleId(taskQueue, userId);
  if (frequency === 'none') {
    await deleteSchedule(client, scheduleId);
    return 'none';
  }
  const spec = specOf(frequency);
  // Only the user ID and frequency: the activity reads names, addresses and verbatims from MongoDB.
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'digestWorkflow',
    taskQueue,
    workflowId: scheduleId,
    args: [{ userId, frequency }],
  };
  // A run missed while Temporal or the workers were down is caught up within a day; the email key
  // makes a second run of a period send nothing.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1d' as const };
  const state = { note: `${frequency} digest` };
  await putSchedule(client, { scheduleId, spec, action, policies, state });
  return frequency;
}

/** The frequency a digest schedule runs at (from its action), or none. */
export async function digestScheduleFrequency(
  client: Client,
  taskQueue: string,
  userId: string,
): Promise<DigestFrequency> {
  try {
    const schedule = await client.schedule.getHandle(digestScheduleId(taskQueue, userId)).describe();
    const args =
      schedule.action.type === 'startWorkflow' ? (schedule.action.args as { frequency?: DigestFrequency }[]) : [];
    return args[0]?.frequency ?? 'none';
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return 'none';
    throw err;
  }
}

/**
 * Brings every person's schedule in line at the worker's start: creates the missing ones, updates
 * those whose frequency differs, deletes those of people who chose none, were disabled or are gone.
 * Returns how many it changed.
 */
export async function reconcileDigestSchedules(
  client: Client,
  taskQueue: string,
  people: readonly { userId: string; frequency: DigestFrequency }[],
): Promise<number> {
  const prefix = SCHEDULE_PREFIX(taskQueue);
  const existing = new Set<string>();
  for await (const schedule of client.schedule.list())
    if (schedule.scheduleId.startsWith(prefix)) existing.add(schedule.scheduleId);
  const wanted = people.filter((p) => p.frequency !== 'none');
  const wantedIds = new Set(wanted.map((p) => digestScheduleId(taskQueue, p.userId)));
  let changed = 0;
  for (const person of wanted) {
    const id = digestScheduleId(taskQueue, person.userId);
    // The list does not show the action's arguments: an existing one is described.
    if (existing.has(id) && (await digestScheduleFrequency(client, taskQueue, person.userId)) === person.frequency)
      continue;
    await syncDigestSchedule(client, taskQueue, person.userId, person.frequency);
    changed++;
  }
  for (const id of [...existing].filter((id) => !wantedIds.has(id))) {
    await deleteSchedule(client, id);
    changed++;
  }
  return changed;
}
