/**
 * Frontline attribution: praise in promoters' comments routed to the people and teams they name.
 * Pure; the matching is word-bounded, ignores case and accents (as themes do) and skips short names.
 */
import { METRIC_SCALES, type ReplyScores } from './scoring';
import { mentions } from './themes';
import { type Unit, ancestry } from './units';

/** Names shorter than this are not matched: "Al" or "Jo" would be found in too many comments. */
export const MIN_NAME_LENGTH = 3;

/** A promoter (NPS 9–10) or, for a reply without NPS, the top CSAT answer. */
export function isPraise(scores: Pick<ReplyScores, 'nps' | 'csat'>): boolean {
  if (scores.nps !== undefined) return scores.nps >= 9;
  return scores.csat === METRIC_SCALES.csat.max;
}

/** The names a person is praised by: their full name and their first name, when long enough. */
export function namesOf(fullName: string): string[] {
  const full = fullName.trim().replace(/\s+/g, ' ');
  const first = full.split(' ')[0] ?? '';
  return [...new Set([full, first])].filter((name) => [...name].length >= MIN_NAME_LENGTH);
}

/** Whether the comment names any of the names, as whole words (a trailing `*` is no prefix here). */
export function namesAny(comment: string, names: readonly string[]): boolean {
  return names.some((name) => {
    const literal = name.replace(/\*+$/, '').trim();
    return [...literal].length >= MIN_NAME_LENGTH && mentions(comment, literal);
  });
}

/** A person who may be praised: a frontline person (one with a frontline ID), in their units. */
export interface PraisablePerson {
  id: string;
  name: string;
  units: readonly string[];
}

/** Who is told of a praise, and why: the person or team named, or as the manager of one. */
export interface PraiseRecipient {
  userId: string;
  /** The names of the people and teams praised, for the email. */
  praised: string[];
  asManager: boolean;
}

/** The manager of a unit: its own, else the nearest above it; null when none. */
export function managerOf(units: readonly Unit[], unitId: string): string | null {
  const path = ancestry(units, unitId);
  for (const id of path.reverse()) {
    const manager = units.find((unit) => unit.id === id)?.manager;
    if (manager) return manager;
  }
  return null;
}

/**
 * The people a praising comment is routed to: every frontline person it names (full or first name),
 * the frontline people of every team (unit below the root) it names, and the manager of each
 * person's units or of each team. Each recipient once, people named first.
 */
export function praiseRecipients(
  comment: string,
  people: readonly PraisablePerson[],
  units: readonly Unit[],
): PraiseRecipient[] {
  const named = people.filter((person) => namesAny(comment, namesOf(person.name)));
  const teams = units.filter((unit) => unit.parentId !== null && namesAny(comment, [unit.name]));
  const recipients = new Map<string, PraiseRecipient>();
  const add = (userId: string | null, praised: string, asManager: boolean) => {
    if (!userId) return;
    const known = recipients.get(userId) ?? { userId, praised: [], asManager };
    if (!known.praised.includes(praised)) known.praised.push(praised);
    known.asManager &&= asManager;
    recipients.set(userId, known);
  };
  for (const person of named) add(person.id, person.name, false);
  for (const team of teams)
    for (const person of people.filter((p) => p.units.includes(team.id))) add(person.id, team.name, false);
  for (const person of named) for (const unitId of person.units) add(managerOf(units, unitId), person.name, true);
  for (const team of teams) add(managerOf(units, team.id), team.name, true);
  return [...recipients.values()];
}

/**
 * How a person's figure stands against their team's: `above` or `below` only when the two 95 %
 * intervals do not overlap (a conservative reading: nobody is told they are below on noise).
 */
export function standingAgainstTeam(
  mine: { interval: { low: number; high: number } } | null,
  team: { interval: { low: number; high: number } } | null,
): 'above' | 'below' | 'level' | null {
  if (!mine || !team) return null;
  if (mine.interval.low > team.interval.high) return 'above';
  if (mine.interval.high < team.interval.low) return 'below';
  return 'level';
}
