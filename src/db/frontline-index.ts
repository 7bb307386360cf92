import type { Db } from 'mongodb';
import type { PraisablePerson } from '../domain/frontline';
import * as c from './collections';
import { type LookupIndex, readLookupIndex, rebuildLookupIndex } from './lookup-index';

/**
 * The people with a frontline ID who are not disabled, with their name and units: what praise
 * matches a comment against (a copy of what their user records hold, nothing more).
 */
const FRONTLINE_INDEX: LookupIndex<PraisablePerson[]> = {
  id: 'frontline-people',
  build: async (db) =>
    (
      await c
        .users(db)
        .find({ frontlineId: { $exists: true } }, { projection: { name: 1, units: 1, disabled: 1 } })
        .sort({ _id: 1 })
        .toArray()
    )
      .filter((person) => !person.disabled)
      .map((person) => ({ id: person._id, name: person.name, units: person.units ?? [] })),
};

/** After any change of a user's account (src/app/people.ts, the demo's seed) and at migration. */
export const rebuildFrontlineIndex = (db: Db) => rebuildLookupIndex(db, FRONTLINE_INDEX);

/** The frontline people praise may name: one read by `_id`. */
export const frontlinePeople = (db: Db): Promise<PraisablePerson[]> => readLookupIndex(db, FRONTLINE_INDEX);
