import type { Role } from './access';
import { type Routing, escalationChain } from './routing';

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
 * escalation chain (manager, manager above, …) they are on; plus any case assigned to them, which
 * covers a reassignment outside their teams and the time before routing is set up.
 */
export function caseScopeOf(routing: Routing | null, user: { id: string; role: Role }): CaseScope {
  if (ORGANISATION_WIDE.includes(user.role)) return EVERY_CASE;
  if (user.role !== 'case_owner') return { all: false, teamIds: [], ownerId: user.id };
  const teamIds = (routing?.teams ?? [])
    .filter((team) => team.members.includes(user.id) || escalationChain(routing!, team.id).includes(user.id))
    .map((team) => team.id);
  return { all: false, teamIds, ownerId: user.id };
}

/**
 * An API key's case scope: every case, or exactly the teams it was restricted to at creation (an
 * empty list, which creation refuses, would be no case rather than every case).
 */
export function caseScopeOfKey(key: { teams?: readonly string[] }): CaseScope {
  return key.teams ? { all: false, teamIds: key.teams, ownerId: null } : EVERY_CASE;
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
  'This case belongs to a team you are not part of: you may open the cases of your teams, of the teams below you in the escalation chain, and cases assigned to you.';

/** The sentence a refused team-restricted API key reads. */
export const OUT_OF_KEY_SCOPE =
  'This case belongs to a team this API key is not restricted to: the key reads and acts only on the cases of its teams.';

/** What a refused caller reads: a person, or a key (which has no cases of its own). */
export const outOfScopeMessage = (scope: CaseScope) =>
  !scope.all && scope.ownerId === null ? OUT_OF_KEY_SCOPE : OUT_OF_SCOPE;
