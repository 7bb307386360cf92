import { describe, expect, it } from 'vitest';
import { ALWAYS_OPEN, type Calendar } from '../../src/domain/business-hours';
import { ZCalendar } from '../../src/domain/calendar-schema';
import { ZCaseAction } from '../../src/domain/case-schemas';
import {
  CASE_ACTIONS,
  CASE_STATUSES,
  type CaseState,
  allowedCaseActions,
  applyAction,
  describeAction,
  escalated,
  followUpVerdict,
  humanMs,
  isCaseAction,
  newClock,
  nextBreach,
  refusal,
  slaBadge,
  splitTexts,
  withAttachedReply,
} from '../../src/domain/cases';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-11-30T08:00:00Z'); // a Monday
const owner = { id: 'ann@example.com', canReassign: false };
const manager = { id: 'max@example.com', canReassign: true };

function openCase(overrides: Partial<CaseState> = {}): CaseState {
  return {
    status: 'open',
    priority: 'normal',
    ownerId: owner.id,
    teamId: 'support',
    mayContact: true,
    rootCauses: ['Billing error', 'Other'],
    escalation: 0,
    firstResponse: newClock('4h', T0),
    resolution: newClock('16h', T0),
    ...overrides,
  };
}

describe('case transitions', () => {
  it('when the owner acknowledges, then the first-response clock stops and the case is in progress', () => {
    const state = applyAction(openCase(), { action: 'acknowledge' }, T0 + HOUR, '16h');
    expect(state.status).toBe('in_progress');
    expect(state.firstResponse.metAt).toBe(T0 + HOUR);
    expect(refusal(state, { action: 'acknowledge' }, owner)).toBe('The case was already acknowledged.');
  });

  it('when the customer asked not to be contacted, then contact and waiting are refused and resolving needs no message', () => {
    const state = openCase({ mayContact: false });
    expect(refusal(state, { action: 'contact', subject: 's', message: 'm' }, owner)).toMatch(/not to be contacted/);
    expect(refusal(state, { action: 'wait' }, owner)).toMatch(/not to be contacted/);
    expect(refusal(state, { action: 'resolve', rootCause: 'Other' }, owner)).toBeNull();
    const resolved = applyAction(state, { action: 'resolve', rootCause: 'Other', customerMessage: 'x' }, T0, '16h');
    expect(resolved.customerMessage).toBeUndefined();
  });

  it('when resolving, then the root cause must come from the list and the customer needs a message', () => {
    expect(refusal(openCase(), { action: 'resolve', rootCause: 'Gremlins', customerMessage: 'x' }, owner)).toMatch(
      /Unknown root cause "Gremlins"; choose one of: Billing error, Other/,
    );
    expect(refusal(openCase(), { action: 'resolve', rootCause: 'Other' }, owner)).toMatch(/message the customer/);
    const resolved = applyAction(
      openCase(),
      { action: 'resolve', rootCause: 'Other', customerMessage: 'Fixed' },
      T0,
      '16h',
    );
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolution.metAt).toBe(T0);
    expect(refusal(resolved, { action: 'note', note: 'x' }, owner)).toBeNull();
    expect(refusal(resolved, { action: 'resolve', rootCause: 'Other', customerMessage: 'x' }, owner)).toMatch(
      /already resolved/,
    );
    expect(refusal(resolved, { action: 'contact', subject: 's', message: 'm' }, owner)).toMatch(/reopen it/);
  });

  it('when a case is reopened, then the resolution SLA starts again', () => {
    const resolved = applyAction(
      openCase(),
      { action: 'resolve', rootCause: 'Other', customerMessage: 'x' },
      T0,
      '16h',
    );
    expect(refusal(openCase(), { action: 'reopen', note: 'x' }, owner)).toMatch(/Only a resolved case/);
    const state = applyAction(resolved, { action: 'reopen', note: 'not fixed' }, T0 + 2 * HOUR, '16h');
    expect(state.status).toBe('reopened');
    expect(state.resolution).toEqual({ startedAt: T0 + 2 * HOUR, budgetMs: 16 * HOUR, pauses: [], breaches: 0 });
  });

  it('when someone other than the owner reassigns, then only a manager may', () => {
    const action = { action: 'reassign' as const, ownerId: 'bob@example.com' };
    expect(refusal(openCase(), action, { id: 'eve@example.com', canReassign: false })).toMatch(/owner or a manager/);
    expect(refusal(openCase(), action, manager)).toBeNull();
    expect(refusal(openCase(), action, owner)).toBeNull();
    expect(refusal(openCase(), { action: 'reassign', ownerId: owner.id }, manager)).toMatch(/already belongs/);
    expect(applyAction(openCase(), action, T0, '16h').ownerId).toBe('bob@example.com');
  });

  it('when a case is closed, then every action is refused', () => {
    for (const input of [{ action: 'note', note: 'x' }, { action: 'acknowledge' }] as const)
      expect(refusal(openCase({ status: 'closed' }), input, manager)).toBe('The case is closed.');
  });

  it('when action input is malformed, then the schema refuses it', () => {
    expect(ZCaseAction.safeParse({ action: 'explode' }).success).toBe(false);
    expect(ZCaseAction.safeParse({ action: 'note', note: '   ' }).success).toBe(false);
    expect(ZCaseAction.safeParse({ action: 'note', note: 'x'.repeat(5001) }).success).toBe(false);
    expect(ZCaseAction.safeParse({ action: 'acknowledge', extra: 1 }).success).toBe(false);
  });

  it('when the workflow checks an action, then it knows exactly the actions the schema defines', () => {
    expect([...CASE_ACTIONS].sort()).toEqual(ZCaseAction.options.map((o) => o.shape.action.value).sort());
    expect(isCaseAction({ action: 'explode' })).toBe(false);
    expect(isCaseAction(null)).toBe(false);
    expect(isCaseAction({ action: 'reopen', note: 'again' })).toBe(true);
  });
});

