import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import pLimit from 'p-limit';
import * as c from '../db/collections';
import { journeyBackfillContribution, journeyStateId, journeyStates } from '../db/journey-counters';
import type { ScoreContribution } from '../domain/rollup';
import { submitToScoresOwner } from './scores-owner';

/** Journey replies handed over before waiting for the owner to take them (its carried payload stays small). */
const CHUNK = 200;

/**
 * Hands every journey reply to the scores' owner to be counted in the journey counters (replies
 * recorded before the counters existed, or stored directly by a seed or a test). Idempotent: a
 * customer's state keeps their latest reply per step, so a reply counted before changes nothing;
 * it may run again, or while replies come in. Needs a running worker.
 */
export async function backfillJourneys(
  db: Db,
  client: Client,
  taskQueue: string,
  progress: (replies: number) => void = () => {},
): Promise<{ replies: number }> {
  const run = randomBytes(6).toString('hex');
  const limit = pLimit(16);
  let count = 0;
  let chunk: { reply: c.JourneyReplyDoc; contribution: ScoreContribution }[] = [];
  const flush = async () => {
    const last = chunk.at(-1);
    if (!last) return;
    await Promise.all(
      chunk.slice(0, -1).map(({ contribution }) => limit(() => submitToScoresOwner(client, taskQueue, contribution))),
    );
    await submitToScoresOwner(client, taskQueue, last.contribution);
    await waitUntilTaken(db, last.reply, last.contribution.replyId);
    count += chunk.length;
    chunk = [];
    progress(count);
  };
  for await (const reply of c.journeyReplies(db).find({})) {
    chunk.push({ reply, contribution: journeyBackfillContribution(reply, run) });
    if (chunk.length === CHUNK) await flush();
  }
  await flush();
  return { replies: count };
}

/** The owner applies contributions in order: once the chunk's last is applied, all are. */
async function waitUntilTaken(db: Db, reply: c.JourneyReplyDoc, key: string): Promise<void> {
  for (let waited = 0; waited < 120_000; waited += 250) {
    const state = await journeyStates(db).findOne({ _id: journeyStateId(reply.programId, reply.customerId) });
    if (state?.handedOver === key && (await c.appliedBatches(db).findOne({ _id: state.appliedBatch }))) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the scores' owner did not count journey reply ${reply._id} within 2 minutes`);
}
