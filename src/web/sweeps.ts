import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { type LoopSettings, signalCustomerLoop } from './events-service';
import { signalReply } from './replies-service';

/** Work younger than this is probably still on its way; leave it alone. */
const SETTLE_MS = 5_000;
const BATCH = 500;

export interface SweepResult {
  events: number;
  replies: number;
}

/**
 * Re-signals what MongoDB holds but the workflows have not acknowledged: events not yet
 * decided on by their customer loop and replies not yet received by their invitation.
 * Signals are idempotent in the workflows, so a spare signal costs nothing.
 */
export async function sweepUnacknowledged(db: Db, loop: LoopSettings, now = new Date()): Promise<SweepResult> {
  const before = new Date(now.getTime() - SETTLE_MS);
  const result: SweepResult = { events: 0, replies: 0 };
  const pendingEvents = await c
    .events(db)
    .find({ processedAt: { $exists: false }, receivedAt: { $lt: before } })
    .sort({ receivedAt: 1 })
    .limit(BATCH)
    .toArray();
  for (const event of pendingEvents) {
    if (await signalCustomerLoop(loop, event.customerId, event._id)) result.events++;
  }
  const pendingReplies = await c
    .responses(db)
    .find({ acknowledgedAt: { $exists: false }, submittedAt: { $lt: before } })
    .sort({ submittedAt: 1 })
    .limit(BATCH)
    .toArray();
  for (const reply of pendingReplies) {
    if (await resignalReply(db, loop.temporal, reply, loop.log)) result.replies++;
  }
  return result;
}

async function resignalReply(
  db: Db,
  temporal: Client,
  reply: c.ResponseDoc,
  log: (msg: string) => void,
): Promise<boolean> {
  try {
    return await signalReply(temporal, reply._id, log);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Its invitation workflow has ended (expiry raced the reply): keep the reply, stop retrying.
    log(`reply ${reply._id} arrived after its invitation workflow ended; kept, not scored`);
    await c.responses(db).updateOne({ _id: reply._id }, { $set: { acknowledgedAt: new Date() } });
    return false;
  }
}

/** Runs the sweep every `intervalMs` until stopped; one sweep at a time. */
export function startSweeper(db: Db, loop: LoopSettings, intervalMs: number): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running
      .then(() => sweepUnacknowledged(db, loop))
      .catch((err: Error) => loop.log(`sweep failed, will retry: ${err.message}`));
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
