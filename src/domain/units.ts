import { z } from 'zod';
import type { Role } from './access';
import { ZAttributeName, inAudience } from './audience';
import { ALL_SEGMENT, unitSegment } from './rollup';

/**
 * The organisation as a tree of units (company → region or vertical → location). A customer belongs
 * to the root and, going down, to the child whose rule its attributes match, and so on: siblings'
 * rules may not overlap, so every customer has exactly one path and a unit's customers are those
 * matching every rule from the root down to it. People see the units they manage or are assigned
 * to, and everything below them.
 */

export const ZUnitId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'unit ids are lower-case letters, digits and -, at most 64');

const ZUnitMatch = z
  .record(
    ZAttributeName,
    z
      .array(z.union([z.string().max(500), z.number().finite(), z.boolean()]))
      .min(1)
      .max(200),
  )
  .refine((match) => Object.keys(match).length <= 10, 'at most 10 attributes in a unit rule');
export type UnitMatch = z.infer<typeof ZUnitMatch>;

export const ZUnit = z
  .object({
    id: ZUnitId,
    name: z.string().trim().min(1).max(200),
    /** Null only for the root. */
    parentId: ZUnitId.nullable(),
    /** The responsible person (general manager): a user's email, or none yet. */
    manager: z.email('a user’s email').max(254).toLowerCase().nullable().default(null),
    /** Which customers, among the parent's, belong here; the root's is empty (everyone). */
    match: ZUnitMatch.default({}),
  })
  .strict();
export type Unit = z.infer<typeof ZUnit>;

export const MAX_UNITS = 500;
export const MAX_UNIT_DEPTH = 6;

export const ROOT_UNIT: Unit = { id: 'company', name: 'Company', parentId: null, manager: null, match: {} };

/** The tree before anyone edits it: the company, which every customer belongs to. */
export const DEFAULT_UNITS: readonly Unit[] = [ROOT_UNIT];

/** Whether some customer could match both rules: every attribute both name shares a value. */
export function rulesOverlap(a: UnitMatch, b: UnitMatch): boolean {
  return Object.entries(a).every(([attribute, values]) => {
    const other = b[attribute];
    return other === undefined || values.some((value) => other.includes(value));
  });
}

/** What is wrong with a tree, as messages naming the unit; empty when it is a valid tree. */
export function treeProblems(units: readonly Unit[]): string[] {
  const problems: string[] = [];
  const byId = new Map(units.map((unit) => [unit.id, unit]));
  if (byId.size !== units.length) problems.push('unit ids must be unique');
  const roots = units.filter((unit) => unit.parentId === null);
  if (roots.length !== 1) problems.push('exactly one unit, the root, has no parent');
  for (const unit of units) {
    if (unit.parentId === null) {
      if (Object.keys(unit.match).length > 0)
        problems.push(`${unit.id}: the root's rule must be empty (it holds everyone)`);
      continue;
    }
    if (!byId.has(unit.parentId)) problems.push(`${unit.id}: parent ${unit.parentId} is not a unit`);
    if (Object.keys(unit.match).length === 0) problems.push(`${unit.id}: a unit below the root needs a rule`);
    const depth = ancestry(units, unit.id).length;
    if (depth === 0) problems.push(`${unit.id}: its parents form a circle`);
    else if (depth > MAX_UNIT_DEPTH) problems.push(`${unit.id}: deeper than ${MAX_UNIT_DEPTH} levels`);
  }
  for (const [index, unit] of units.entries())
    for (const sibling of units.slice(index + 1))
      if (unit.parentId !== null && sibling.parentId === unit.parentId && rulesOverlap(unit.match, sibling.match))
        problems.push(`${unit.id} and ${sibling.id}: sibling rules overlap, a customer could belong to both`);
  return problems;
}

export const ZUnits = z
  .array(ZUnit)
  .min(1)
  .max(MAX_UNITS)
  .superRefine((units, ctx) => {
    for (const message of treeProblems(units)) ctx.addIssue({ code: 'custom', message });
  });