describe('SLA clocks', () => {
  it('when nothing happens, then the first-response clock breaches first, then the resolution clock, then each further budget', () => {
    let state = openCase();
    const chain = ['max@example.com', 'ceo@example.com'];
    expect(nextBreach(ALWAYS_OPEN, state, T0)).toEqual({ clock: 'firstResponse', at: T0 + 4 * HOUR });
    let step = escalated(state, 'firstResponse', chain);
    state = step.state;
    expect(step.notify).toBe('max@example.com');
    expect(state.priority).toBe('high');
    expect(nextBreach(ALWAYS_OPEN, state, T0 + 4 * HOUR)).toEqual({ clock: 'resolution', at: T0 + 16 * HOUR });
    step = escalated(state, 'resolution', chain);
    state = step.state;
    expect(step.notify).toBe('ceo@example.com');
    expect(state.priority).toBe('urgent');
    expect(nextBreach(ALWAYS_OPEN, state, T0 + 16 * HOUR)).toEqual({ clock: 'resolution', at: T0 + 32 * HOUR });
    step = escalated(state, 'resolution', chain);
    expect(step.notify).toBeNull();
    expect(step.state.priority).toBe('urgent');
  });

  it('when the case waits on the customer, then the clocks pause, and resume where they stopped', () => {
    let state = applyAction(openCase(), { action: 'wait' }, T0 + HOUR, '16h');
    expect(state.status).toBe('waiting_on_customer');
    expect(nextBreach(ALWAYS_OPEN, state, T0 + 2 * HOUR)).toBeNull();
    expect(slaBadge(ALWAYS_OPEN, state.resolution, T0 + 5 * HOUR)).toEqual({
      label: 'paused, 15h left',
      state: 'paused',
    });
    state = applyAction(state, { action: 'resume' }, T0 + 10 * HOUR, '16h');
    // 1 h used before the pause, 15 h left from 10:00 after it.
    expect(nextBreach(ALWAYS_OPEN, state, T0 + 10 * HOUR)).toEqual({ clock: 'resolution', at: T0 + 25 * HOUR });
  });

  it('when the team works office hours, then deadlines skip nights and weekends', () => {
    const office: Calendar = ZCalendar.parse({
      timezone: 'UTC',
      weekly: Object.fromEntries(
        ['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [{ start: '09:00', end: '17:00' }]]),
      ),
    });
    const friday4pm = Date.parse('2026-12-04T16:00:00Z');
    const state = openCase({ firstResponse: newClock('4h', friday4pm), resolution: newClock('16h', friday4pm) });
    // 1 h on Friday, 3 h on Monday.
    expect(nextBreach(office, state, friday4pm)).toEqual({
      clock: 'firstResponse',
      at: Date.parse('2026-12-07T12:00:00Z'),
    });
    expect(slaBadge(office, state.firstResponse, Date.parse('2026-12-05T12:00:00Z')).label).toBe('3h left');
  });

  it('when a clock is overdue, then the badge says by how much', () => {
    expect(slaBadge(ALWAYS_OPEN, newClock('1h', T0), T0 + 90 * 60_000)).toEqual({
      label: 'overdue by 30m',
      state: 'overdue',
    });
    expect(humanMs(2 * 86_400_000 + 3 * HOUR + 5 * 60_000)).toBe('2d 3h');
    expect(humanMs(0)).toBe('0s');
  });

  it('when a reply is attached, then it can raise the priority but never lower it', () => {
    expect(withAttachedReply(openCase(), 'urgent').priority).toBe('urgent');
    expect(withAttachedReply(openCase({ priority: 'high' }), 'low').priority).toBe('high');
  });
});

describe('follow-up verdict', () => {
  it('reopens on "not solved" or a low CSAT, closes otherwise or without an answer', () => {
    expect(followUpVerdict({ solved: 'no' }, 5)).toBe('reopen');
    expect(followUpVerdict({ solved: 'yes' }, 2)).toBe('reopen');
    expect(followUpVerdict({ solved: 'yes' }, 3)).toBe('close');
    expect(followUpVerdict({ solved: 'yes' }, null)).toBe('close');
    expect(followUpVerdict(null, undefined)).toBe('close');
  });

  it('when an action is split for the workflow, then its texts stay apart and the rules still see which there are', () => {
    const { command, texts } = splitTexts({
      action: 'resolve',
      rootCause: 'Other',
      note: 'Swapped the part',
      customerMessage: 'We replaced it.',
    });
    expect(command).toEqual({ action: 'resolve', rootCause: 'Other' });
    expect(texts).toEqual({ note: 'Swapped the part', customerMessage: 'We replaced it.' });
    const stored = { ...command, textId: 'case-1:update-1', texts: ['note' as const] };
    expect(refusal(openCase(), stored, owner)).toMatch(/message the customer/);
    expect(refusal(openCase(), { ...stored, texts: ['customerMessage' as const] }, owner)).toBeNull();
    // The activity puts the texts back before wording the timeline.
    expect(describeAction({ ...stored, ...texts })).toEqual({
      summary: 'Resolved (root cause: Other)',
      note: 'Swapped the part\n\nTo the customer: We replaced it.',
    });
    expect(describeAction({ action: 'contact', subject: 'Your order', message: 'Which one?' })).toEqual({
      summary: 'Emailed the customer: Your order',
      note: 'Which one?',
    });
  });
});

describe('the actions a case allows', () => {
  const allowed = (state: CaseState, actor = owner) =>
    Object.entries(allowedCaseActions(state, actor))
      .filter(([, yes]) => yes)
      .map(([action]) => action);

  it('when a case is open, then its owner may do anything but resume and reopen', () => {
    expect(allowed(openCase())).toEqual(['acknowledge', 'note', 'contact', 'wait', 'reassign', 'resolve']);
  });

  it('when the case is someone else’s, then only a manager may reassign it', () => {
    const state = openCase({ ownerId: 'bob@example.com' });
    expect(allowed(state)).not.toContain('reassign');
    expect(allowed(state, manager)).toContain('reassign');
  });

  it('when the case waits on the customer, resolved or closed, then the offer follows', () => {
    expect(allowed(openCase({ status: 'waiting_on_customer' }))).toContain('resume');
    expect(allowed(openCase({ status: 'waiting_on_customer' }))).not.toContain('wait');
    expect(allowed(openCase({ status: 'resolved' }))).toEqual(['acknowledge', 'note', 'reopen']);
    expect(allowed(openCase({ status: 'closed' }))).toEqual([]);
  });

  it('when the customer asked not to be contacted or no root cause is set up, then those actions are not offered', () => {
    expect(allowed(openCase({ mayContact: false }))).not.toContain('contact');
    expect(allowed(openCase({ mayContact: false }))).not.toContain('wait');
    expect(allowed(openCase({ rootCauses: [] }))).not.toContain('resolve');
  });

  it('for every state, an action is offered exactly when a plain sample of it is not refused', () => {
    const samples = {
      acknowledge: { action: 'acknowledge' },
      note: { action: 'note', note: '-' },
      contact: { action: 'contact', subject: '-', message: '-' },
      wait: { action: 'wait' },
      resume: { action: 'resume' },
      reassign: { action: 'reassign', ownerId: 'nobody-yet' },
      resolve: { action: 'resolve', rootCause: 'Other', customerMessage: '-' },
      reopen: { action: 'reopen', note: '-' },
    } as const;
    for (const status of CASE_STATUSES)
      for (const mayContact of [true, false])
        for (const actor of [owner, manager, { id: 'eve@example.com', canReassign: false }]) {
          const state = openCase({ status, mayContact });
          const offered = allowedCaseActions(state, actor);
          for (const action of CASE_ACTIONS)
            expect(offered[action], `${status} ${mayContact} ${actor.id} ${action}`).toBe(
              refusal(state, samples[action], actor) === null,
            );
        }
  });
});
