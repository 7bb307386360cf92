import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { audit } from '../db/audit';
import { loadRouting, storeRouting, storedForm } from '../db/routing';
import { ZRouting, type Routing } from '../domain/routing';
import { AppError } from './errors';
import { ensureUnitsExist } from './units';
import { parseInput } from './validation';

/** Roles that may own or manage cases. */
const CASE_ROLES = new Set(['admin', 'operations', 'case_owner']);

/**
 * Validates and replaces the routing: every member and manager must be an enabled user who may
 * handle cases, so a case can never be routed to nobody, and a team's unit must be one of the tree.
 */
export async function saveRouting(db: Db, input: unknown, updatedBy: string): Promise<Routing> {
  const routing = parseInput(ZRouting, input, 'routing');
  const people = [
    ...new Set([
      ...routing.teams.flatMap((t) => [...t.members, t.manager]),
      ...Object.entries(routing.managerAbove).flat(),
    ]),
  ];
  const found = await c
    .users(db)
    .find({ _id: { $in: people } }, { projection: { role: 1, disabled: 1 } })
    .toArray();
  const usable = new Set(found.filter((u) => !u.disabled && CASE_ROLES.has(u.role)).map((u) => u._id));
  const unknown = people.filter((p) => !usable.has(p));
  if (unknown.length)
    throw new AppError(
      'invalid',
      `invalid routing: not enabled users with the admin, operations or case owner role: ${unknown.join(', ')}`,
    );
  const units = routing.teams.flatMap((team) => (team.unit ? [team.unit] : []));
  if (units.length) await ensureUnitsExist(db, 'invalid routing: a team’s unit', [...new Set(units)]);
  const before = await loadRouting(db);
  await storeRouting(db, routing, updatedBy);
  await audit(db, {
    actor: updatedBy,
    action: 'routing.save',
    subject: 'routing',
    // Stored form: FerretDB refuses keys with dots, such as the emails keying managerAbove.
    ...(before ? { before: { ...storedForm(before) } } : {}),
    after: { ...storedForm(routing) },
  });
  return routing;
}
