import type { Db } from 'mongodb';
import { customers } from '../db/collections';
import { isDuplicateKeyError } from '../db/mongo';
import type { TCustomerInput } from './schemas';

/** Creates or updates a customer; attributes merge so integrations may send only what changed. */
export async function upsertCustomer(db: Db, input: TCustomerInput): Promise<void> {
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
