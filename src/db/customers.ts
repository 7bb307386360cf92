import type { Db, UpdateFilter } from 'mongodb';
import { type CustomerDoc, type UnsubscribeDoc, customers, unsubscribes } from './collections';
import { insertManyOnce, insertOnce } from './insert-once';
import type { CustomerProfile, ProfileOutcome } from '../domain/customer';
import type { IdentityWrite } from '../domain/event-profile';

/** The customer record with its consent: unsubscribed if the record says so or an unsubscribe exists. */
function withConsent(customer: CustomerDoc, unsubscribe: UnsubscribeDoc | null | undefined): CustomerDoc {
  if (customer.unsubscribed || !unsubscribe) return customer;
  return { ...customer, unsubscribed: true, unsubscribedAt: unsubscribe.at };
}

/** One customer, by `_id` (the only filter FerretDB v1 answers from an index), with their consent. */
export async function findCustomer(db: Db, customerId: string): Promise<CustomerDoc | null> {
  const [customer, unsubscribe] = await Promise.all([
    customers(db).findOne({ _id: customerId }),
    unsubscribes(db).findOne({ _id: customerId }),
  ]);
  return customer && withConsent(customer, unsubscribe);
}

/** A page of customers with their consent. */
export async function withConsentOf(db: Db, list: CustomerDoc[]): Promise<CustomerDoc[]> {
  if (!list.length) return list;
  const found = await unsubscribes(db)
    .find({ _id: { $in: list.map((customer) => customer._id) } })
    .toArray();
  const byId = new Map(found.map((unsubscribe) => [unsubscribe._id, unsubscribe]));
  return list.map((customer) => withConsent(customer, byId.get(customer._id)));
}

/** Records an unsubscribe once (insert-only: no update of the customer record can undo it). */
export async function recordUnsubscribe(db: Db, customerId: string, invitationId?: string): Promise<void> {
  await insertOnce(unsubscribes(db), { _id: customerId, at: new Date(), ...(invitationId ? { invitationId } : {}) });
}

/**
 * Creates or updates a customer record; attributes merge so integrations may send only what
 * changed. Called only by the customer's loop, the record's one writer (FerretDB applies an
 * update as read-modify-write, so two writers of one record could lose each other's fields).
 * An erased customer's record stays a stub. With `create-only` (an event sent with a key that may
 * not write customers) the email and name are written only when the record is created, so the
 * check holds even when the record appeared after the event was accepted.
 */
export async function applyProfile(
  db: Db,
  profile: CustomerProfile,
  identity: IdentityWrite = 'change',
): Promise<ProfileOutcome> {
  if (await isErased(db, profile.id)) return 'erased';
  await customers(db).updateOne({ _id: profile.id }, profileUpdate(profile, identity), { upsert: true });
  return 'applied';
}

/**
 * applyProfile, returning the customer record as the write left it, with their consent (a read
 * fewer than writing it, then reading it), or null for an erased customer (not written).
 */
export async function applyProfileReturning(
  db: Db,
  profile: CustomerProfile,
  identity: IdentityWrite = 'change',
): Promise<CustomerDoc | null> {
  if (await isErased(db, profile.id)) return null;
  const [written, unsubscribe] = await Promise.all([
    customers(db).findOneAndUpdate({ _id: profile.id }, profileUpdate(profile, identity), {
      upsert: true,
      returnDocument: 'after',
    }),
    unsubscribes(db).findOne({ _id: profile.id }),
  ]);
  if (!written) throw new Error(`customer ${profile.id} was not written`);
  return withConsent(written, unsubscribe);
}

/** The profile's update of the customer record (an upsert). */
function profileUpdate(profile: CustomerProfile, identity: IdentityWrite): UpdateFilter<CustomerDoc> {
  const now = new Date();
  const identityFields: Record<string, unknown> = { email: profile.email };
  if (profile.name) identityFields.name = profile.name;
  const set: Record<string, unknown> = { ...(identity === 'change' ? identityFields : {}), updatedAt: now };
  if (profile.locale) set.locale = profile.locale;
  if (profile.timezone) set.timezone = profile.timezone;
  for (const [key, value] of Object.entries(profile.attributes ?? {})) set[`attributes.${key}`] = value;
  return {
    $set: set,
    $setOnInsert: {
      ...(identity === 'create-only' ? identityFields : {}),
      unsubscribed: false,
      createdAt: now,
      ...(profile.locale ? {} : { locale: 'en' }),
      ...(profile.attributes && Object.keys(profile.attributes).length ? {} : { attributes: {} }),
    },
  };
}

function newCustomerDoc(profile: CustomerProfile, now: Date): CustomerDoc {
  return {
    _id: profile.id,
    email: profile.email,
    ...(profile.name ? { name: profile.name } : {}),
    locale: profile.locale ?? 'en',
    ...(profile.timezone ? { timezone: profile.timezone } : {}),
    attributes: profile.attributes ?? {},
    unsubscribed: false,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * Creates the customers who have no record yet, in one command, and returns their IDs.
 * Insert-only, so it needs no owner: a customer who exists already (or was created by someone
 * else meanwhile) is refused by the unique `_id` and left to the caller, who hands the change to
 * that customer's loop.
 */
export async function insertNewCustomers(db: Db, profiles: CustomerProfile[]): Promise<Set<string>> {
  const now = new Date();
  const inserted = await insertManyOnce(
    customers(db),
    profiles.map((profile) => newCustomerDoc(profile, now)),
  );
  return new Set(profiles.filter((_, i) => inserted[i]).map((profile) => profile.id));
}

/** One customer who had no record a moment ago (see insertNewCustomers); false when one exists now. */
export async function insertCustomer(db: Db, profile: CustomerProfile): Promise<boolean> {
  return (await insertNewCustomers(db, [profile])).has(profile.id);
}

export async function isErased(db: Db, customerId: string): Promise<boolean> {
  const record = await customers(db).findOne({ _id: customerId }, { projection: { erasedAt: 1 } });
  return Boolean(record?.erasedAt);
}