/** The root-first path of IDs down to a unit; empty when the unit is unknown or its parents loop. */
export function ancestry(units: readonly Unit[], unitId: string): string[] {
  const byId = new Map(units.map((unit) => [unit.id, unit]));
  const path: string[] = [];
  for (let unit = byId.get(unitId); unit; unit = unit.parentId === null ? undefined : byId.get(unit.parentId)) {
    if (path.includes(unit.id)) return [];
    path.unshift(unit.id);
    if (unit.parentId === null) return path;
  }
  return [];
}

export const childrenOf = (units: readonly Unit[], unitId: string) => units.filter((unit) => unit.parentId === unitId);

/** The units a customer belongs to, root first: at each level the child whose rule its attributes match. */
export function unitPath(units: readonly Unit[], attributes: Record<string, unknown>): string[] {
  const root = units.find((unit) => unit.parentId === null);
  if (!root) return [];
  const path = [root.id];
  for (let next = root; ;) {
    const child = childrenOf(units, next.id).find((unit) => inAudience(unit.match, attributes));
    if (!child) return path;
    path.push(child.id);
    next = child;
  }
}

/**
 * The rollup segment holding a unit's figures: `all` for the root (every customer; its own segment
 * is not kept, unitPathSegments), `unit:<id>` for the others.
 */
export function segmentForUnit(units: readonly Unit[], unitId: string): string {
  return units.some((unit) => unit.id === unitId && unit.parentId === null) ? ALL_SEGMENT : unitSegment(unitId);
}

/** A unit and every unit below it. */
export function subtree(units: readonly Unit[], unitId: string): string[] {
  const ids = units.some((unit) => unit.id === unitId) ? [unitId] : [];
  for (let i = 0; i < ids.length; i++) ids.push(...childrenOf(units, ids[i]!).map((unit) => unit.id));
  return ids;
}

/**
 * What a person or API key sees: every unit, or some units with everything below them (`unitIds`
 * is closed downwards; `top` are the units the scope was given, for the pages' starting point).
 */
export type UnitScope = { all: true } | { all: false; top: readonly string[]; unitIds: readonly string[] };

export const EVERY_UNIT: UnitScope = { all: true };

/** Roles that see the whole organisation: admins and the organisation-wide CX team (head of CX). */
const ORGANISATION_WIDE: readonly Role[] = ['admin', 'operations'];

function scopeOfUnits(
  units: readonly Unit[],
  given: readonly string[],
): { all: false; top: readonly string[]; unitIds: readonly string[] } {
  const known = given.filter((id) => units.some((unit) => unit.id === id));
  // A unit below another given unit adds nothing: the top is where the pages start.
  const top = [...new Set(known)].filter(
    (id) =>
      !ancestry(units, id)
        .slice(0, -1)
        .some((above) => known.includes(above)),
  );
  return { all: false, top, unitIds: [...new Set(top.flatMap((id) => subtree(units, id)))] };
}

/**
 * A person's scope: everything for admins and operations; otherwise the units they manage and the
 * units they are assigned to, with everything below. People recorded before units existed (no
 * `units` field) are assigned to the root, which keeps what they saw; an empty list sees nothing.
 */
export function unitScopeOf(
  units: readonly Unit[],
  user: { id: string; role: Role; units?: readonly string[] },
): UnitScope {
  if (ORGANISATION_WIDE.includes(user.role)) return EVERY_UNIT;
  const root = units.find((unit) => unit.parentId === null)?.id;
  const assigned = user.units ?? (root ? [root] : []);
  const managed = units.filter((unit) => unit.manager === user.id).map((unit) => unit.id);
  return widened(units, scopeOfUnits(units, [...managed, ...assigned]));
}

/** An API key's scope: everything, or the units it was restricted to at creation. */
export function unitScopeOfKey(units: readonly Unit[], key: { units?: readonly string[] }): UnitScope {
  return key.units ? widened(units, scopeOfUnits(units, key.units)) : EVERY_UNIT;
}

/** A scope holding the root is the whole organisation (no condition to add to queries). */
function widened(units: readonly Unit[], scope: UnitScope): UnitScope {
  const root = units.find((unit) => unit.parentId === null)?.id;
  return !scope.all && root !== undefined && scope.unitIds.includes(root) ? EVERY_UNIT : scope;
}

