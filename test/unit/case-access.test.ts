import { describe, expect, it } from 'vitest';
import type { Role } from '../../src/domain/access';
import { ZRouting } from '../../src/domain/routing';
import { ZUnits, unitScopeOf } from '../../src/domain/units';
import {
  type CaseScope,
  OUT_OF_KEY_SCOPE,
  OUT_OF_SCOPE,
  caseScopeCondition,
  caseScopeOf,
  caseScopeOfKey,
  inCaseScope,
  outOfScopeMessage,
} from '../../src/domain/case-access';

/** Two sibling teams under one director, and a sub-team below one of the managers. */
const routing = ZRouting.parse({
  teams: [
    { id: 'north', name: 'North', members: ['ana@acme.test', 'ben@acme.test'], manager: 'nora@acme.test' },
    { id: 'south', name: 'South', members: ['cy@acme.test'], manager: 'sam@acme.test' },
    { id: 'north-vip', name: 'North VIP', members: ['dee@acme.test'], manager: 'vic@acme.test' },
  ],
  fallbackTeam: 'south',
  managerAbove: {
    'nora@acme.test': 'dana@acme.test',
    'sam@acme.test': 'dana@acme.test',
    'vic@acme.test': 'nora@acme.test',
  },
});
const owner = (id: string) => ({ id, role: 'case_owner' as const });
const northCase = { teamId: 'north', ownerId: 'ana@acme.test' };
const southCase = { teamId: 'south', ownerId: 'cy@acme.test' };
const vipCase = { teamId: 'north-vip', ownerId: 'dee@acme.test' };

describe('caseScopeOf and inCaseScope', () => {
  it('when a member opens a case of their team, then it is in scope; another team’s case is not', () => {
    const scope = caseScopeOf(routing, owner('ben@acme.test'));
    expect(inCaseScope(scope, northCase)).toBe(true);
    expect(inCaseScope(scope, southCase)).toBe(false);
    expect(inCaseScope(scope, vipCase)).toBe(false);
  });

  it('when a case is assigned to someone outside its team, then it is in their scope', () => {
    const scope = caseScopeOf(routing, owner('cy@acme.test'));
    expect(inCaseScope(scope, { teamId: 'north', ownerId: 'cy@acme.test' })).toBe(true);
  });

  it('when a manager opens cases, then their team and the teams below them are in scope, siblings not', () => {
    const nora = caseScopeOf(routing, owner('nora@acme.test'));
    expect([northCase, vipCase].map((doc) => inCaseScope(nora, doc))).toEqual([true, true]);
    expect(inCaseScope(nora, southCase)).toBe(false);
    const vic = caseScopeOf(routing, owner('vic@acme.test'));
    expect([vipCase, northCase].map((doc) => inCaseScope(vic, doc))).toEqual([true, false]);
  });

  it('when the manager above everyone opens cases, then every team below is in scope', () => {
    const dana = caseScopeOf(routing, owner('dana@acme.test'));
    expect([northCase, southCase, vipCase].every((doc) => inCaseScope(dana, doc))).toBe(true);
  });

  it('when the role is operations or admin, then every case is in scope', () => {
    for (const role of ['admin', 'operations'] as const) {
      const scope = caseScopeOf(routing, { id: 'x@acme.test', role });
      expect(scope).toEqual({ all: true });
      expect(inCaseScope(scope, southCase)).toBe(true);
    }
  });

  it('when no routing is set up, then a case owner sees only the cases assigned to them', () => {
    const scope = caseScopeOf(null, owner('ana@acme.test'));
    expect(inCaseScope(scope, northCase)).toBe(true);
    expect(inCaseScope(scope, southCase)).toBe(false);
  });

  it('when the role is viewer, then no team is in scope', () => {
    expect(caseScopeOf(routing, { id: 'ana@acme.test', role: 'viewer' })).toMatchObject({ teamIds: [] });
  });
});

describe('caseScopeCondition', () => {
  it('when the scope is every case, then there is no condition', () => {
    expect(caseScopeCondition({ all: true })).toBeNull();
  });

  it('when the scope is some teams, then the condition is those teams or the person’s own cases', () => {
    expect(caseScopeCondition(caseScopeOf(routing, owner('nora@acme.test')))).toEqual({
      $or: [{ teamId: { $in: ['north', 'north-vip'] } }, { ownerId: 'nora@acme.test' }],
    });
  });
});

describe('caseScopeOfKey', () => {
  it('when a key has no teams, then it is organisation-wide', () => {
    const scope = caseScopeOfKey({});
    expect(scope).toEqual({ all: true });
    expect(caseScopeCondition(scope)).toBeNull();
  });

  it('when a key is restricted to teams, then exactly their cases are in scope, whoever owns them', () => {
    const scope = caseScopeOfKey({ teams: ['south'] });
    expect(inCaseScope(scope, southCase)).toBe(true);
    expect(inCaseScope(scope, { teamId: 'south', ownerId: 'ana@acme.test' })).toBe(true);
    expect([northCase, vipCase].map((doc) => inCaseScope(scope, doc))).toEqual([false, false]);
  });

  it('when a key is restricted to teams, then no case is in scope for being assigned to someone', () => {
    const scope = caseScopeOfKey({ teams: ['north'] });
    expect(inCaseScope(scope, { teamId: 'south', ownerId: '' })).toBe(false);
    expect(caseScopeCondition(scope)).toEqual({ $or: [{ teamId: { $in: ['north'] } }] });
  });

  it('when an empty team list reaches it, then the key sees no case rather than every case', () => {
    const scope = caseScopeOfKey({ teams: [] });
    expect([northCase, southCase, vipCase].some((doc) => inCaseScope(scope, doc))).toBe(false);
  });

  it('when a key or a person is refused, then each reads a sentence about itself', () => {
    expect(outOfScopeMessage(caseScopeOfKey({ teams: ['north'] }))).toBe(OUT_OF_KEY_SCOPE);
    expect(outOfScopeMessage(caseScopeOf(routing, owner('ben@acme.test')))).toBe(OUT_OF_SCOPE);
  });
});

