import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import pLimit from 'p-limit';
import { type UnsubscribeDoc, invitations, rollups, unsubscribes } from '../db/collections';
import { isCounted } from '../db/counted-keys';
import { loadUnits } from '../db/units';
import { ALL_SEGMENT, type ScoreContribution, funnelContribution, rollupId } from '../domain/rollup';
import { unitPath } from '../domain/units';
import { replyScoredSignal, scoresWorkflowId } from '../../workflows/definitions';

/** Hands a contribution to the scores' owner of a task queue, starting the owner if it is not running. */
export async function submitToScoresOwner(
  client: Client,
  taskQueue: string,
  contribution: ScoreContribution,
): Promise<void> {
  await client.workflow.signalWithStart('scoresWorkflow', {
    workflowId: scoresWorkflowId(taskQueue),
    taskQueue,
    args: [{}],
    signal: replyScoredSignal,
    signalArgs: [contribution],
  });
}

/**
 * Contributions handed to the scores' owner before waiting for it to count them: it carries what
 * it has not applied into its next run when it continues as new, so a few hundred at a time keep
 * that payload small.
 */
const HAND_OVER_CHUNK = 200;

/**
 * Hands many contributions over a chunk at a time, each chunk counted before the next goes (for
 * seeding and backfills). The owner applies contributions in the order they arrive, so the chunk's
 * last one is signalled after the others were taken: once it is counted, all are.
 */
export async function handOverCounted(
  db: Db,
  client: Client,
  taskQueue: string,
  contributions: ScoreContribution[],
  progress: (handed: number) => void = () => {},
): Promise<void> {
  const limit = pLimit(16);
  for (let i = 0; i < contributions.length; i += HAND_OVER_CHUNK) {
    const chunk = contributions.slice(i, i + HAND_OVER_CHUNK);
    const last = chunk.at(-1)!;
    await Promise.all(chunk.slice(0, -1).map((item) => limit(() => submitToScoresOwner(client, taskQueue, item))));
    await submitToScoresOwner(client, taskQueue, last);
    await waitUntilCounted(db, last);
    progress(i + chunk.length);
  }
}

async function waitUntilCounted(db: Db, contribution: ScoreContribution): Promise<void> {
  const id = rollupId(contribution.programId, contribution.day, ALL_SEGMENT);
  for (let waited = 0; waited < 120_000; waited += 250) {
    const rollup = await rollups(db).findOne({ _id: id }, { projection: { appliedBatch: 1 } });
    if (await isCounted(db, 'rollups', rollup, contribution.replyId)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the scores' owner did not count ${contribution.replyId} within 2 minutes`);
}

/**
 * Counts an unsubscribe made through a survey link in the funnel of the link's program, then marks
 * it counted. The web does this right after storing it; the sweep does it for those the web could
 * not (Temporal unreachable), once they are a minute old, so the two do not both write one.
 */
export async function countUnsubscribe(
  db: Db,
  client: Client,
  taskQueue: string,
  unsubscribe: UnsubscribeDoc,
): Promise<void> {
  if (unsubscribe.countedAt || !unsubscribe.invitationId) return;
  const invitation = await invitations(db).findOne({ _id: unsubscribe.invitationId });
  if (invitation)
    await submitToScoresOwner(
      client,
      taskQueue,
      funnelContribution(
        invitation,
        'unsubscribed',
        unsubscribe.at.getTime(),
        unitPath(await loadUnits(db), invitation.known),
      ),
    );
  await unsubscribes(db).updateOne({ _id: unsubscribe._id }, { $set: { countedAt: new Date() } });
}
