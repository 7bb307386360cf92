import { describe, expect, it } from 'vitest';
import {
  MAX_UNIT_DEPTH,
  type Unit,
  ZUnits,
  ancestry,
  inUnitScope,
  parseRuleText,
  placeUnit,
  removalProblem,
  removedUnits,
  ruleText,
  subtree,
  treeProblems,
  unitCondition,
  unitPath,
  unitScopeCondition,
  unitScopeOf,
  unitScopeOfKey,
} from '../../src/domain/units';

const unit = (id: string, parentId: string | null, match: Unit['match'] = {}, manager: string | null = null): Unit => ({
  id,
  name: id.toUpperCase(),
  parentId,
  manager,
  match,
});

/** company → EU (→ Berlin, Paris), NA, APAC. */
const tree: Unit[] = [
  unit('company', null),
  unit('eu', 'company', { region: ['EU'] }, 'gm-eu@acme.test'),
  unit('berlin', 'eu', { location: ['Berlin'] }),
  unit('paris', 'eu', { location: ['Paris'] }),
  unit('na', 'company', { region: ['NA'] }, 'gm-na@acme.test'),
  unit('apac', 'company', { region: ['APAC'] }),
];

describe('the unit tree', () => {
  it('when the tree is well formed, then it has no problems and parses', () => {
    expect(treeProblems(tree)).toEqual([]);
    expect(ZUnits.safeParse(tree).success).toBe(true);
  });

  it('when ids repeat, there is no root or two roots, then each is named', () => {
    expect(treeProblems([...tree, unit('eu', 'company', { region: ['X'] })])).toContain('unit ids must be unique');
    expect(treeProblems(tree.slice(1)).join()).toContain('exactly one unit, the root, has no parent');
    expect(treeProblems([...tree, unit('other', null)]).join()).toContain('exactly one unit, the root');
  });

  it('when the root has a rule or a unit below it has none, then the unit is named', () => {
    expect(treeProblems([unit('company', null, { region: ['EU'] })])).toEqual([
      "company: the root's rule must be empty (it holds everyone)",
    ]);
    expect(treeProblems([...tree, unit('latam', 'company')])).toContain('latam: a unit below the root needs a rule');
  });

  it('when a parent is unknown or parents form a circle, then the unit is named', () => {
    expect(treeProblems([...tree, unit('lyon', 'france', { location: ['Lyon'] })])).toContain(
      'lyon: parent france is not a unit',
    );
    const circle = [...tree, unit('a', 'b', { x: ['1'] }), unit('b', 'a', { y: ['1'] })];
    expect(treeProblems(circle)).toEqual(
      expect.arrayContaining(['a: its parents form a circle', 'b: its parents form a circle']),
    );
  });

  it('when sibling rules could both hold a customer, then the pair is named; other attributes overlap too', () => {
    expect(treeProblems([...tree, unit('europe', 'company', { region: ['EU', 'UK'] })])).toEqual([
      'eu and europe: sibling rules overlap, a customer could belong to both',
    ]);
    // A rule on another attribute cannot exclude EU customers: they could match both.
    expect(treeProblems([...tree, unit('retail', 'company', { vertical: ['retail'] })]).join()).toMatch(
      /sibling rules overlap/,
    );
    // The same rule under different parents is fine.
    expect(treeProblems([...tree, unit('na-berlin', 'na', { location: ['Berlin'] })])).toEqual([]);
  });

  it(`when the tree is deeper than ${MAX_UNIT_DEPTH} levels, then the too-deep unit is named`, () => {
    const chain = [unit('l1', null)];
    for (let level = 2; level <= MAX_UNIT_DEPTH + 1; level++)
      chain.push(unit(`l${level}`, `l${level - 1}`, { level: [String(level)] }));
    expect(treeProblems(chain.slice(0, MAX_UNIT_DEPTH))).toEqual([]);
    expect(treeProblems(chain)).toEqual([`l${MAX_UNIT_DEPTH + 1}: deeper than ${MAX_UNIT_DEPTH} levels`]);
  });

  it('when a tree is parsed with an empty list or a bad id, then zod refuses it', () => {
    expect(ZUnits.safeParse([]).success).toBe(false);
    expect(ZUnits.safeParse([{ ...unit('Company', null) }]).success).toBe(false);
  });
});

