import type { Role } from './access';
import { type Routing, escalationChain } from './routing';
import { EVERY_UNIT, type Unit, type UnitScope, unitScopeOfKey } from './units';

/**
 * The cases a person or an API key may see and act on: every case (the organisation-wide CX team,
 * admins, unrestricted keys), or the cases of some teams plus, for a person, those assigned to
 * them. A key is not a person and no case is assigned to it: its `ownerId` is null.
 */
export type CaseScope = { all: true } | { all: false; teamIds: readonly string[]; ownerId: string | null };

/** Roles that see every case: operations is the organisation-wide CX team ("head of CX"). */
const ORGANISATION_WIDE: readonly Role[] = ['admin', 'operations'];

export const EVERY_CASE: CaseScope = { all: true };

/**
 * A person's case scope: the teams they are a member of, the teams they manage, and the teams whose
 * escalation chain (manager, manager above, …) they are on; plus the teams tied to a unit in their
 * unit scope (a general manager sees the cases of their units' teams), and any case assigned to
 * them, which covers a reassignment outside their teams and the time before routing is set up.
 * A unit scope of everything adds no team: it is also what people recorded before units had, who
 * keep seeing what they saw (the organisation-wide roles see every case anyway).
 */
export function caseScopeOf(
  routing: Routing | null,
  user: { id: string; role: Role },
  unitScope: UnitScope = EVERY_UNIT,
): CaseScope {
  if (ORGANISATION_WIDE.includes(user.role)) return EVERY_CASE;
  // A person's scope holds the root only as everything (unitScopeOf), so no team falls to the root here.
  const ofUnits = unitScope.all ? [] : teamsOfUnits(routing, unitScope, undefined);
  const ofRouting =
    user.role === 'case_owner'
      ? (routing?.teams ?? [])
          .filter((team) => team.members.includes(user.id) || escalationChain(routing!, team.id).includes(user.id))
          .map((team) => team.id)
      : [];
  return { all: false, teamIds: [...new Set([...ofRouting, ...ofUnits])], ownerId: user.id };
}

/**
 * The routing teams tied to a unit of the scope. A team tied to no unit serves the whole company:
 * it belongs to the root, which only a scope holding the root sees.
 */
export function teamsOfUnits(routing: Routing | null, unitScope: UnitScope, root: string | undefined): string[] {
  return (routing?.teams ?? [])
    .filter((team) => {
      const unit = team.unit ?? root;
      return unitScope.all || (unit !== undefined && unitScope.unitIds.includes(unit));
    })
    .map((team) => team.id);
}

/**
 * An API key's case scope: every case, the teams it was restricted to at creation, the teams tied
 * to the units it was restricted to, or — restricted to both — the teams that are both (each
 * restriction narrows what the key reaches; an empty list, which creation refuses, is no case).
 */
export function caseScopeOfKey(
  key: { teams?: readonly string[]; units?: readonly string[] },
  routing: Routing | null = null,
  units: readonly Unit[] = [],
): CaseScope {
  if (!key.teams && !key.units) return EVERY_CASE;
  const root = units.find((unit) => unit.parentId === null)?.id;
  const ofUnits = key.units ? teamsOfUnits(routing, unitScopeOfKey(units, key), root) : null;
  const teamIds = key.teams ? key.teams.filter((id) => ofUnits === null || ofUnits.includes(id)) : ofUnits!;
  return { all: false, teamIds, ownerId: null };
}

/** Whether a case is one the scope may see and act on. */
export function inCaseScope(scope: CaseScope, doc: { teamId: string; ownerId: string }): boolean {
  return scope.all || scope.teamIds.includes(doc.teamId) || (scope.ownerId !== null && doc.ownerId === scope.ownerId);
}

/**
 * The same rule as a query condition on cases (`teamId`, `ownerId`), to add to a list's filter;
 * null when the scope holds every case.
 */
export function caseScopeCondition(
  scope: CaseScope,
): { $or: ({ teamId: { $in: string[] } } | { ownerId: string })[] } | null {
  if (scope.all) return null;
  const ofTeams = { teamId: { $in: [...scope.teamIds] } };
  return { $or: scope.ownerId === null ? [ofTeams] : [ofTeams, { ownerId: scope.ownerId }] };
}

/** The sentence a refused person reads. */
export const OUT_OF_SCOPE =
  'This case belongs to a team you are not part of: you may open the cases of your teams, of the teams below you in the escalation chain, of the teams of your units, and cases assigned to you.';

/** The sentence a refused team-restricted API key reads. */
export const OUT_OF_KEY_SCOPE =
  'This case belongs to a team this API key is not restricted to: the key reads and acts only on the cases of its teams (or of its units’ teams).';

/** What a refused caller reads: a person, or a key (which has no cases of its own). */
export const outOfScopeMessage = (scope: CaseScope) =>
  !scope.all && scope.ownerId === null ? OUT_OF_KEY_SCOPE : OUT_OF_SCOPE;
