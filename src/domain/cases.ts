// Kept free of zod, as every module the workflows import: the workflow sandbox evaluates its
// modules again for each workflow it starts (case-schemas.ts has the schemas).
import { type Calendar, type Pause, slaStatus } from './business-hours';
import type { CaseActionInput, CaseActionName, CaseHandling } from './case-schemas';
import { durationMs } from './duration';
import { PRIORITIES, type Priority, higherPriority } from './priority';

export type { CaseActionInput, CaseActionName, CaseHandling };

/**
 * A case's life: opened → (acknowledged) in progress ⇄ waiting on the customer → resolved →
 * closed once the customer confirms (or does not answer), or reopened when they say it is not solved.
 */
export const CASE_STATUSES = ['open', 'in_progress', 'waiting_on_customer', 'resolved', 'reopened', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** Every status but closed holds the customer's surveys (see contact.ts). */
export const UNCLOSED_STATUSES: readonly CaseStatus[] = CASE_STATUSES.filter((s) => s !== 'closed');

export const STATUS_LABELS: Record<CaseStatus, string> = {
  open: 'Open',
  in_progress: 'In progress',
  waiting_on_customer: 'Waiting on customer',
  resolved: 'Resolved, awaiting the customer',
  reopened: 'Reopened',
  closed: 'Closed',
};

/** The actions an owner (or the helpdesk, through the API) takes on a case; case-schemas.ts has their fields. */
export const CASE_ACTIONS = [
  'acknowledge',
  'note',
  'contact',
  'wait',
  'resume',
  'reassign',
  'resolve',
  'reopen',
] as const;

/** The free-text fields of an action: written by people, so they stay in MongoDB (see CaseCommand). */
export const CASE_ACTION_TEXT_FIELDS = ['note', 'subject', 'message', 'customerMessage'] as const;
export type CaseActionTextField = (typeof CASE_ACTION_TEXT_FIELDS)[number];
export type CaseActionTexts = Partial<Record<CaseActionTextField, string>>;

type WithoutTexts<T> = T extends unknown ? Omit<T, CaseActionTextField> : never;

/**
 * An action as the case workflow receives it: the web stores its texts in `case_action_texts`
 * under `textId` and tells the workflow only which are there (`texts`), so no note or message
 * enters a workflow history. Inline texts are those of actions taken before this change.
 */
export type CaseCommand = WithoutTexts<CaseActionInput> &
  CaseActionTexts & { textId?: string; texts?: CaseActionTextField[] };

/** The action's texts apart from the rest, to store before the workflow gets the rest. */
export function splitTexts(action: CaseActionInput): { command: CaseCommand; texts: CaseActionTexts } {
  const command: Record<string, unknown> = { ...action };
  const texts: CaseActionTexts = {};
  for (const field of CASE_ACTION_TEXT_FIELDS) {
    const text = command[field];
    if (typeof text === 'string') texts[field] = text;
    delete command[field];
  }
  return { command: command as CaseCommand, texts };
}

/** Whether the action carries a text, inline or stored. */
export const hasText = (command: CaseCommand, field: CaseActionTextField): boolean =>
  !!command[field] || !!command.texts?.includes(field);

export const isCaseAction = (input: unknown): input is CaseCommand =>
  typeof input === 'object' &&
  input !== null &&
  (CASE_ACTIONS as readonly unknown[]).includes((input as { action?: unknown }).action);

/** An SLA clock: a budget of business time from `startedAt`, stopped during pauses, met or breached. */
export interface SlaClock {
  startedAt: number;
  budgetMs: number;
  pauses: Pause[];
  metAt?: number;
  /** How many budgets have run out: the resolution clock escalates again for every further budget. */
  breaches: number;
}

/** What the case workflow holds and its validators judge; the `cases` document mirrors it. */
export interface CaseState {
  status: CaseStatus;
  priority: Priority;
  ownerId: string;
  teamId: string;
  mayContact: boolean;
  rootCauses: readonly string[];
  /** How far up the escalation chain the case has gone (0: not escalated). */
  escalation: number;
  firstResponse: SlaClock;
  resolution: SlaClock;
  rootCause?: string;
  /** Only in cases resolved before the texts moved out of the workflow (the case document has it). */
  customerMessage?: string;
}

const CLOSED_FOR_WORK = new Set<CaseStatus>(['resolved', 'closed']);

/** Who acts on a case: the owner, or anyone whose role lets them reassign every case. */
export interface CaseActor {
  id: string;
  canReassign: boolean;
}

/**
 * Why `action` cannot be taken now by `actor`, or null when it can. Runs in the workflow's update
 * validator, so a refused action writes nothing.
 */
export function refusal(state: CaseState, input: CaseCommand, actor: CaseActor): string | null {
  if (input.action === 'reassign' && state.status !== 'closed' && input.ownerId === state.ownerId)
    return `The case already belongs to ${input.ownerId}.`;
  return stateRefusal(state, input.action, actor) ?? detailRefusal(state, input);
}

/** Which actions `actor` may take on the case now (the admin page offers only these). */
export function allowedCaseActions(state: CaseState, actor: CaseActor): Record<CaseActionName, boolean> {
  const allowed = (action: CaseActionName) =>
    stateRefusal(state, action, actor) === null && (action !== 'resolve' || state.rootCauses.length > 0);
  return Object.fromEntries(CASE_ACTIONS.map((action) => [action, allowed(action)])) as Record<CaseActionName, boolean>;
}

/** Why the case refuses this kind of action now, whatever the action's details. */
function stateRefusal(state: CaseState, action: CaseActionName, actor: CaseActor): string | null {
  if (state.status === 'closed') return 'The case is closed.';
  switch (action) {
    case 'acknowledge':
      return state.firstResponse.metAt !== undefined ? 'The case was already acknowledged.' : null;
    case 'note':
      return null;
    case 'contact':
      if (!state.mayContact) return 'The customer asked not to be contacted about this feedback.';
      return state.status === 'resolved' ? 'The case is resolved; reopen it to contact the customer.' : null;
    case 'wait':
      if (!state.mayContact) return 'The customer asked not to be contacted, so the case cannot wait on them.';
      if (state.status === 'waiting_on_customer') return 'The case is already waiting on the customer.';
      return state.status === 'resolved' ? 'The case is resolved.' : null;
    case 'resume':
      return state.status === 'waiting_on_customer' ? null : 'The case is not waiting on the customer.';
    case 'reassign':
      if (!actor.canReassign && actor.id !== state.ownerId) return 'Only the owner or a manager may reassign the case.';
      return CLOSED_FOR_WORK.has(state.status) ? 'The case is resolved; reopen it first.' : null;
    case 'resolve':
      return CLOSED_FOR_WORK.has(state.status) ? 'The case is already resolved.' : null;
    case 'reopen':
      return state.status === 'resolved' ? null : 'Only a resolved case can be reopened.';
  }
}

/** What is wrong with the action's own details (a resolution's root cause and message). */
function detailRefusal(state: CaseState, input: CaseCommand): string | null {
  if (input.action !== 'resolve') return null;
  if (!state.rootCauses.includes(input.rootCause))
    return `Unknown root cause "${input.rootCause}"; choose one of: ${state.rootCauses.join(', ')}.`;
  if (state.mayContact && !hasText(input, 'customerMessage'))
    return 'Write the message the customer will receive about what was done.';
  return null;
}

/** The clock stops (the case waits on the customer). */
function pause(clock: SlaClock, now: number): SlaClock {
  return { ...clock, pauses: [...clock.pauses, { from: now }] };
}

/** The clock runs again. */
function resume(clock: SlaClock, now: number): SlaClock {
  return { ...clock, pauses: clock.pauses.map((p) => (p.to === undefined ? { ...p, to: now } : p)) };
}

const met = (clock: SlaClock, now: number): SlaClock => (clock.metAt === undefined ? { ...clock, metAt: now } : clock);

export function newClock(budget: string, now: number): SlaClock {
  return { startedAt: now, budgetMs: durationMs(budget), pauses: [], breaches: 0 };
}

/** The case after `input`, taken at `now` (only called when `refusal` found nothing). */
export function applyAction(state: CaseState, input: CaseCommand, now: number, resolutionBudget: string): CaseState {
  const responded = { ...state, firstResponse: met(state.firstResponse, now) };
  switch (input.action) {
    case 'acknowledge':
      return {
        ...responded,
        status: state.status === 'open' || state.status === 'reopened' ? 'in_progress' : state.status,
      };
    case 'note':
      return state;
    case 'contact':
      return {
        ...responded,
        status: state.status === 'open' || state.status === 'reopened' ? 'in_progress' : state.status,
      };
    case 'wait':
      return {
        ...responded,
        status: 'waiting_on_customer',
        firstResponse: pause(responded.firstResponse, now),
        resolution: pause(state.resolution, now),
      };
    case 'resume':
      return {
        ...state,
        status: 'in_progress',
        firstResponse: resume(state.firstResponse, now),
        resolution: resume(state.resolution, now),
      };
    case 'reassign':
      return { ...state, ownerId: input.ownerId };
    case 'resolve':
      return {
        ...responded,
        status: 'resolved',
        rootCause: input.rootCause,
        customerMessage: state.mayContact ? input.customerMessage : undefined,
        firstResponse: resume(responded.firstResponse, now),
        resolution: met(resume(state.resolution, now), now),
      };
    case 'reopen':
      return reopened(state, now, resolutionBudget);
  }
}

/** Reopened by the owner or by the customer's follow-up answer: the resolution SLA starts again. */
export function reopened(state: CaseState, now: number, resolutionBudget: string): CaseState {
  return { ...state, status: 'reopened', resolution: newClock(resolutionBudget, now) };
}

export type SlaName = 'firstResponse' | 'resolution';

/** The next SLA breach to wait for: which clock and when, or null when no running clock can breach. */
export function nextBreach(calendar: Calendar, state: CaseState, now: number): { clock: SlaName; at: number } | null {
  if (CLOSED_FOR_WORK.has(state.status)) return null;
  const candidates: { clock: SlaName; at: number }[] = [];
  for (const name of ['firstResponse', 'resolution'] as const) {
    const clock = state[name];
    if (clock.metAt !== undefined) continue;
    // The first-response clock breaches once; the resolution clock again for every further budget.
    if (name === 'firstResponse' && clock.breaches > 0) continue;
    const status = slaStatus(calendar, { ...clock, budgetMs: clock.budgetMs * (clock.breaches + 1) }, now);
    const at = status.remainingMs <= 0 ? now : status.dueAt;
    if (at !== null) candidates.push({ clock: name, at });
  }
  return candidates.sort((a, b) => a.at - b.at)[0] ?? null;
}

const raise = (priority: Priority): Priority =>
  PRIORITIES[Math.min(PRIORITIES.indexOf(priority) + 1, PRIORITIES.length - 1)]!;

/**
 * A breach: the case goes one level up the escalation chain (while there is one) and its priority
 * rises one step. Returns who is told (null once the chain is exhausted).
 */
export function escalated(
  state: CaseState,
  clock: SlaName,
  chain: readonly string[],
): { state: CaseState; notify: string | null } {
  const level = state.escalation + 1;
  return {
    state: {
      ...state,
      escalation: level,
      priority: raise(state.priority),
      [clock]: { ...state[clock], breaches: state[clock].breaches + 1 },
    },
    notify: chain[level - 1] ?? null,
  };
}

/** A reply attached to the open case can raise its priority, never lower it. */
export function withAttachedReply(state: CaseState, priority: Priority): CaseState {
  return { ...state, priority: higherPriority(state.priority, priority) };
}

/** How the SLA looks to a person: time left or overdue, in business time. */
export function slaBadge(
  calendar: Calendar,
  clock: SlaClock,
  now: number,
): { label: string; state: 'ok' | 'due-soon' | 'overdue' | 'paused' | 'met' } {
  if (clock.metAt !== undefined) return { label: 'met', state: 'met' };
  const status = slaStatus(calendar, clock, now);
  if (status.paused) return { label: `paused, ${humanMs(Math.max(status.remainingMs, 0))} left`, state: 'paused' };
  if (status.breached) return { label: `overdue by ${humanMs(-status.remainingMs)}`, state: 'overdue' };
  return {
    label: `${humanMs(status.remainingMs)} left`,
    state: status.remainingMs < clock.budgetMs / 4 ? 'due-soon' : 'ok',
  };
}

/** `2d 3h`, `45m`, `12s`: the two largest units. */
export function humanMs(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let left = Math.round(ms);
  for (const [unit, size] of units) {
    const n = Math.floor(left / size);
    if (n > 0 || (parts.length === 0 && unit === 's')) parts.push(`${n}${unit}`);
    left -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A CSAT (1–5) at or below this after a resolution means the customer is not satisfied. */
export const LOW_CSAT = 2;

/**
 * The follow-up survey's answer: "not solved" or a low CSAT reopens the case; anything else, or
 * no answer at all, closes it.
 */
export function followUpVerdict(
  answers: Record<string, unknown> | null,
  csat: number | null | undefined,
): 'close' | 'reopen' {
  if (!answers) return 'close';
  const solved = answers.solved;
  if (typeof solved === 'string' && ['no', 'nein', 'non', 'false'].includes(solved.trim().toLowerCase()))
    return 'reopen';
  return typeof csat === 'number' && csat <= LOW_CSAT ? 'reopen' : 'close';
}

/** The timeline's summary and note of an action, its texts included (read back from MongoDB). */
export function describeAction(action: CaseCommand): { summary: string; note?: string } {
  const note = noteOf(action);
  return { summary: summaryOf(action), ...(note ? { note } : {}) };
}

function summaryOf(action: CaseCommand): string {
  switch (action.action) {
    case 'acknowledge':
      return 'Acknowledged';
    case 'note':
      return 'Internal note';
    case 'contact':
      return action.subject ? `Emailed the customer: ${action.subject}` : 'Emailed the customer';
    case 'wait':
      return `${STATUS_LABELS.waiting_on_customer}: SLA clocks paused`;
    case 'resume':
      return 'No longer waiting on the customer: SLA clocks running';
    case 'reassign':
      return `Reassigned to ${action.ownerId}`;
    case 'resolve':
      return `Resolved (root cause: ${action.rootCause})`;
    case 'reopen':
      return 'Reopened: resolution SLA restarted';
  }
}

function noteOf(action: CaseCommand): string | undefined {
  if (action.action === 'contact') return action.message;
  if (action.action === 'resolve')
    return [action.note, action.customerMessage && `To the customer: ${action.customerMessage}`]
      .filter(Boolean)
      .join('\n\n');
  return action.note;
}
