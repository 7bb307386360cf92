import { z } from 'zod';
import { inAudience } from './audience';
import { ALWAYS_OPEN } from './business-hours';
import { ZCalendar } from './calendar-schema';
import { fromFieldKey } from './case-metrics';
import { ZRootCauses } from './case-schemas';
import { ZUnitId } from './units';

const ZUserId = z.email('a user’s email').max(254).toLowerCase();

/** A team of case owners, the attributes it handles (empty: anything), its manager and working hours. */
export const ZTeam = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'team ids are lower-case letters, digits and -'),
    name: z.string().trim().min(1).max(200),
    members: z.array(ZUserId).min(1).max(200),
    manager: ZUserId,
    match: z
      .record(
        z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'an attribute name'),
        z.array(z.union([z.string().max(500), z.number().finite(), z.boolean()])).max(200),
      )
      .default({}),
    assignment: z.enum(['round-robin', 'least-loaded']).default('least-loaded'),
    calendar: ZCalendar.default(ALWAYS_OPEN),
    /** The organisation unit the team serves: its managers and those above see the team's cases. */
    unit: ZUnitId.optional(),
  })
  .strict();
export type Team = z.infer<typeof ZTeam>;

export const MAX_ROUTING_TEAMS = 100;

/** Teams in rule order, the fallback team, and who each manager escalates to. */
export const ZRouting = z
  .object({
    teams: z.array(ZTeam).min(1).max(MAX_ROUTING_TEAMS),
    fallbackTeam: z.string().min(1).max(64),
    managerAbove: z.record(ZUserId, ZUserId).default({}),
    /** What a case owner picks from when resolving a case. */
    rootCauses: ZRootCauses,
  })
  .strict()
  .superRefine((routing, ctx) => {
    if (!routing.teams.some((t) => t.id === routing.fallbackTeam))
      ctx.addIssue({ code: 'custom', path: ['fallbackTeam'], message: 'the fallback team must be one of the teams' });
  });
export type Routing = z.infer<typeof ZRouting>;

/**
 * What assignment looks at, as the scores' owner counts it from the cases' changes (one batch
 * behind): unclosed cases per owner, and cases opened so far per team.
 */
export interface RoutingState {
  /** Unclosed cases per owner, for least-loaded assignment. */
  openCases: Record<string, number>;
  /** Cases the team has opened so far, for round-robin assignment. */
  opened: Record<string, number>;
}

/** The routing state from its document's counters, keyed by field keys (`fieldKey`). */
export function routingStateOf(
  doc: { open?: Record<string, number>; opened?: Record<string, number> } | null,
): RoutingState {
  const decoded = (counts: Record<string, number> = {}) =>
    Object.fromEntries(Object.entries(counts).map(([key, n]) => [fromFieldKey(key), n]));
  return { openCases: decoded(doc?.open), opened: decoded(doc?.opened) };
}

/** The first team whose rule matches the customer's and reply's attributes, else the fallback team. */
export function teamFor(routing: Routing, attributes: Record<string, unknown>): Team {
  return (
    routing.teams.find((team) => Object.keys(team.match).length > 0 && inAudience(team.match, attributes)) ??
    routing.teams.find((team) => team.id === routing.fallbackTeam)!
  );
}

/**
 * The member who gets the next case: the next in turn by the team's count of cases opened
 * (round-robin), or the one with fewest open cases, the first of equals (least-loaded). A count
 * below zero (cases closed by a release that did not count them) reads as none.
 */
export function ownerIn(team: Team, state: RoutingState): string {
  if (team.assignment === 'round-robin') {
    const turn = Math.max(0, state.opened[team.id] ?? 0);
    return team.members[turn % team.members.length]!;
  }
  const load = (member: string) => Math.max(0, state.openCases[member] ?? 0);
  return team.members.reduce((best, member) => (load(member) < load(best) ? member : best));
}

export function routeCase(
  routing: Routing,
  attributes: Record<string, unknown>,
  state: RoutingState,
): { teamId: string; ownerId: string } {
  const team = teamFor(routing, attributes);
  return { teamId: team.id, ownerId: ownerIn(team, state) };
}

/** Who is told, in order, as a case stays overdue: the team's manager, then each manager above. */
export function escalationChain(routing: Routing, teamId: string): string[] {
  const team = routing.teams.find((t) => t.id === teamId);
  if (!team) return [];
  const chain = [team.manager];
  for (let next = routing.managerAbove[team.manager]; next && !chain.includes(next); next = routing.managerAbove[next])
    chain.push(next);
  return chain;
}
