import type { Db } from 'mongodb';
import { z } from 'zod';
import type { Role } from '../domain/access';
import {
  type Unit,
  type UnitScope,
  ZUnit,
  ZUnits,
  placeUnit,
  removalProblem,
  removedUnits,
  unitScopeOf,
  unitScopeOfKey,
} from '../domain/units';
import * as c from '../db/collections';
import { audit } from '../db/audit';
import { loadRouting } from '../db/routing';
import { loadUnitTree, loadUnits, storeUnitTree } from '../db/units';
import { AppError } from './errors';
import { parseInput } from './validation';

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

/** The tree as the API reads and replaces it: `version` is the one read, 0 before the first save. */
export const ZUnitTreeInput = z
  .object({
    units: ZUnits,
    version: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('The version read; 0 before any save'),
  })
  .strict();

export type UnitTree = { units: Unit[]; version: number };

export const loadUnitTreeView = (db: Db): Promise<UnitTree> => loadUnitTree(db);

/**
 * Replaces the tree whole if nobody saved since `version`: valid, with managers who are users, and
 * removing no unit that people, API keys or routing teams still name. Audited.
 */
export async function saveUnits(db: Db, input: unknown, actor: string): Promise<UnitTree> {
  const { units, version } = parseInput(ZUnitTreeInput, input, 'units');
  await ensureManagersExist(db, units);
  const before = await loadUnitTree(db);
  if (before.version !== version) throw stale(version, before.version);
  await ensureUnused(db, removedUnits(before.units, units));
  if (!(await storeUnitTree(db, units, version, actor))) throw stale(version, (await loadUnitTree(db)).version);
  await audit(db, {
    actor,
    action: 'units.save',
    subject: 'units',
    before: { units: before.units, version: before.version },
    after: { units, version: version + 1 },
  });
  return { units, version: version + 1 };
}

const stale = (read: number, now: number) =>
  new AppError(
    'conflict',
    `the units were changed by someone else since you read them (version ${read}, now ${now}): reload, then make your change again`,
    { version: now },
  );

/** A unit as the admin form sends it (its place in the tree, its rule and manager). */
export const ZUnitInput = ZUnit;

/** Adds a unit (`add`: its ID must be new) or changes one by its ID, on top of the tree at `version`. */
export async function putUnit(
  db: Db,
  unit: unknown,
  { version, add }: { version: number; add: boolean },
  actor: string,
): Promise<UnitTree> {
  const parsed = parseInput(ZUnitInput, unit, 'unit');
  const { units } = await loadUnitTree(db);
  const exists = units.some((u) => u.id === parsed.id);
  if (add && exists) throw new AppError('conflict', `there is already a unit ${parsed.id}: choose another ID`);
  if (!add && !exists) throw new AppError('not-found', `there is no unit ${parsed.id}`);
  return saveUnits(db, { units: placeUnit(units, parsed), version }, actor);
}

/** Deletes a unit with nothing below it, on top of the tree at `version`. */
export async function deleteUnit(db: Db, unitId: string, version: number, actor: string): Promise<UnitTree> {
  const { units } = await loadUnitTree(db);
  const problem = removalProblem(units, unitId);
  if (problem) throw new AppError(units.some((u) => u.id === unitId) ? 'conflict' : 'not-found', problem);
  return saveUnits(db, { units: units.filter((u) => u.id !== unitId), version }, actor);
}

/** A unit's manager must be someone who signs in: a typo must not leave a unit without its GM. */
async function ensureManagersExist(db: Db, units: readonly Unit[]): Promise<void> {
  const managers = [...new Set(units.flatMap((u) => (u.manager ? [u.manager] : [])))];
  if (!managers.length) return;
  const found = new Set(
    (
      await c
        .users(db)
        .find({ _id: { $in: managers } }, { projection: { _id: 1 } })
        .toArray()
    ).map((u) => u._id),
  );
  const unknown = managers.filter((m) => !found.has(m));
  if (unknown.length)
    throw new AppError(
      'invalid',
      `invalid units: managers must be users: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not`,
      {
        managers: unknown,
      },
    );
}

/** Who still names these units: a deleted unit would silently change what they see. */
export async function unitUsers(
  db: Db,
  unitIds: readonly string[],
): Promise<{ people: string[]; keys: string[]; teams: string[] }> {
  if (!unitIds.length) return { people: [], keys: [], teams: [] };
  const ids = [...unitIds];
  const [people, keys, routing] = await Promise.all([
    c
      .users(db)
      .find({ units: { $in: ids } }, { projection: { _id: 1 } })
      .limit(20)
      .toArray(),
    c
      .apiKeys(db)
      .find({ units: { $in: ids }, revokedAt: { $exists: false } }, { projection: { name: 1 } })
      .limit(20)
      .toArray(),
    loadRouting(db),
  ]);
  return {
    people: people.map((p) => p._id),
    keys: keys.map((k) => k.name),
    teams: routing?.teams.filter((t) => t.unit && ids.includes(t.unit)).map((t) => t.id) ?? [],
  };
}

async function ensureUnused(db: Db, removed: readonly string[]): Promise<void> {
  const users = await unitUsers(db, removed);
  const naming = [
    users.people.length ? `people ${users.people.join(', ')}` : '',
    users.keys.length ? `API keys ${users.keys.join(', ')}` : '',
    users.teams.length ? `routing teams ${users.teams.join(', ')}` : '',
  ].filter(Boolean);
  if (naming.length)
    throw new AppError(
      'conflict',
      `${removed.join(', ')} cannot be deleted while ${naming.join('; ')} still name ${removed.length === 1 ? 'it' : 'them'}: assign them elsewhere first`,
      users,
    );
}

/** Refuses unit IDs the tree lacks, the message starting with `what` (people's, keys' and teams' units). */
export async function ensureUnitsExist(db: Db, what: string, unitIds: readonly string[]): Promise<void> {
  const units = await loadUnits(db);
  const unknown = unitIds.filter((id) => !units.some((u) => u.id === id));
  if (unknown.length)
    throw new AppError(
      'invalid',
      `${what}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a unit' : 'are not units'} of the organisation`,
      { units: unknown },
    );
}

/** The tree for the units page: root first, depth-first, with how many people each unit has. */
export async function unitsOverview(db: Db) {
  const tree = await loadUnitTree(db);
  const counts = await c
    .users(db)
    .aggregate<{ _id: string; people: number }>([
      { $match: { units: { $exists: true } } },
      { $unwind: '$units' },
      { $group: { _id: '$units', people: { $sum: 1 } } },
    ])
    .toArray();
  // People recorded before units are at the root.
  const legacy = await c.users(db).countDocuments({ units: { $exists: false } });
  const people = new Map(counts.map((row) => [row._id, row.people]));
  const rows: { unit: Unit; depth: number; people: number }[] = [];
  const visit = (parentId: string | null, depth: number) => {
    for (const unit of tree.units.filter((u) => u.parentId === parentId)) {
      rows.push({ unit, depth, people: (people.get(unit.id) ?? 0) + (parentId === null ? legacy : 0) });
      visit(unit.id, depth + 1);
    }
  };
  visit(null, 0);
  return { ...tree, rows };
}
