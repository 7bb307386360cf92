import type { Db } from 'mongodb';
import { DEFAULT_UNITS, type Unit } from '../domain/units';
import * as c from './collections';

/** The organisation tree and its version (0: never saved, the company alone). */
export async function loadUnitTree(db: Db): Promise<{ units: Unit[]; version: number }> {
  const doc = await c.orgUnits(db).findOne({ _id: 'units' });
  return doc ? { units: doc.units, version: doc.version } : { units: [...DEFAULT_UNITS], version: 0 };
}

export const loadUnits = async (db: Db): Promise<Unit[]> => (await loadUnitTree(db)).units;
