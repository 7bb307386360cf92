import type { Db } from 'mongodb';
import { events } from '../db/collections';
import { findCustomer, isErased } from '../db/customers';
import { type IdentityWrite, type IgnoredFields, ignoredIdentityChanges } from '../domain/event-profile';
import { isDuplicateKeyError } from '../db/mongo';
import { type LoopSettings, signalCustomerLoop } from '../temporal/loop-client';
import type { TEventInput } from './schemas';

/** `erased`: the customer was erased; nothing of the event is kept and nobody is contacted. */
export type EventStatus = 'accepted' | 'duplicate' | 'erased';

/** What became of an event, and which of its customer fields were not applied (and why). */
export type EventOutcome = { status: EventStatus } & Partial<IgnoredFields>;

/**
 * Records a transaction with the customer's profile as reported (MongoDB first, unique per
 * idempotency key), then hands it to the customer's loop, which writes the profile and decides.
 * If Temporal is unreachable the event stays unprocessed and the sweep retries. With `create-only`
 * the loop keeps an existing customer's email and name; the outcome names what it will ignore.
 */
export async function recordEvent(
  db: Db,
  loop: LoopSettings,
  input: TEventInput,
  identity: IdentityWrite = 'change',
): Promise<EventOutcome> {
  if (await isErased(db, input.customer.id)) return { status: 'erased' };
  const ignored =
    identity === 'create-only'
      ? ignoredIdentityChanges(await findCustomer(db, input.customer.id), input.customer, identity)
      : undefined;
  try {
    await events(db).insertOne({
      _id: input.id,
      type: input.type,
      occurredAt: new Date(input.occurredAt),
      customerId: input.customer.id,
      data: input.data ?? {},
      customer: input.customer,
      ...(identity === 'create-only' ? { identityWrite: identity } : {}),
      receivedAt: new Date(),
    });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // A repeat of an event its loop has not taken yet: hand it over again.
    const stored = await events(db).findOne({ _id: input.id }, { projection: { processedAt: 1, customerId: 1 } });
    if (stored && !stored.processedAt) await signalCustomerLoop(loop, stored.customerId, input.id);
    return { status: 'duplicate' };
  }
  await signalCustomerLoop(loop, input.customer.id, input.id);
  return { status: 'accepted', ...ignored };
}
