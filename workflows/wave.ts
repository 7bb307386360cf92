import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { fanOutTaskQueue } from './definitions';

type Activities = ReturnType<typeof createActivities>;

/** On the fan-out queue, which is known once the workflow runs. */
function waveActivities() {
  const taskQueue = fanOutTaskQueue(workflowInfo().taskQueue);
  const { planWave } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '1m',
    retry: { initialInterval: '2s', maximumInterval: '1m' },
  });
  // A day pages through every customer: long, so it heartbeats its place and a retry resumes there.
  const { surveyWaveDay } = proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '2h',
    heartbeatTimeout: '1m',
    retry: { initialInterval: '5s', maximumInterval: '5m' },
  });
  return { planWave, surveyWaveDay };
}

export interface WaveInput {
  programId: string;
}

/**
 * A relationship program's daily wave, started by the program's Temporal Schedule: surveys the
 * customers whose day it is (and, by the program's catch-up policy, those of days missed since
 * the last wave), each through their own loop and its contact rules.
 */
export async function relationshipWaveWorkflow({ programId }: WaveInput): Promise<{ day: number; due: number }[]> {
  const { planWave, surveyWaveDay } = waveActivities();
  const { days } = await planWave({ programId });
  const done: { day: number; due: number }[] = [];
  for (const day of days) {
    const { due } = await surveyWaveDay({ programId, day });
    done.push({ day, due });
  }
  return done;
}
