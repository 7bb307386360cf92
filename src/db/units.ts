import type { Db } from 'mongodb';
import { DEFAULT_UNITS, type Unit } from '../domain/units';
import * as c from './collections';
import type { UnitsDoc } from './collections';
import { insertOnce, isDuplicateKeyError } from './insert-once';
import { cachedSetting } from './settings-cache';

/** The organisation tree and its version (0: never saved, the company alone). */
export async function loadUnitTree(db: Db): Promise<{ units: Unit[]; version: number }> {
  const doc = await c.orgUnits(db).findOne({ _id: 'units' });
  return doc ? { units: doc.units, version: doc.version } : { units: [...DEFAULT_UNITS], version: 0 };
}

export const loadUnits = async (db: Db): Promise<Unit[]> => (await loadUnitTree(db)).units;

/** The tree for the closed loop's steps, which place replies and cases in units: read once per process and SETTINGS_CACHE_TTL. */
export const cachedUnits = (db: Db): Promise<Unit[]> => cachedSetting(db, 'org_units', 'units', () => loadUnits(db));

/**
 * Saves the tree as `version + 1` if nobody saved that version before (0: never saved); false when
 * someone did. The claim is an insert, so of two saves from one version exactly one wins.
 */
export async function storeUnitTree(db: Db, units: Unit[], version: number, updatedBy: string): Promise<boolean> {
  const doc = { units, version: version + 1, updatedAt: new Date(), updatedBy };
  if (!(await insertOnce(c.orgUnitVersions(db), { _id: String(doc.version), ...doc }))) {
    await publishClaimed(db, doc.version);
    return false;
  }
  await publish(db, doc);
  return true;
}

async function publish(db: Db, doc: Omit<UnitsDoc, '_id'>): Promise<void> {
  try {
    await c.orgUnits(db).replaceOne({ _id: 'units' }, doc, { upsert: true });
  } catch (err) {
    // The first publication raced another process publishing the same claim.
    if (!isDuplicateKeyError(err)) throw err;
    await c.orgUnits(db).replaceOne({ _id: 'units' }, doc);
  }
}

/**
 * A winner that stopped between its claim and publishing it would leave every later save refused:
 * whoever loses to a claim the tree does not show yet publishes it (the claim is final).
 */
async function publishClaimed(db: Db, version: number): Promise<void> {
  const current = await c.orgUnits(db).findOne({ _id: 'units' }, { projection: { version: 1 } });
  if ((current?.version ?? 0) >= version) return;
  const claim = await c.orgUnitVersions(db).findOne({ _id: String(version) });
  if (!claim) return;
  const { _id, ...doc } = claim;
  await publish(db, doc);
}
