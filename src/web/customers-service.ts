import type { Db } from 'mongodb';
import { customers } from '../db/collections';
import { KeyedMutex } from '../db/keyed-mutex';
import { isDuplicateKeyError } from '../db/mongo';
import type { TCustomerInput } from './schemas';

/** This process's writes to one customer record, one at a time (see KeyedMutex). */
const customerWrites = new KeyedMutex();

/** Creates or updates a customer; attributes merge so integrations may send only what changed. */
export function upsertCustomer(db: Db, input: TCustomerInput): Promise<void> {
  return customerWrites.run(input.id, () => writeCustomer(db, input));
}

async function writeCustomer(db: Db, input: TCustomerInput): Promise<void> {
  const now = new Date();
  const set: Record<string, unknown> = { email: input.email, updatedAt: now };
  if (input.name) set.name = input.name;
  if (input.locale) set.locale = input.locale;
  if (input.timezone) set.timezone = input.timezone;
  for (const [key, value] of Object.entries(input.attributes ?? {})) set[`attributes.${key}`] = value;
  const update = {
    $set: set,
    $setOnInsert: {
      unsubscribed: false,
      createdAt: now,
      ...(input.locale ? {} : { locale: 'en' }),
      ...(input.attributes && Object.keys(input.attributes).length ? {} : { attributes: {} }),
    },
  };
  try {
    await customers(db).updateOne({ _id: input.id }, update, { upsert: true });
  } catch (err) {
    // Two concurrent first events for one customer: the loser simply updates.
    if (!isDuplicateKeyError(err)) throw err;
    await customers(db).updateOne({ _id: input.id }, update);
  }
}
