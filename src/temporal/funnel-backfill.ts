import type { Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../db/collections';
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
  const cursor = c.invitations(db).find(
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