describe('case scopes by organisation units', () => {
  /** company → eu (→ eu-de), us; teams tied to eu, eu-de and us, and one tied to no unit. */
  const units = ZUnits.parse([
    { id: 'company', name: 'Company', parentId: null },
    { id: 'eu', name: 'Europe', parentId: 'company', match: { region: ['eu'] } },
    { id: 'eu-de', name: 'Germany', parentId: 'eu', match: { country: ['de'] } },
    { id: 'us', name: 'United States', parentId: 'company', match: { region: ['us'] } },
  ]);
  const unitRouting = ZRouting.parse({
    teams: [
      { id: 'eu-care', name: 'EU care', members: ['eva@acme.test'], manager: 'mo@acme.test', unit: 'eu' },
      { id: 'de-care', name: 'DE care', members: ['dirk@acme.test'], manager: 'mo@acme.test', unit: 'eu-de' },
      { id: 'us-care', name: 'US care', members: ['ursula@acme.test'], manager: 'mo@acme.test', unit: 'us' },
      { id: 'hq', name: 'Head office', members: ['hanna@acme.test'], manager: 'mo@acme.test' },
    ],
    fallbackTeam: 'hq',
  });
  const caseOf = (teamId: string) => ({ teamId, ownerId: 'someone@acme.test' });
  const teamsSeen = (scope: CaseScope) =>
    ['eu-care', 'de-care', 'us-care', 'hq'].filter((team) => inCaseScope(scope, caseOf(team)));
  const gm = (unitIds: string[], role: Role = 'case_owner') => {
    const user = { id: 'gina@acme.test', role, units: unitIds };
    return caseScopeOf(unitRouting, user, unitScopeOf(units, user));
  };

  it('when a general manager of a unit opens cases, then the teams of the unit and below it are in scope', () => {
    expect(teamsSeen(gm(['eu']))).toEqual(['eu-care', 'de-care']);
    expect(teamsSeen(gm(['eu-de']))).toEqual(['de-care']);
    expect(teamsSeen(gm(['us'], 'viewer'))).toEqual(['us-care']);
  });

  it('when a person manages a unit in the tree, then its teams are in scope as if assigned to it', () => {
    const managed = units.map((unit) => (unit.id === 'us' ? { ...unit, manager: 'gina@acme.test' } : unit));
    const user = { id: 'gina@acme.test', role: 'case_owner' as const, units: [] };
    expect(teamsSeen(caseScopeOf(unitRouting, user, unitScopeOf(managed, user)))).toEqual(['us-care']);
  });

  it('when a team member has units too, then their teams stay in scope besides the units’ teams', () => {
    const user = { id: 'ursula@acme.test', role: 'case_owner' as const, units: ['eu-de'] };
    expect(teamsSeen(caseScopeOf(unitRouting, user, unitScopeOf(units, user)))).toEqual(['de-care', 'us-care']);
  });

  it('when a person has no units recorded (the whole company), then they see what they saw before', () => {
    const user = { id: 'eva@acme.test', role: 'case_owner' as const };
    expect(caseScopeOf(unitRouting, user, unitScopeOf(units, user))).toEqual(caseScopeOf(unitRouting, user));
    expect(teamsSeen(caseScopeOf(unitRouting, user, unitScopeOf(units, user)))).toEqual(['eu-care']);
  });

  it('when the role is organisation-wide, then every case is in scope whatever the units', () => {
    expect(gm(['eu'], 'operations')).toEqual({ all: true });
  });

  it('when a key is restricted to units, then the teams tied to them (and below) are in scope', () => {
    expect(teamsSeen(caseScopeOfKey({ units: ['eu'] }, unitRouting, units))).toEqual(['eu-care', 'de-care']);
    expect(caseScopeOfKey({ units: ['eu'] }, unitRouting, units)).toMatchObject({ ownerId: null });
  });

  it('when a key is restricted to the root unit, then teams tied to no unit are in scope too', () => {
    expect(teamsSeen(caseScopeOfKey({ units: ['company'] }, unitRouting, units))).toEqual([
      'eu-care',
      'de-care',
      'us-care',
      'hq',
    ]);
  });

  it('when a key is restricted to teams and units, then only the teams that are both are in scope', () => {
    const both = caseScopeOfKey({ teams: ['de-care', 'us-care'], units: ['eu'] }, unitRouting, units);
    expect(teamsSeen(both)).toEqual(['de-care']);
  });

  it('when a key names a unit the tree does not have, then it sees no case rather than every case', () => {
    expect(teamsSeen(caseScopeOfKey({ units: ['asia'] }, unitRouting, units))).toEqual([]);
  });
});
