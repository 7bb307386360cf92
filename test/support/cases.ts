import { hashPassword } from '../../src/app/credentials';
import * as c from '../../src/db/collections';
import { ALWAYS_OPEN } from '../../src/domain/business-hours';
import { followUpProgram } from '../../src/domain/follow-up-program';
import type { TProgramInput } from '../../src/domain/program';
import { type Harness, api, createProgram, uid } from './harness';

/**
 * The people every case test routes to. The routing document is one per database, so every case
 * test sets the same one: concurrent test files cannot route each other's cases elsewhere.
 */
export const CASE_PEOPLE = {
  owner: { email: 'case-owner@cases.test', password: 'case owner password 1', name: 'Olga Owner' },
  manager: { email: 'case-manager@cases.test', password: 'case manager password 1', name: 'Max Manager' },
  director: { email: 'case-director@cases.test', password: 'case director password 1', name: 'Dana Director' },
} as const;

/**
 * Two teams of their own for the routing-state test (test/workflow/routing-state.test.ts), taking
 * the customers whose `routing` attribute names their assignment; every other case goes to `care`.
 */
export const ROUTING_TEAMS = {
  'least-loaded': { id: 'routing-least', members: ['lee-a@cases.test', 'lee-b@cases.test'] },
  'round-robin': { id: 'routing-round', members: ['rob-a@cases.test', 'rob-b@cases.test'] },
} as const;

export async function setUpCaseRouting(h: Harness): Promise<void> {
  const members = Object.values(ROUTING_TEAMS).flatMap((team) =>
    team.members.map((email) => ({ email, name: email.split('@')[0]!, password: `${email} password 1` })),
  );
  for (const person of [...Object.values(CASE_PEOPLE), ...members]) {
    const now = new Date();
    await c
      .users(h.db)
      .updateOne(
        { _id: person.email },
        {
          $setOnInsert: {
            email: person.email,
            name: person.name,
            role: 'case_owner',
            passwordHash: await hashPassword(person.password),
            authVersion: 0,
            createdAt: now,
          },
        },
        { upsert: true },
      )
      .catch(() => undefined); // another test file created it at the same moment
  }
  const res = await api(h, 'PUT', '/api/routing', {
    teams: [
      {
        id: 'care',
        name: 'Customer care',
        members: [CASE_PEOPLE.owner.email],
        manager: CASE_PEOPLE.manager.email,
      },
      ...Object.entries(ROUTING_TEAMS).map(([assignment, team]) => ({
        ...team,
        members: [...team.members],
        name: `Routing ${assignment}`,
        manager: CASE_PEOPLE.manager.email,
        match: { routing: [assignment] },
        assignment,
      })),
    ],
    fallbackTeam: 'care',
    managerAbove: { [CASE_PEOPLE.manager.email]: CASE_PEOPLE.director.email },
    rootCauses: ['Delivery delay', 'Billing error', 'Other'],
  });
  if (res.status !== 200) throw new Error(`routing refused: ${res.text}`);
}

/** The shipped follow-up survey with seconds-scale timings, so a test can answer it and see the case close. */
export async function createFollowUpProgram(h: Harness, expiresAfter = '1m'): Promise<string> {
  return createProgram(h, {
    ...followUpProgram,
    id: uid('followup'),
    reminders: [],
    expiresAfter,
    survey: { ...followUpProgram.survey, editGrace: '0s' },
  });
}

/** A program whose detractors open cases with the given SLA budgets (always-open hours). */
export async function createCaseProgram(
  h: Harness,
  options: { firstResponse: string; resolution: string; followUpProgram: string; acknowledgeCustomer?: boolean },
  overrides: Partial<TProgramInput> = {},
): Promise<string> {
  return createProgram(h, {
    caseRules: [
      { when: { metric: 'nps', op: 'lte', value: 6 }, priority: 'normal', reason: 'Detractor (NPS ≤ 6)' },
      { when: { verbatim: ['cancel*'] }, priority: 'urgent', reason: 'Mentions cancelling' },
    ],
    caseHandling: {
      sla: { firstResponse: options.firstResponse, resolution: options.resolution },
      acknowledgeCustomer: options.acknowledgeCustomer ?? true,
      followUpProgram: options.followUpProgram,
    },
    ...overrides,
  });
}

/** An open case of a team, as its workflow would have written it, for tests in which no workflow runs. */
export function caseDocOf(
  id: string,
  teamId: string,
  ownerId: string,
  customerId: string,
  programId: string,
): c.CaseDoc {
  const clock = { startedAt: Date.now(), budgetMs: 3_600_000, pauses: [], breaches: 0 };
  return {
    _id: id,
    customerId,
    programId,
    replyIds: [id],
    reasons: ['Detractor'],
    status: 'open',
    priority: 'normal',
    teamId,
    ownerId,
    mayContact: true,
    escalation: 0,
    calendar: ALWAYS_OPEN,
    firstResponse: clock,
    resolution: clock,
    openedAt: new Date(),
    updatedAt: new Date(),
    version: 1,
  };
}
