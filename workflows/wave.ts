import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

const { planWave } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
});
// A day pages through every customer: long, so it heartbeats its place and a retry resumes there.
const { surveyWaveDay } = proxyActivities<ReturnType<typeof createActivities>>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '5s', maximumInterval: '5m' },
});

export interface WaveInput {
  programId: string;
}

/**
 * A relationship program's daily wave, started by the program's Temporal Schedule: surveys the
 * customers whose day it is (and, by the program's catch-up policy, those of days missed since
 * the last wave), each through their own loop and its contact rules.
 */
export async function relationshipWaveWorkflow({ programId }: WaveInput): Promise<{ day: number; due: number }[]> {
  const { days } = await planWave({ programId });
  const done: { day: number; due: number }[] = [];
  for (const day of days) {
    const { due } = await surveyWaveDay({ programId, day });
    done.push({ day, due });
  }
  return done;
}