describe("a customer's place in the tree", () => {
  it('goes down by the rules as far as they match', () => {
    expect(unitPath(tree, { region: 'EU', location: 'Berlin' })).toEqual(['company', 'eu', 'berlin']);
    expect(unitPath(tree, { region: 'EU', location: 'Madrid' })).toEqual(['company', 'eu']);
    expect(unitPath(tree, { region: 'LATAM' })).toEqual(['company']);
    expect(unitPath(tree, {})).toEqual(['company']);
  });

  it('ancestry and subtree follow the parents', () => {
    expect(ancestry(tree, 'paris')).toEqual(['company', 'eu', 'paris']);
    expect(ancestry(tree, 'nowhere')).toEqual([]);
    expect(subtree(tree, 'eu')).toEqual(['eu', 'berlin', 'paris']);
    expect(subtree(tree, 'company')).toHaveLength(tree.length);
    expect(subtree(tree, 'nowhere')).toEqual([]);
  });
});

describe('who sees which units', () => {
  it('admins and operations see everything, whatever they are assigned to', () => {
    expect(unitScopeOf(tree, { id: 'a@acme.test', role: 'admin', units: [] })).toEqual({ all: true });
    expect(unitScopeOf(tree, { id: 'o@acme.test', role: 'operations', units: ['paris'] })).toEqual({ all: true });
  });

  it('a manager sees the unit managed and everything below it', () => {
    const scope = unitScopeOf(tree, { id: 'gm-eu@acme.test', role: 'viewer', units: [] });
    expect(scope).toEqual({ all: false, top: ['eu'], unitIds: ['eu', 'berlin', 'paris'] });
    expect(inUnitScope(scope, unitPath(tree, { region: 'EU', location: 'Paris' }))).toBe(true);
    expect(inUnitScope(scope, unitPath(tree, { region: 'NA' }))).toBe(false);
  });

  it('an assigned person sees their units; a unit below another given one adds nothing to the top', () => {
    const scope = unitScopeOf(tree, { id: 'p@acme.test', role: 'case_owner', units: ['berlin', 'eu', 'apac'] });
    expect(scope).toEqual({ all: false, top: ['eu', 'apac'], unitIds: ['eu', 'berlin', 'paris', 'apac'] });
  });

  it('managed and assigned units add up; unknown units are ignored', () => {
    const scope = unitScopeOf(tree, { id: 'gm-na@acme.test', role: 'viewer', units: ['paris', 'gone'] });
    expect(scope).toEqual({ all: false, top: ['na', 'paris'], unitIds: ['na', 'paris'] });
  });

  it('a person recorded before units (no field) is at the root and sees everything; an empty list sees nothing', () => {
    expect(unitScopeOf(tree, { id: 'old@acme.test', role: 'viewer' })).toEqual({ all: true });
    expect(unitScopeOf(tree, { id: 'new@acme.test', role: 'viewer', units: [] })).toEqual({
      all: false,
      top: [],
      unitIds: [],
    });
    expect(unitScopeOf(tree, { id: 'top@acme.test', role: 'viewer', units: ['company'] })).toEqual({ all: true });
  });

  it('a key sees everything unless restricted to units', () => {
    expect(unitScopeOfKey(tree, {})).toEqual({ all: true });
    expect(unitScopeOfKey(tree, { units: ['na'] })).toEqual({ all: false, top: ['na'], unitIds: ['na'] });
    expect(unitScopeOfKey(tree, { units: ['company'] })).toEqual({ all: true });
  });
});

