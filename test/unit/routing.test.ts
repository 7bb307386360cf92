import { describe, expect, it } from 'vitest';
import { fieldKey } from '../../src/domain/case-metrics';
import { ZRouting, escalationChain, ownerIn, routeCase, routingStateOf, teamFor } from '../../src/domain/routing';

const routing = ZRouting.parse({
  teams: [
    {
      id: 'emea-enterprise',
      name: 'EMEA enterprise',
      members: ['ana@acme.test', 'ben@acme.test'],
      manager: 'mia@acme.test',
      match: { region: ['EMEA'], vertical: ['enterprise'] },
      assignment: 'round-robin',
    },
    {
      id: 'emea',
      name: 'EMEA',
      members: ['cy@acme.test', 'dee@acme.test', 'eve@acme.test'],
      manager: 'mia@acme.test',
      match: { region: ['EMEA'] },
    },
    { id: 'general', name: 'General', members: ['gus@acme.test'], manager: 'max@acme.test' },
  ],
  fallbackTeam: 'general',
  managerAbove: { 'mia@acme.test': 'max@acme.test', 'max@acme.test': 'ceo@acme.test' },
});
const empty = { openCases: {}, opened: {} };

describe('routing a case', () => {
  it('takes the first team whose rule matches, in rule order', () => {
    expect(teamFor(routing, { region: 'EMEA', vertical: 'enterprise' }).id).toBe('emea-enterprise');
    expect(teamFor(routing, { region: 'EMEA', vertical: 'retail' }).id).toBe('emea');
    expect(teamFor(routing, { region: 'APAC' }).id).toBe('general');
    expect(teamFor(routing, {}).id).toBe('general');
  });

  it('assigns round-robin by the team’s count of cases opened', () => {
    const team = routing.teams[0]!;
    const after = (opened: number) => ownerIn(team, { ...empty, opened: { 'emea-enterprise': opened } });
    expect(ownerIn(team, empty)).toBe('ana@acme.test');
    expect([1, 2, 3, 4].map(after)).toEqual(['ben@acme.test', 'ana@acme.test', 'ben@acme.test', 'ana@acme.test']);
    expect(ownerIn(team, { ...empty, opened: { emea: 1 } })).toBe('ana@acme.test');
    expect(after(-1)).toBe('ana@acme.test');
  });

  it('assigns the least-loaded member, the first of equals', () => {
    const team = routing.teams[1]!;
    expect(ownerIn(team, empty)).toBe('cy@acme.test');
    expect(ownerIn(team, { ...empty, openCases: { 'cy@acme.test': 3, 'dee@acme.test': 1, 'eve@acme.test': 1 } })).toBe(
      'dee@acme.test',
    );
    expect(routeCase(routing, { region: 'EMEA' }, { ...empty, openCases: { 'cy@acme.test': 1 } })).toEqual({
      teamId: 'emea',
      ownerId: 'dee@acme.test',
    });
    // Below zero (closes a release before this one did not count the opening of) reads as none.
    expect(ownerIn(team, { ...empty, openCases: { 'cy@acme.test': -2, 'dee@acme.test': 0, 'eve@acme.test': 1 } })).toBe(
      'cy@acme.test',
    );
  });

  it('reads the routing state from its document’s field keys', () => {
    const doc = { open: { [fieldKey('cy@acme.test')]: 2 }, opened: { [fieldKey('emea')]: 5 } };
    expect(routingStateOf(doc)).toEqual({ openCases: { 'cy@acme.test': 2 }, opened: { emea: 5 } });
    expect(routingStateOf(null)).toEqual(empty);
    const team = routing.teams[1]!;
    expect(ownerIn(team, routingStateOf({ open: { [fieldKey('cy@acme.test')]: 1 } }))).toBe('dee@acme.test');
  });

  it('escalates from the team’s manager up the chain, stopping at a loop', () => {
    expect(escalationChain(routing, 'emea')).toEqual(['mia@acme.test', 'max@acme.test', 'ceo@acme.test']);
    expect(escalationChain(routing, 'general')).toEqual(['max@acme.test', 'ceo@acme.test']);
    const looped = ZRouting.parse({
      ...routing,
      managerAbove: { 'max@acme.test': 'mia@acme.test', 'mia@acme.test': 'max@acme.test' },
    });
    expect(escalationChain(looped, 'general')).toEqual(['max@acme.test', 'mia@acme.test']);
    expect(escalationChain(routing, 'nope')).toEqual([]);
  });

  it('needs a fallback team that exists, and members who are users', () => {
    expect(ZRouting.safeParse({ ...routing, fallbackTeam: 'nope' }).success).toBe(false);
    expect(ZRouting.safeParse({ ...routing, teams: [{ ...routing.teams[0]!, members: [] }] }).success).toBe(false);
    expect(
      ZRouting.safeParse({ ...routing, teams: [{ ...routing.teams[0]!, members: ['not an email'] }] }).success,
    ).toBe(false);
  });
});
