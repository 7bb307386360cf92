import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { findCustomer, isErased, recordUnsubscribe } from '../db/customers';
import type { LoopSettings } from '../temporal/loop-client';
import { countUnsubscribe } from '../temporal/scores-owner';
import { invitationByToken } from './replies';

/** Where an unsubscribe link stands: unknown, of an erased customer, or the invitation it belongs to. */
export type UnsubscribeState =
  { kind: 'unknown' } | { kind: 'erased' } | { kind: 'found'; invitation: c.InvitationDoc; unsubscribed: boolean };

/** What the unsubscribe page shows; changes nothing (mail scanners open every link). */
export async function unsubscribeState(db: Db, token: string): Promise<UnsubscribeState> {
  const invitation = await invitationByToken(db, token);
  if (!invitation) return { kind: 'unknown' };
  const customer = await findCustomer(db, invitation.customerId);
  if (customer?.erasedAt) return { kind: 'erased' };
  return { kind: 'found', invitation, unsubscribed: customer?.unsubscribed === true };
}

/** Unsubscribes the customer of the link's invitation and counts it in its program's funnel. */
export async function unsubscribeByToken(db: Db, loop: LoopSettings, token: string): Promise<UnsubscribeState> {
  const invitation = await invitationByToken(db, token);
  if (!invitation) return { kind: 'unknown' };
  // Already unsubscribed by the erasure: nothing to record, nothing to show.
  if (await isErased(db, invitation.customerId)) return { kind: 'erased' };
  await recordUnsubscribe(db, invitation.customerId, invitation._id);
  await countInFunnel(db, loop, invitation.customerId);
  return { kind: 'found', invitation, unsubscribed: true };
}

/** The customer's unsubscribe (the first one they made) in its program's funnel; the sweep retries a failure. */
async function countInFunnel(db: Db, loop: LoopSettings, customerId: string): Promise<void> {
  const unsubscribe = await c.unsubscribes(db).findOne({ _id: customerId });
  if (!unsubscribe) return;
  try {
    await countUnsubscribe(db, loop.temporal, loop.taskQueue, unsubscribe);
  } catch {
    loop.log(`unsubscribe of ${customerId} stored, not yet in the funnel; the sweep will count it`);
  }
}
