import type { Db } from 'mongodb';
import { DEFAULT_UNITS, type Unit } from '../domain/units';
import * as c from './collections';
import { isDuplicateKeyError } from './insert-once';

/** The organisation tree and its version (0: never saved, the company alone). */
export async function loadUnitTree(db: Db): Promise<{ units: Unit[]; version: number }> {
  const doc = await c.orgUnits(db).findOne({ _id: 'units' });
  return doc ? { units: doc.units, version: doc.version } : { units: [...DEFAULT_UNITS], version: 0 };
}

export const loadUnits = async (db: Db): Promise<Unit[]> => (await loadUnitTree(db)).units;

/**
 * Replaces the tree if it is still at `version` (0: never saved), as `version + 1`; false when
 * someone saved in between. The first save inserts, so of two first saves only one wins.
 */
export async function storeUnitTree(db: Db, units: Unit[], version: number, updatedBy: string): Promise<boolean> {
  const doc = { units, version: version + 1, updatedAt: new Date(), updatedBy };
  if (version === 0) {
    try {
      await c.orgUnits(db).insertOne({ _id: 'units', ...doc });
      return true;
    } catch (err) {
      if (isDuplicateKeyError(err)) return false;
      throw err;
    }
  }
  const result = await c.orgUnits(db).replaceOne({ _id: 'units', version }, { ...doc });
  return result.matchedCount === 1;
}
