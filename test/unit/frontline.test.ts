import { describe, expect, it } from 'vitest';
import {
  isPraise,
  managerOf,
  namesAny,
  namesOf,
  praiseRecipients,
  standingAgainstTeam,
} from '../../src/domain/frontline';
import { AGENT_COMMENTS, agentOf, foldContributions, rollupSegments, scoreContribution } from '../../src/domain/rollup';
import type { ReplyScores } from '../../src/domain/scoring';
import type { Unit } from '../../src/domain/units';
import { demoHistory } from '../../src/demo/history';
import { DEMO_FRONTLINE_ID } from '../../src/demo/frontline';
import { DEMO_PROGRAMS } from '../../src/demo/seed';

const units: Unit[] = [
  { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
  { id: 'eu', name: 'Europe', parentId: 'company', manager: 'gm@acme.test', match: { region: ['EU'] } },
  { id: 'berlin', name: 'Berlin Crew', parentId: 'eu', manager: null, match: { location: ['Berlin'] } },
  { id: 'paris', name: 'Paris', parentId: 'eu', manager: 'pm@acme.test', match: { location: ['Paris'] } },
];
const people = [
  { id: 'fiona@acme.test', name: 'Fiona Fairweather', units: ['berlin'] },
  { id: 'al@acme.test', name: 'Al Li', units: ['paris'] },
  { id: 'zoe@acme.test', name: 'Zoë Ångström', units: ['paris'] },
];

describe('frontline names in comments', () => {
  it('matches full and first names as whole words, ignoring case and accents, and skips short names', () => {
    expect(namesOf('Fiona Fairweather')).toEqual(['Fiona Fairweather', 'Fiona']);
    expect(namesOf('  Al   Li ')).toEqual(['Al Li']);
    expect(namesOf('Al')).toEqual([]);
    expect(namesAny('FIONA was great', namesOf('Fiona Fairweather'))).toBe(true);
    expect(namesAny('thanks to fiona fairweather!', ['Fiona Fairweather'])).toBe(true);
    expect(namesAny('Fionas are rare', ['Fiona'])).toBe(false);
    expect(namesAny('Kafiona', ['Fiona'])).toBe(false);
    expect(namesAny('zoe angstrom helped', namesOf('Zoë Ångström'))).toBe(true);
    // "Al" alone would be found in "Al fresco" and every "al" of another language.
    expect(namesAny('Al was kind', namesOf('Al'))).toBe(false);
    expect(namesAny('stardom', ['star*'])).toBe(false);
  });

  it('praise is a promoter, or the top CSAT when there is no NPS', () => {
    expect(isPraise({ nps: 9 })).toBe(true);
    expect(isPraise({ nps: 8, csat: 5 })).toBe(false);
    expect(isPraise({ csat: 5 })).toBe(true);
    expect(isPraise({ csat: 4 })).toBe(false);
    expect(isPraise({})).toBe(false);
  });

  it('routes praise to the people and teams named and to their managers, each once', () => {
    expect(praiseRecipients('Fiona was wonderful', people, units)).toEqual([
      { userId: 'fiona@acme.test', praised: ['Fiona Fairweather'], asManager: false },
      // Berlin has no manager of its own: the one above it.
      { userId: 'gm@acme.test', praised: ['Fiona Fairweather'], asManager: true },
    ]);
    expect(praiseRecipients('The whole paris team, especially Zoe!', people, units)).toEqual([
      { userId: 'zoe@acme.test', praised: ['Zoë Ångström', 'Paris'], asManager: false },
      { userId: 'al@acme.test', praised: ['Paris'], asManager: false },
      { userId: 'pm@acme.test', praised: ['Zoë Ångström', 'Paris'], asManager: true },
    ]);
    expect(praiseRecipients('Great company, great service', people, units)).toEqual([]);
    expect(praiseRecipients('', people, units)).toEqual([]);
  });

  it('finds a unit’s manager, or the nearest above it', () => {
    expect(managerOf(units, 'berlin')).toBe('gm@acme.test');
    expect(managerOf(units, 'paris')).toBe('pm@acme.test');
    expect(managerOf(units, 'company')).toBeNull();
    expect(managerOf(units, 'gone')).toBeNull();
  });

  it('is above or below the team only when the intervals do not overlap', () => {
    const at = (low: number, high: number) => ({ interval: { low, high } });
    expect(standingAgainstTeam(at(50, 70), at(20, 40))).toBe('above');
    expect(standingAgainstTeam(at(0, 10), at(20, 40))).toBe('below');
    expect(standingAgainstTeam(at(30, 60), at(20, 40))).toBe('level');
    expect(standingAgainstTeam(null, at(20, 40))).toBeNull();
  });
});

describe('agent rollups', () => {
  const scores: ReplyScores = {
    nps: 10,
    npsCategory: 'promoter',
    verbatim: 'Fiona!',
    themes: [],
    sentiment: 'positive',
    summary: 100,
  };
  const reply = { id: 'r1', programId: 'p', customerId: 'c1', submittedAt: Date.parse('2026-03-01T10:00:00Z') };

  it('counts a reply in its agent’s segment, from a usable ID only', () => {
    expect(agentOf({ agent: 'fiona-1' })).toBe('fiona-1');
    expect(agentOf({ agent: 42 })).toBe('42');
    expect(agentOf({ agent: 'a.b' })).toBe('a_b');
    expect(agentOf({ agent: '' })).toBeNull();
    expect(agentOf({ agent: 'x'.repeat(101) })).toBeNull();
    expect(agentOf({})).toBeNull();
    expect(rollupSegments({ region: 'EU', agent: 'fiona-1' })).toEqual(['all', 'region:EU', 'agent:fiona-1']);
  });

  it('keeps the agent’s commented replies as examples of its rollup only', () => {
    const contribution = scoreContribution(reply, scores, { agent: 'fiona-1' });
    const uncommented = scoreContribution({ ...reply, id: 'r2' }, { ...scores, verbatim: ' ' }, { agent: 'fiona-1' });
    const folded = foldContributions([contribution, uncommented], { rollups: new Map(), customerScores: new Map() });
    const byId = new Map(folded.rollups.map((change) => [change.id, change]));
    expect(byId.get('p|2026-03-01|agent:fiona-1')?.examples).toEqual({ [AGENT_COMMENTS]: ['r1'] });
    expect(byId.get('p|2026-03-01|all')?.examples).toEqual({});
  });
});

describe('the demo frontline person', () => {
  it('has Berlin replies attributed to them, with comments their page can quote', () => {
    const history = demoHistory(DEMO_PROGRAMS, Date.parse('2026-12-05T12:00:00Z'));
    const theirs = history.replies.filter((reply) => reply.agent === DEMO_FRONTLINE_ID);
    expect(theirs.length).toBeGreaterThan(100);
    expect(theirs.filter((reply) => reply.scores?.verbatim.trim()).length).toBeGreaterThan(10);
    const counted = history.contributions.filter((c) => c.segments.includes(`agent:${DEMO_FRONTLINE_ID}`));
    expect(counted.map((c) => c.replyId).sort()).toEqual(theirs.map((reply) => reply._id).sort());
  });
});
