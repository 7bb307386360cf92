import { randomUUID } from 'node:crypto';
import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import type { Db, Filter } from 'mongodb';
import { z } from 'zod';
import * as c from '../db/collections';
import { insertOnce } from '../db/insert-once';
import { PRIORITIES } from '../domain/case-rules';
import type { Role } from '../domain/access';
import type { Routing } from '../domain/routing';
import {
  type CaseScope,
  EVERY_CASE,
  caseScopeCondition,
  caseScopeOf,
  caseScopeOfKey,
  inCaseScope,
  outOfScopeMessage,
} from '../domain/case-access';
import { type Unit, type UnitScope, unitScopeOf, unitScopeOfKey } from '../domain/units';
import { loadRouting } from '../db/routing';
import { loadUnits } from '../db/units';
import { ZCaseAction } from '../domain/case-schemas';
import {
  CASE_STATUSES,
  type CaseActionInput,
  type CaseState,
  allowedCaseActions,
  slaBadge,
  splitTexts,
} from '../domain/cases';
import { DEFAULT_ROOT_CAUSES } from '../domain/case-schemas';
import { findCustomer } from '../db/customers';
import { caseActionUpdate, caseWorkflowId } from '../../workflows/definitions';
import { AppError } from './errors';
import { ZExternalId } from './schemas';
import { parseInput } from './validation';

/** Filters of the case lists (queues and `GET /api/cases`); each one optional and bounded. */
export const ZCaseFilter = z
  .object({
    customerId: ZExternalId.optional(),
    status: z.enum([...CASE_STATUSES, 'unclosed']).optional(),
    ownerId: z.email().max(254).toLowerCase().optional(),
    teamId: z.string().max(64).optional(),
    programId: z.string().max(100).optional(),
    priority: z.enum(PRIORITIES).optional(),
    /** Escalated: an SLA was breached. */
    sla: z.enum(['escalated', 'on-track']).optional(),
  })
  .strict();
export type CaseFilter = z.infer<typeof ZCaseFilter>;

export const CASE_SORTS = { newest: { openedAt: -1 }, oldest: { openedAt: 1 }, updated: { updatedAt: -1 } } as const;
export type CaseSort = keyof typeof CASE_SORTS;

