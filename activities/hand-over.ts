import type { Db } from 'mongodb';
import pLimit from 'p-limit';
import * as c from '../src/db/collections';
import { insertManyOnce } from '../src/db/insert-once';
import { type LoopSettings, signalCustomerLoop } from '../src/temporal/loop-client';

/** Signal-with-start calls in flight at once (bench:campaign measures the raw rate at the same). */
export const SIGNAL_CONCURRENCY = 16;

/**
 * Records events a program raises itself (a wave's, a campaign's; insert-only, keyed so that a
 * repeat finds them) and signals each customer's loop whose event is not decided yet: the new ones
 * and those an interrupted run recorded but may not have signalled. An event whose signal fails
 * stays undecided, and the sweep hands it over later.
 */
export async function handEventsToLoops(db: Db, loop: LoopSettings, events: c.EventDoc[]): Promise<number> {
  const inserted = await insertManyOnce(c.events(db), events);
  const repeated = events.filter((_, i) => !inserted[i]).map((event) => event._id);
  const decided = new Set(
    repeated.length
      ? (
          await c
            .events(db)
            .find({ _id: { $in: repeated }, processedAt: { $exists: true } }, { projection: { _id: 1 } })
            .toArray()
        ).map((event) => event._id)
      : [],
  );
  const toSignal = events.filter((event) => !decided.has(event._id));
  const limit = pLimit(SIGNAL_CONCURRENCY);
  await Promise.all(toSignal.map((event) => limit(() => signalCustomerLoop(loop, event.customerId, event._id))));
  return toSignal.length;
}
