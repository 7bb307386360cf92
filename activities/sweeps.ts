import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { insertOnce } from '../src/db/insert-once';
import { countUnsubscribe } from '../src/temporal/scores-owner';
import { reconcileWaveSchedules } from '../src/temporal/wave-schedules';
import { type LoopDefaults, type LoopSettings, signalCustomerLoop } from '../src/temporal/loop-client';
import { signalReply } from '../src/temporal/loop-client';

/** Work younger than this is probably still on its way; leave it alone. */
const SETTLE_MS = 5_000;
const BATCH = 500;
/** The web counts an unsubscribe as it stores it; the sweep takes over only after this long. */
const UNSUBSCRIBE_SETTLE_MS = 60_000;

interface SweepResult {
  events: number;
  replies: number;
  expiredSessions: number;
  expiredRateLimits: number;
  /** Wave schedules brought in line with their programs (see reconcileWaveSchedules). */
  waveSchedules: number;
  /** Unsubscribes handed to the response funnel. */
  unsubscribes: number;
}

/**
 * Re-signals what MongoDB holds but the workflows have not acknowledged: events not yet
 * decided on by their customer loop and replies not yet received by their invitation.
 * Signals are idempotent in the workflows, so a spare signal costs nothing. Run by
 * `sweepWorkflow`, which a Temporal Schedule starts: once per cluster, not once per replica.
 */
async function sweep(db: Db, loop: LoopSettings, beat: () => void, now = new Date()): Promise<SweepResult> {
  const before = new Date(now.getTime() - SETTLE_MS);
  const result: SweepResult = {
    events: 0,
    replies: 0,
    expiredSessions: await removeExpiredSessions(db, now),
    expiredRateLimits: await removeExpiredRateLimits(db, now),
    waveSchedules: await reconcileWaveSchedules(
      loop.temporal,
      loop.taskQueue,
      await c.programs(db).find({ kind: 'relationship' }).toArray(),
    ),
    unsubscribes: await countUnsubscribes(db, loop, beat),
  };
  const pendingEvents = await c
    .events(db)
    .find({ processedAt: { $exists: false }, receivedAt: { $lt: before } })
    .sort({ receivedAt: 1 })
    .limit(BATCH)
    .toArray();
  for (const event of pendingEvents) {
    if (await signalCustomerLoop(loop, event.customerId, event._id)) result.events++;
    beat();
  }
  for (const reply of await unacknowledgedReplies(db, before)) {
    if (await resignalReply(db, loop.temporal, reply._id, loop.log)) result.replies++;
    beat();
  }
  return result;
}

/**
 * Admin sessions past their expiry (refused already; FerretDB has no TTL index to remove them).
 * Here rather than in connect-mongo's own timer: that one deletes with write concern `w: 0`, and
 * FerretDB answers even an unacknowledged write, so the driver read that stray answer as the
 * reply to the connection's next command — every later reply on it one behind (a survey link
 * answered with another invitation's data, or with none).
 */
async function removeExpiredSessions(db: Db, now: Date): Promise<number> {
  const { deletedCount } = await c.sessions(db).deleteMany({ expires: { $lt: now } });
  return deletedCount;
}

/**
 * Rate-limit counters past their window: refused already and replaced when their key comes back,
 * but one of an address never seen again would stay for ever without TTL indexes.
 */
async function removeExpiredRateLimits(db: Db, now: Date): Promise<number> {
  const { deletedCount } = await c.rateLimitCounters(db).deleteMany({ expire: { $lte: now } });
  return deletedCount;
}

/** Unsubscribes the web could not count in the funnel (see countUnsubscribe), once a minute old. */
async function countUnsubscribes(db: Db, loop: LoopSettings, beat: () => void): Promise<number> {
  const pending = await c
    .unsubscribes(db)
    .find({
      invitationId: { $exists: true },
      countedAt: { $exists: false },
      at: { $lt: new Date(Date.now() - UNSUBSCRIBE_SETTLE_MS) },
    })
    .limit(BATCH)
    .toArray();
  for (const unsubscribe of pending) {
    await countUnsubscribe(db, loop.temporal, loop.taskQueue, unsubscribe);
    beat();
  }
  return pending.length;
}

/** Replies not yet final whose workflow has not acknowledged them (acknowledgements live apart, see ReplyAckDoc). */
async function unacknowledgedReplies(db: Db, before: Date): Promise<{ _id: string }[]> {
  const pending: { _id: string }[] = [];
  const open = c
    .responses(db)
    .find({ finalizedAt: { $exists: false }, submittedAt: { $lt: before } }, { projection: { _id: 1 } })
    .sort({ submittedAt: 1 });
  let page: { _id: string }[] = [];
  const flush = async () => {
    const acked = new Set(
      (
        await c
          .replyAcks(db)
          .find({ _id: { $in: page.map((r) => r._id) } }, { projection: { _id: 1 } })
          .toArray()
      ).map((a) => a._id),
    );
    pending.push(...page.filter((r) => !acked.has(r._id)));
    page = [];
  };
  for await (const reply of open) {
    page.push(reply);
    if (page.length === BATCH) await flush();
    if (pending.length >= BATCH) break;
  }
  if (page.length) await flush();
  return pending.slice(0, BATCH);
}

async function resignalReply(db: Db, temporal: Client, replyId: string, log: (msg: string) => void): Promise<boolean> {
  try {
    return await signalReply(temporal, replyId, log);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Its invitation workflow has ended (expiry raced the reply): keep the reply, stop retrying.
    log(`reply ${replyId} arrived after its invitation workflow ended; kept, not scored`);
    await insertOnce(c.replyAcks(db), { _id: replyId, at: new Date() });
    return false;
  }
}

export function createSweepActivities(db: Db, { loopIdleTimeout, customerKeySecret }: LoopDefaults) {
  return {
    /** The sweep, signalling through the worker's own client to workflows on its task queue. */
    async sweepUnacknowledged(): Promise<SweepResult> {
      const context = Context.current();
      return sweep(
        db,
        {
          temporal: context.client,
          taskQueue: context.info.taskQueue,
          loopIdleTimeout,
          customerKeySecret,
          log: (msg) => context.log.warn(msg),
        },
        // A sweep lost with its worker is noticed by the heartbeat timeout, not after 5 minutes:
        // until then the schedule skips every later sweep.
        () => context.heartbeat(),
      );
    },
  };
}