/** The query's filter fields that are set, without empty strings (a form submits every field). */
export function caseFilterFrom(query: Record<string, unknown>): CaseFilter {
  const given = Object.fromEntries(
    Object.keys(ZCaseFilter.shape)
      .map((key) => [key, query[key]] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  return parseInput(ZCaseFilter, given, 'case filter');
}

/** The list's filter with the person's case scope as one more condition (the same query, no extra scan). */
export function mongoFilter(filter: CaseFilter, scope: CaseScope = EVERY_CASE): Filter<c.CaseDoc> {
  const { status, sla, ...exact } = filter;
  const inScope = caseScopeCondition(scope);
  return {
    ...exact,
    ...(status === 'unclosed' ? { status: { $ne: 'closed' } } : status ? { status } : {}),
    ...(sla === 'escalated' ? { escalation: { $gt: 0 } } : sla === 'on-track' ? { escalation: 0 } : {}),
    ...(inScope ? { $and: [inScope] } : {}),
  };
}

export async function listCases(
  db: Db,
  filter: CaseFilter,
  page: { limit: number; skip: number },
  sort: CaseSort = 'newest',
  scope: CaseScope = EVERY_CASE,
) {
  const query = mongoFilter(filter, scope);
  const [items, total] = await Promise.all([
    c.cases(db).find(query).sort(CASE_SORTS[sort]).skip(page.skip).limit(page.limit).toArray(),
    c.cases(db).countDocuments(query),
  ]);
  return { items, total };
}

/** The SLA badges of a case as a person reads them (business time of the owning team). */
export function slaOf(doc: c.CaseDoc, now = Date.now()) {
  return {
    firstResponse: slaBadge(doc.calendar, doc.firstResponse, now),
    resolution:
      doc.status === 'closed'
        ? { label: 'closed', state: 'met' as const }
        : slaBadge(doc.calendar, doc.resolution, now),
  };
}

/** A signed-in person as case access reads them: who, their role, and the units they are assigned to. */
export type Person = { id: string; role: Role; units?: readonly string[] };

/** The routing, the organisation's units, and the cases and units a person or API key sees. */
export interface CaseAccess {
  routing: Routing | null;
  scope: CaseScope;
  units: Unit[];
  unitScope: UnitScope;
}

/** The routing and the cases a signed-in person may see and act on: their teams', and their units' teams'. */
export async function caseAccessOf(db: Db, user: Person): Promise<CaseAccess> {
  const [routing, units] = await Promise.all([loadRouting(db), loadUnits(db)]);
  const unitScope = unitScopeOf(units, user);
  return { routing, scope: caseScopeOf(routing, user, unitScope), units, unitScope };
}

/** The cases an API key may see and act on: every case, or its teams', or its units' teams'. */
export async function keyCaseAccessOf(
  db: Db,
  key: { teams?: readonly string[]; units?: readonly string[] },
): Promise<CaseAccess> {
  const [routing, units] = await Promise.all([loadRouting(db), loadUnits(db)]);
  return { routing, scope: caseScopeOfKey(key, routing, units), units, unitScope: unitScopeOfKey(units, key) };
}

/** A case outside the person's scope is refused (403) as surely as a missing one (404). */
function ensureInScope(doc: c.CaseDoc | null, caseId: string, scope: CaseScope): asserts doc is c.CaseDoc {
  if (!doc) throw new AppError('not-found', `no case ${caseId}`);
  if (!inCaseScope(scope, doc)) throw new AppError('forbidden', outOfScopeMessage(scope));
}

export async function caseWithTimeline(db: Db, caseId: string, scope: CaseScope = EVERY_CASE) {
  const doc = await c.cases(db).findOne({ _id: caseId });
  ensureInScope(doc, caseId, scope);
  const timeline = await c.caseTimeline(db).find({ caseId }).sort({ seq: 1 }).limit(1000).toArray();
  return { case: doc, timeline };
}

/** Managers (of a team, or above one) and admins and operations may reassign any case. */
function mayReassignAny(routing: Routing | null, user: { id: string; role: string }): boolean {
  if (user.role === 'admin' || user.role === 'operations') return true;
  return (
    !!routing &&
    (routing.teams.some((t) => t.manager === user.id) || Object.values(routing.managerAbove).includes(user.id))
  );
}

/** Refuses an action on a case outside the person's scope, before anything is sent to the case's workflow. */
async function ensureCaseInScope(db: Db, caseId: string, scope: CaseScope): Promise<void> {
  if (scope.all) return;
  const doc = await c.cases(db).findOne({ _id: caseId }, { projection: { teamId: 1, ownerId: 1 } });
  ensureInScope(doc, caseId, scope);
}

/** How long a person waits for a case to take an action (its worker may be down) before "try again". */
const ACTION_DEADLINE_MS = 10_000;

/** A client's idempotency key for an action: letters, digits, `-` and `_`. */
const ZRequestId = z
  .string()
  .regex(/^[\w-]{8,100}$/, 'Idempotency-Key: 8 to 100 letters, digits, - or _')
  .optional();

/**
 * An owner action, taken through the case workflow's update: the workflow's validator refuses a
 * bad transition (409, with its reason) before anything is written.
 */
export async function actOnCase(
  temporal: Client,
  db: Db,
  caseId: string,
  input: unknown,
  actor: { id: string; canReassign: boolean },
  requestId?: string,
): Promise<CaseState> {
  const action: CaseActionInput = parseInput(ZCaseAction, input, 'case action');
  const doc = await c.cases(db).findOne({ _id: caseId }, { projection: { status: 1 } });
  if (!doc) throw new AppError('not-found', `no case ${caseId}`);
  if (doc.status === 'closed') throw new AppError('conflict', 'The case is closed.');
  if (action.action === 'reassign') {
    const owner = await c.users(db).findOne({ _id: action.ownerId });
    if (!owner || owner.disabled || !['admin', 'operations', 'case_owner'].includes(owner.role))
      throw new AppError('invalid', `${action.ownerId} is not an enabled user who may own cases`);
  }
  // A request repeated with the same ID (a retry after a timeout) is the same update: applied once.
  const updateId = requestId ? `${actor.id}:${action.action}:${requestId}` : randomUUID();
  const command = await storeTexts(db, caseId, updateId, action);
  try {
    return await temporal.withDeadline(Date.now() + ACTION_DEADLINE_MS, () =>
      temporal.workflow
        .getHandle(caseWorkflowId(caseId))
        .executeUpdate(caseActionUpdate, { args: [{ input: command, actor }], updateId }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new AppError('conflict', reasonOf(err));
    if (err instanceof WorkflowNotFoundError) throw new AppError('conflict', 'The case is closed.');
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new AppError('unavailable', 'The case did not answer in time; try again.');
    throw err;
  }
}

/** An action on a case within the actor's scope: refused (403) outside it before anything else is looked at. */
export async function actOnCaseInScope(
  temporal: Client,
  db: Db,
  request: {
    caseId: string;
    input: unknown;
    actor: { id: string; canReassign: boolean };
    scope: CaseScope;
    /** The client's idempotency key as it came, and where it came from (for the error). */
    requestId: unknown;
    requestIdFrom: string;
  },
): Promise<CaseState> {
  await ensureCaseInScope(db, request.caseId, request.scope);
  const requestId = parseInput(ZRequestId, request.requestId, request.requestIdFrom);
  return actOnCase(temporal, db, request.caseId, request.input, request.actor, requestId);
}

/** A signed-in person's action on a case, with the right to reassign their place in the routing gives them. */
export async function actOnCaseAs(
  temporal: Client,
  db: Db,
  user: Person,
  request: { caseId: string; input: unknown; requestId: unknown },
): Promise<CaseState> {
  const { routing, scope } = await caseAccessOf(db, user);
  const actor = { id: user.id, canReassign: mayReassignAny(routing, user) };
  return actOnCaseInScope(temporal, db, { ...request, actor, scope, requestIdFrom: 'form' });
}

/**
 * Stores the action's notes and messages (insert-only, so a retry keeps the first request's words,
 * as the update it repeats does) and returns the action the case workflow gets: their ID and
 * which there are, so that no text enters the workflow's history.
 */
async function storeTexts(db: Db, caseId: string, updateId: string, action: CaseActionInput) {
  const { command, texts } = splitTexts(action);
  const present = Object.keys(texts) as (keyof typeof texts)[];
  if (present.length === 0) return command;
  const textId = `${caseId}:${updateId}`;
  await insertOnce(c.caseActionTexts(db), { _id: textId, caseId, at: new Date(), ...texts });
  return { ...command, textId, texts: present };
}

/** The validator's or handler's own words, without the SDK's wrapping. */
function reasonOf(err: WorkflowUpdateFailedError): string {
  const cause = err.cause as { message?: string } | undefined;
  return cause?.message || err.message;
}

/** How many of the customer's replies and other cases a case page shows. */
const CASE_PAGE_HISTORY = 50;

/**
 * A case as its page shows it to `user`: the case and its timeline, the customer with their
 * replies, summary and other cases (as far as the user may see them), the people who may own
 * it, the root causes, and the actions the user may take now.
 */
export async function casePage(db: Db, caseId: string, user: Person) {
  const { routing, scope } = await caseAccessOf(db, user);
  const { case: doc, timeline } = await caseWithTimeline(db, caseId, scope);
  const [customer, program, replies, pastCases, owners, summaries] = await Promise.all([
    findCustomer(db, doc.customerId),
    c.programs(db).findOne({ _id: doc.programId }),
    c.responses(db).find({ customerId: doc.customerId }).sort({ submittedAt: -1 }).limit(CASE_PAGE_HISTORY).toArray(),
    c
      .cases(db)
      .find({ ...mongoFilter({ customerId: doc.customerId }, scope), _id: { $ne: doc._id } })
      .sort({ openedAt: -1 })
      .limit(CASE_PAGE_HISTORY)
      .toArray(),
    c
      .users(db)
      .find({ role: { $in: ['admin', 'operations', 'case_owner'] }, disabled: { $ne: true } })
      .sort({ _id: 1 })
      .limit(500)
      .toArray(),
    c.summaryScores(db, [doc.customerId]),
  ]);
  const rootCauses = routing?.rootCauses ?? DEFAULT_ROOT_CAUSES;
  const state: CaseState = { ...doc, rootCauses };
  const can = allowedCaseActions(state, { id: user.id, canReassign: mayReassignAny(routing, user) });
  const summary = summaries.get(doc.customerId);
  return { doc, timeline, customer, program, replies, pastCases, owners, summary, rootCauses, can };
}

/** The audit log, newest first. */
export function listAuditLog(db: Db, { limit, skip }: { limit: number; skip: number }) {
  return c.auditLog(db).find().sort({ at: -1 }).skip(skip).limit(limit).toArray();
}

/**
 * A queue of cases for `user`: their own (`mine`), a team's (`team`: the filter's team, or the
 * first of theirs) or every case in their scope (`all`), each with its customer's name and email.
 * `myTeams` are the teams the Team queue offers: one's own, and for a manager above also the
 * teams below them.
 */
export async function caseQueue(
  db: Db,
  user: Person,
  view: string,
  filter: CaseFilter,
  sort: CaseSort,
  page: { limit: number; skip: number },
) {
  const { routing, scope } = await caseAccessOf(db, user);
  const myTeams =
    routing?.teams.filter((t) =>
      scope.all ? t.members.includes(user.id) || t.manager === user.id : scope.teamIds.includes(t.id),
    ) ?? [];
  if (view === 'mine') filter.ownerId = user.id;
  const scoped = view === 'team' && !filter.teamId ? { ...filter, teamId: myTeams[0]?.id ?? '\u0000' } : filter;
  const { items, total } = await listCases(db, scoped, page, sort, scope);
  const customers = new Map(
    (
      await c
        .customers(db)
        .find({ _id: { $in: items.map((i) => i.customerId) } }, { projection: { name: 1, email: 1 } })
        .toArray()
    ).map((cu) => [cu._id, cu]),
  );
  return { items: items.map((doc) => ({ ...doc, customer: customers.get(doc.customerId) })), total, myTeams };
}
