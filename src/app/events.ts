import type { Db } from 'mongodb';
import { events } from '../db/collections';
import { findCustomer, isErased } from '../db/customers';
import { type IdentityWrite, type IgnoredFields, ignoredIdentityChanges } from '../domain/event-profile';
import { isDuplicateKeyError } from '../db/insert-once';
import { type LoopSettings, signalCustomerLoop } from '../temporal/loop-client';
import pLimit from 'p-limit';
import { AppError } from './errors';
import { type TEventInput, ZEventBatch, ZEventInput } from './schemas';
import { parseInput } from './validation';

/** Events of one batch recorded at once: enough to hide round trips, few enough to spare MongoDB and Temporal. */
const BATCH_CONCURRENCY = 16;

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

/**
 * Records a batch all or nothing: one invalid event refuses the whole batch. A repeated ID within
 * the batch is a duplicate of its first occurrence, recorded once.
 */
export async function recordEventBatch(
  db: Db,
  loop: LoopSettings,
  body: unknown,
  identity: IdentityWrite,
): Promise<({ eventId: string } & EventOutcome)[]> {
  const batch = parseInput(ZEventBatch, body, 'batch');
  const parsed = batch.events.map((e) => ZEventInput.safeParse(e));
  const invalid = parsed.flatMap((p, index) =>
    p.success ? [] : [{ index, errors: p.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }],
  );
  if (invalid.length)
    throw new AppError('invalid', `invalid batch: ${invalid.length} event(s) are invalid; none were accepted`, invalid);
  const events = parsed.map((p) => p.data!);
  const seen = new Set<string>();
  const firsts = events.filter((event) => !seen.has(event.id) && seen.add(event.id));
  const outcomes = new Map<TEventInput, EventOutcome>();
  const limit = pLimit(BATCH_CONCURRENCY);
  await Promise.all(
    firsts.map((event) => limit(async () => outcomes.set(event, await recordEvent(db, loop, event, identity)))),
  );
  return events.map((event) => ({ eventId: event.id, ...(outcomes.get(event) ?? { status: 'duplicate' }) }));
}
