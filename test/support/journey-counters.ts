import type { Db } from 'mongodb';
import * as c from '../../src/db/collections';
import { applyJourneyFacts, factsInUnitsNow } from '../../src/db/journey-counters';

/**
 * For a harness without a worker: counts the journey replies a test stored directly, as the scores'
 * owner's backfill would (src/temporal/journey-backfill.ts), in their customers' units now. Only
 * while no owner runs: it is the counters' one writer.
 */
export async function countStoredJourneyReplies(db: Db): Promise<void> {
  const replies = await c.journeyReplies(db).find({}).toArray();
  await applyJourneyFacts(db, { id: `test-${Date.now()}`, retried: false }, await factsInUnitsNow(db, replies));
}
