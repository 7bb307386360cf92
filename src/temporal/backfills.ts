import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { businessMsBetween } from '../domain/business-hours';
import { caseMetricsContribution, changesFromTimeline } from '../domain/case-metrics';
import { type ScoreContribution, invitationFunnel } from '../domain/rollup';
import { handOverCounted } from './scores-owner';

/**
 * Hands over the contributions of each record, `page` records at a time, each page counted by the
 * owner before the next is read (so its continue-as-new payload stays small).
 */
async function handOverEach<T>(
  db: Db,
  client: Client,
  taskQueue: string,
  records: AsyncIterable<T>,
  contributionsOf: (record: T) => Promise<ScoreContribution[]> | ScoreContribution[],
  { page, progress }: { page: number; progress: (records: number) => void },
): Promise<{ records: number; contributions: number }> {
  let count = 0;
  let contributions = 0;
  let pending: ScoreContribution[] = [];
  const flush = async () => {
    await handOverCounted(db, client, taskQueue, pending);
    contributions += pending.length;
    pending = [];
    progress(count);
  };
  for await (const record of records) {
    count++;
    pending.push(...(await contributionsOf(record)));
    if (count % page === 0) await flush();
  }
  await flush();
  return { records: count, contributions };
}

/**
 * Hands the funnel steps of every invitation to the scores' owner (invitations sent before the
 * funnel was counted; unsubscribes are the sweep's). Idempotent: the owner counts each step of an
 * invitation once, so it may run again, or while invitations are being sent. Needs a running worker.
 */
export async function backfillFunnel(
  db: Db,
  client: Client,
  taskQueue: string,
  progress: (invitations: number) => void = () => {},
): Promise<{ invitations: number; steps: number }> {
  const invitations = c
    .invitations(db)
    .find(
      {},
      { projection: { programId: 1, customerId: 1, known: 1, status: 1, sentAt: 1, remindedAt: 1, expiresAt: 1 } },
    );
  const done = await handOverEach(db, client, taskQueue, invitations, invitationFunnel, { page: 500, progress });
  return { invitations: done.records, steps: done.contributions };
}

/**
 * Hands every change of every case, rebuilt from its timeline (`changesFromTimeline`), to the
 * scores' owner: for cases recorded before case metrics were counted. Keyed as the live count
 * keys them, so it may run again, or while cases change. Needs a running worker.
 */
export async function backfillCaseMetrics(
  db: Db,
  client: Client,
  taskQueue: string,
  progress: (cases: number) => void = () => {},
): Promise<{ cases: number; changes: number }> {
  const changesOf = async (theCase: c.CaseDoc) => {
    const rebuilt = changesFromTimeline(theCase, await timelineOf(db, theCase._id), (from, to) =>
      businessMsBetween(theCase.calendar, from, to),
    );
    const id = { id: theCase._id, programId: theCase.programId, customerId: theCase.customerId };
    // The routing state counts the cases themselves (migration 9), not changes rebuilt with today's owner.
    return rebuilt.flatMap(({ seq, at, change }) => {
      const contribution = caseMetricsContribution(id, seq, at.getTime(), change);
      return contribution ? [contribution] : [];
    });
  };
  const done = await handOverEach(db, client, taskQueue, c.cases(db).find({}), changesOf, { page: 100, progress });
  return { cases: done.records, changes: done.contributions };
}

/** A case's timeline in order, read by `_id` (case and sequence number) until the first gap. */
async function timelineOf(db: Db, caseId: string): Promise<c.CaseTimelineDoc[]> {
  const entries: c.CaseTimelineDoc[] = [];
  for (let seq = 0; ; seq++) {
    const entry = await c.caseTimeline(db).findOne({ _id: `${caseId}:${seq}` });
    if (!entry) return entries;
    entries.push(entry);
  }
}
