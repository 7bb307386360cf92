import { type Client, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import type { TRelationshipCadence } from '../domain/cadence';
import type { TProgram } from '../domain/program';
import { fanOutTaskQueue } from '../../workflows/definitions';
import { deleteSchedule, putSchedule } from './schedules';

/** Per task queue, like the sweep's: tests run several deployments on one Temporal server. */
export const waveScheduleId = (taskQueue: string, programId: string) => `wave:${taskQueue}:${programId}`;
const SCHEDULE_PREFIX = (taskQueue: string) => waveScheduleId(taskQueue, '');

export type WaveScheduleState = 'active' | 'paused' | 'none';

type ScheduledProgram = Pick<TProgram, 'id' | 'kind' | 'active' | 'cadence' | 'name'>;

function dailyAt(cadence: TRelationshipCadence): ScheduleSpec {
  const [hour, minute] = cadence.runAt.split(':').map(Number);
  return { calendars: [{ hour, minute, comment: `${cadence.cycle} cycle` }], timezone: cadence.timezone };
}

/**
 * Makes the program's Temporal Schedule match it: a relationship program has one, running its
 * wave every day at `runAt` and paused while the program is; any other program (or none) has
 * none. Idempotent, so the sweep can repair what a failed save left behind.
 */
export async function syncWaveSchedule(
  client: Client,
  taskQueue: string,
  programId: string,
  program: ScheduledProgram | null,
): Promise<WaveScheduleState> {
  const scheduleId = waveScheduleId(taskQueue, programId);
  if (!program?.cadence || program.kind !== 'relationship') {
    await deleteSchedule(client, scheduleId);
    return 'none';
  }
  const spec = dailyAt(program.cadence);
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'relationshipWaveWorkflow',
    taskQueue: fanOutTaskQueue(taskQueue),
    workflowId: `wave:${programId}`,
    args: [{ programId }],
  };
  const state = { paused: !program.active, note: program.active ? `waves of ${program.name}` : 'program paused' };
  // The wave itself catches up missed days (the program's policy), so the schedule need not.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 60_000 };
  await putSchedule(client, { scheduleId, spec, action, policies, state });
  return program.active ? 'active' : 'paused';
}

/**
 * Repairs what a save that could not reach Temporal left behind: a missing schedule, a pause
 * state that differs from the program's, a schedule whose program is gone. Returns how many it
 * repaired. (The schedule list is eventually consistent: a just-created one may be "repaired" again, harmlessly.)
 */
export async function reconcileWaveSchedules(
  client: Client,
  taskQueue: string,
  programs: ScheduledProgram[],
): Promise<number> {
  const prefix = SCHEDULE_PREFIX(taskQueue);
  const pausedById = new Map<string, boolean>();
  for await (const schedule of client.schedule.list())
    if (schedule.scheduleId.startsWith(prefix))
      pausedById.set(schedule.scheduleId.slice(prefix.length), schedule.state.paused);
  const relationship = programs.filter((program) => program.kind === 'relationship' && program.cadence);
  const wanted = new Set(relationship.map((program) => program.id));
  const drifted = relationship.filter((program) => pausedById.get(program.id) !== !program.active);
  const orphaned = [...pausedById.keys()].filter((id) => !wanted.has(id));
  for (const program of drifted) await syncWaveSchedule(client, taskQueue, program.id, program);
  for (const id of orphaned) await syncWaveSchedule(client, taskQueue, id, null);
  return drifted.length + orphaned.length;
}
