import type { Db } from 'mongodb';
import type { Role } from '../domain/access';
import { type Unit, type UnitScope, unitScopeOf, unitScopeOfKey } from '../domain/units';
import { loadUnits } from '../db/units';

/** The organisation tree and what a signed-in person sees of it. */
export async function unitAccessOf(
  db: Db,
  user: { id: string; role: Role; units?: readonly string[] },
): Promise<{ units: Unit[]; scope: UnitScope }> {
  const units = await loadUnits(db);
  return { units, scope: unitScopeOf(units, user) };
}

/** The organisation tree and what an API key sees of it. */
export async function keyUnitAccessOf(
  db: Db,
  key: { units?: readonly string[] },
): Promise<{ units: Unit[]; scope: UnitScope }> {
  const units = await loadUnits(db);
  return { units, scope: unitScopeOfKey(units, key) };
}
