import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { businessMsBetween } from '../domain/business-hours';
import { caseContribution, changesFromTimeline } from '../domain/case-metrics';
import { type ScoreContribution, invitationFunnel } from '../domain/rollup';
import { handOverCounted } from './scores-owner';

/** Invitations read per round: their steps are handed over, and counted, before the next round. */
const PAGE = 500;

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
  let invitations = 0;
  let steps = 0;
  let page: ScoreContribution[] = [];
  const flush = async () => {
    await handOverCounted(db, client, taskQueue, page);
    steps += page.length;
    page = [];
    progress(invitations);
  };
  const cursor = c
    .invitations(db)
    .find(
      {},
      { projection: { programId: 1, customerId: 1, known: 1, status: 1, sentAt: 1, remindedAt: 1, expiresAt: 1 } },
    );
  for await (const invitation of cursor) {
    invitations++;
    page.push(...invitationFunnel(invitation));
    if (invitations % PAGE === 0) await flush();
  }
  await flush();
  return { invitations, steps };
}

/** Cases read per round. */
const CASE_PAGE = 100;

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
  let cases = 0;
  let changes = 0;
  let page: ScoreContribution[] = [];
  const flush = async () => {
    await handOverCounted(db, client, taskQueue, page);
    changes += page.length;
    page = [];
    progress(cases);
  };
  for await (const theCase of c.cases(db).find({})) {
    cases++;
    const rebuilt = changesFromTimeline(theCase, await timelineOf(db, theCase._id), (from, to) =>
      businessMsBetween(theCase.calendar, from, to),
    );
    const id = { id: theCase._id, programId: theCase.programId, customerId: theCase.customerId };
    for (const { seq, at, change } of rebuilt) {
      const contribution = caseContribution(id, seq, at.getTime(), change);
      if (contribution) page.push(contribution);
    }
    if (cases % CASE_PAGE === 0) await flush();
  }
  await flush();
  return { cases, changes };
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
