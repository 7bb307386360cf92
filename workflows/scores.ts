import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { ScoreContribution } from '../src/domain/rollup';
import { type ScoresInput, replyScoredSignal } from './definitions';

const { applyScores } = proxyActivities<ReturnType<typeof createActivities>>({
  // Generous, so that no retry runs while an earlier attempt could still write.
  startToCloseTimeout: '2m',
  // The attempt heartbeats while it writes: one whose worker died, or whose completion was lost in
  // a Temporal outage, is retried 30 s after its last beat rather than after the 2 minutes.
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});

/** Contributions applied per activity: one read and one write per document touched. */
const BATCH_SIZE = 200;
const DEFAULT_HISTORY_LIMIT = 2000;

/**
 * The one owner of the pre-aggregated scores (rollups per program, day and segment; the
 * customers' summary scores). Any worker that finalizes a reply signals its contribution here;
 * this workflow applies them in batches, one activity at a time, so however many worker
 * processes run, no two writes to one of these documents ever race.
 */
export async function scoresWorkflow(input: ScoresInput = {}): Promise<void> {
  const pending: ScoreContribution[] = [...(input.pending ?? [])];
  setHandler(replyScoredSignal, (contribution) => {
    pending.push(contribution);
  });
  for (;;) {
    await condition(() => pending.length > 0);
    const batch = pending.slice(0, BATCH_SIZE);
    await applyScores({ batch });
    // Signals that came in meanwhile were appended: only the batch is done.
    pending.splice(0, batch.length);
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) {
      await continueAsNew<typeof scoresWorkflow>({ ...input, pending });
    }
  }
}