describe('units as query conditions', () => {
  it("a unit's condition combines every rule from the root down", () => {
    expect(unitCondition(tree, 'berlin', 'attributes.')).toEqual({
      'attributes.region': { $in: ['EU'] },
      'attributes.location': { $in: ['Berlin'] },
    });
    expect(unitCondition(tree, 'company', 'attributes.')).toEqual({});
  });

  it('a rule on the same attribute as an ancestor narrows it to the values both allow', () => {
    const nested = [
      unit('company', null),
      unit('west', 'company', { region: ['EU', 'NA'] }),
      unit('eu', 'west', { region: ['EU', 'APAC'] }),
    ];
    expect(unitCondition(nested, 'eu', '')).toEqual({ region: { $in: ['EU'] } });
  });

  it('an unknown unit matches nobody, not everybody', () => {
    expect(unitCondition(tree, 'gone', 'attributes.')).toEqual({ _id: { $in: [] } });
  });

  it('a scope is null for everything, one branch per top unit, and nothing for an empty scope', () => {
    expect(unitScopeCondition(tree, { all: true }, 'attributes.')).toBeNull();
    const scope = unitScopeOf(tree, { id: 'p@acme.test', role: 'viewer', units: ['paris', 'na'] });
    expect(unitScopeCondition(tree, scope, 'a.')).toEqual({
      $or: [{ 'a.region': { $in: ['EU'] }, 'a.location': { $in: ['Paris'] } }, { 'a.region': { $in: ['NA'] } }],
    });
    expect(unitScopeCondition(tree, { all: false, top: [], unitIds: [] }, 'a.')).toEqual({
      $or: [{ _id: { $in: [] } }],
    });
  });
});

describe('editing one unit of the tree', () => {
  it('placing a unit adds it, or replaces the one with its id in place', () => {
    expect(placeUnit(tree, unit('latam', 'company', { region: ['LATAM'] })).map((u) => u.id)).toContain('latam');
    const renamed = placeUnit(tree, { ...tree[1]!, name: 'Europe' });
    expect(renamed.map((u) => u.id)).toEqual(tree.map((u) => u.id));
    expect(renamed[1]!.name).toBe('Europe');
  });

  it('the root and a unit with units below cannot be removed; a leaf can', () => {
    expect(removalProblem(tree, 'company')).toMatch(/is the root/);
    expect(removalProblem(tree, 'eu')).toBe('eu still has units below it (berlin, paris): delete or move them first');
    expect(removalProblem(tree, 'nowhere')).toBe('there is no unit nowhere');
    expect(removalProblem(tree, 'paris')).toBeNull();
    expect(removedUnits(tree, tree.slice(0, 3))).toEqual(['paris', 'na', 'apac']);
  });

  it('a rule round-trips through its text form; a line without a colon or values is refused', () => {
    expect(ruleText({ region: ['EU', 'UK'], vertical: ['retail'] })).toBe('region: EU, UK\nvertical: retail');
    expect(parseRuleText('region: EU, UK\r\n\nvertical: retail ')).toEqual({
      match: { region: ['EU', 'UK'], vertical: ['retail'] },
    });
    expect(parseRuleText('region EU')).toEqual({ problem: '“region EU” is not “attribute: value, value”' });
    expect(parseRuleText('region: ,')).toEqual({ problem: 'region: name at least one value' });
    expect(parseRuleText('')).toEqual({ match: {} });
  });
});

describe('the demo organisation', () => {
  it('is a valid tree whose managers are demo people, with the routing teams tied to its regions', async () => {
    const { DEMO_PEOPLE, DEMO_ROUTING, DEMO_UNITS } = await import('../../src/demo/seed');
    const units = ZUnits.parse(DEMO_UNITS);
    const people = DEMO_PEOPLE.map((p) => p.email as string);
    expect(units.flatMap((u) => (u.manager ? [u.manager] : [])).every((m) => people.includes(m))).toBe(true);
    for (const team of DEMO_ROUTING.teams) expect(units.map((u) => u.id)).toContain(team.unit);
    expect(unitPath(units, { region: 'APAC', location: 'Singapore' })).toEqual(['company', 'apac', 'singapore']);
    const gm = unitScopeOf(units, { id: 'gm-eu@cxloop.localhost', role: 'viewer', units: [] });
    expect(gm).toMatchObject({ all: false, top: ['eu'] });
    // Importing the seed loads most of the app: seconds on a busy machine.
  }, 60_000);
});
