import type { Db } from 'mongodb';
import { type Routing, ZRouting } from '../domain/routing';
import * as c from './collections';
import { isDuplicateKeyError } from './insert-once';
import { cachedSetting } from './settings-cache';

/**
 * The routing as stored: who each manager escalates to is a list of pairs, not an object keyed by
 * email, because FerretDB refuses keys with a dot (every email has one).
 */
export type StoredRouting = Omit<Routing, 'managerAbove'> & { managerAbove: { manager: string; above: string }[] };

/** The routing as saved, or null before an admin has set it up. */
export async function loadRouting(db: Db): Promise<Routing | null> {
  const doc = await c.routing(db).findOne({ _id: 'routing' }, { projection: { _id: 0, updatedAt: 0, updatedBy: 0 } });
  if (!doc) return null;
  const pairs = Array.isArray(doc.managerAbove) ? doc.managerAbove : [];
  return ZRouting.parse({ ...doc, managerAbove: Object.fromEntries(pairs.map((p) => [p.manager, p.above])) });
}

/** The routing for the closed loop's case steps: read once per process and SETTINGS_CACHE_TTL. */
export const cachedRouting = (db: Db): Promise<Routing | null> =>
  cachedSetting(db, 'routing', 'routing', () => loadRouting(db));

/** The routing in the form a document can hold (also what the audit log records). */
export function storedForm(routing: Routing): StoredRouting {
  return {
    ...routing,
    managerAbove: Object.entries(routing.managerAbove).map(([manager, above]) => ({ manager, above })),
  };
}

/** Replaces the routing whole (validated by the caller). */
export async function storeRouting(db: Db, routing: Routing, updatedBy: string): Promise<void> {
  const doc = { ...storedForm(routing), updatedAt: new Date(), updatedBy };
  try {
    await c.routing(db).replaceOne({ _id: 'routing' }, doc, { upsert: true });
  } catch (err) {
    // Two first saves at once: the later one replaces the earlier.
    if (!isDuplicateKeyError(err)) throw err;
    await c.routing(db).replaceOne({ _id: 'routing' }, doc);
  }
}