/** Whether a customer (by its unit path) is one the scope sees. */
export function inUnitScope(scope: UnitScope, path: readonly string[]): boolean {
  return scope.all || path.some((id) => scope.unitIds.includes(id));
}

type AttributeCondition = Record<string, { $in: (string | number | boolean)[] }>;

/** A condition no document meets. */
const nothing = (): AttributeCondition => ({ _id: { $in: [] } });

/**
 * The customers of one unit's subtree as a query condition on a document's attributes (every rule
 * from the root down; siblings cannot overlap, so no earlier sibling can claim them). `prefix` is
 * where the attributes are, e.g. `attributes.`.
 */
export function unitCondition(units: readonly Unit[], unitId: string, prefix: string): AttributeCondition {
  const path = ancestry(units, unitId);
  // An unknown unit holds nobody (its empty condition would match everyone).
  if (path.length === 0) return nothing();
  const condition: AttributeCondition = {};
  for (const id of path) {
    const match = units.find((unit) => unit.id === id)!.match;
    for (const [attribute, values] of Object.entries(match)) {
      const field = `${prefix}${attribute}`;
      const earlier = condition[field]?.$in;
      condition[field] = { $in: earlier ? values.filter((value) => earlier.includes(value)) : [...values] };
    }
  }
  return condition;
}

/**
 * A scope as a query condition to add to a filter on documents carrying the customer's attributes
 * under `prefix`; null for the whole organisation, and a condition matching nothing for an empty scope.
 */
export function unitScopeCondition(
  units: readonly Unit[],
  scope: UnitScope,
  prefix: string,
): { $or: AttributeCondition[] } | null {
  if (scope.all) return null;
  if (scope.top.length === 0) return { $or: [nothing()] };
  return { $or: scope.top.map((id) => unitCondition(units, id, prefix)) };
}

/** The sentence a person sees outside their scope. */
export const OUT_OF_UNITS =
  'This belongs to a unit you are not responsible for: you see the units you manage or are assigned to, and the units below them.';

/** Adds a unit, or replaces the one with its ID (an edit keeps its place in the list). */
export function placeUnit(units: readonly Unit[], unit: Unit): Unit[] {
  return units.some((u) => u.id === unit.id) ? units.map((u) => (u.id === unit.id ? unit : u)) : [...units, unit];
}

/** Why a unit cannot leave the tree as it stands, or null: the root stays, and units below go first. */
export function removalProblem(units: readonly Unit[], unitId: string): string | null {
  const unit = units.find((u) => u.id === unitId);
  if (!unit) return `there is no unit ${unitId}`;
  if (unit.parentId === null) return `${unitId} is the root: the organisation always has one`;
  const below = childrenOf(units, unitId).map((u) => u.id);
  return below.length ? `${unitId} still has units below it (${below.join(', ')}): delete or move them first` : null;
}

/** The IDs of units in `before` that `after` no longer has. */
export const removedUnits = (before: readonly Unit[], after: readonly Unit[]): string[] =>
  before.filter((unit) => !after.some((u) => u.id === unit.id)).map((unit) => unit.id);

/** A rule as the form shows it: one `attribute: value, value` line per attribute. */
export const ruleText = (match: UnitMatch): string =>
  Object.entries(match)
    .map(([attribute, values]) => `${attribute}: ${values.join(', ')}`)
    .join('\n');

/**
 * A rule typed into the form (`attribute: value, value` per line) as a match, values as text; the
 * API takes numbers and booleans too. Lines without a colon are refused so a typo does not vanish.
 */
export function parseRuleText(text: string): { match: Record<string, string[]> } | { problem: string } {
  const match: Record<string, string[]> = {};
  for (const line of text.split(/\r?\n/).map((l) => l.trim())) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon < 1) return { problem: `“${line.slice(0, 80)}” is not “attribute: value, value”` };
    const attribute = line.slice(0, colon).trim();
    const values = line
      .slice(colon + 1)
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    if (!values.length) return { problem: `${attribute}: name at least one value` };
    match[attribute] = [...new Set([...(match[attribute] ?? []), ...values])];
  }
  return { match };
}
