import { randomUUID } from 'node:crypto';
import type { Db, Filter } from 'mongodb';
import { audit } from '../db/audit';
import { findCustomer, withConsentOf } from '../db/customers';
import * as c from '../db/collections';
import type { CustomerProfile, ErasureSummary, ProfileOutcome } from '../domain/customer';
import type { CaseScope } from '../domain/case-access';
import { localize } from '../domain/localize';
import { type PersonalDataView, personalDataViewOf } from '../domain/personal-data';
import {
  EVERY_UNIT,
  OUT_OF_UNITS,
  type Unit,
  type UnitScope,
  inUnitScope,
  unitPath,
  unitScopeCondition,
} from '../domain/units';
import { type Person, caseAccessOf, mongoFilter } from './cases';
import { keyUnitAccessOf } from './units';
import { type ProfileChange, eraseUpdate, profileUpdate } from '../../workflows/definitions';
import { AppError } from './errors';
import { type LoopSettings, updateCustomerLoop } from '../temporal/loop-client';
import type { TCustomerInput } from './schemas';

/** Long enough for a loop busy with a few transactions; Temporal unreachable answers 503 sooner. */
const PROFILE_DEADLINE_MS = 30_000;
/** An erasure stops every invitation workflow of the customer first. */
const ERASURE_DEADLINE_MS = 120_000;

/**
 * Stores a profile change for the customer's loop to read by its ID: the loop, and so Temporal,
 * never sees the email, name or attributes themselves.
 */
export async function recordProfileChange(db: Db, profile: CustomerProfile): Promise<ProfileChange> {
  const changeId = randomUUID();
  await c.profileChanges(db).insertOne({ _id: changeId, customerId: profile.id, profile, at: new Date() });
  return { changeId };
}

/**
 * Hands a profile change to the customer's loop and returns once the loop has written it: the
 * loop is the record's one writer, whichever web process is asked. An erased customer stays erased.
 * Answers the customer as stored.
 */
export async function updateCustomerProfile(
  db: Db,
  loop: LoopSettings,
  input: TCustomerInput,
  access: CustomerAccess = EVERY_CUSTOMER,
) {
  await ensureProfileInUnits(db, input, access);
  const change = await recordProfileChange(db, input);
  const outcome = await updateCustomerLoop<ProfileOutcome, [ProfileChange]>(
    loop,
    input.id,
    profileUpdate,
    [change],
    PROFILE_DEADLINE_MS,
  );
  if (outcome === 'erased') throw new AppError('gone', `customer ${input.id} was erased and cannot be recreated`);
  return findCustomer(db, input.id);
}

/** A caller limited to units changes only their customers, and cannot move one out of them. */
async function ensureProfileInUnits(db: Db, input: TCustomerInput, access: CustomerAccess): Promise<void> {
  if (access.unitScope.all) return;
  const stored = await findCustomer(db, input.id);
  if (stored) await ensureCustomerVisible(db, stored, access);
  // Attributes are merged into the stored ones (src/domain/customer.ts): the merge is where the customer lands.
  const attributes = { ...stored?.attributes, ...input.attributes };
  if (!inUnitScope(access.unitScope, unitPath(access.units, attributes))) throw new AppError('forbidden', OUT_OF_UNITS);
}

/**
 * Erases a customer's personal data through their loop (see eraseCustomerData) and records who
 * asked. Asking again is harmless: the summary then counts what was left to clear.
 */
export async function eraseCustomer(
  db: Db,
  loop: LoopSettings,
  customerId: string,
  actor: string,
  access: CustomerAccess = EVERY_CUSTOMER,
): Promise<ErasureSummary> {
  ensureWholeOrganisation(access, 'Erasing customers');
  if (!(await findCustomer(db, customerId))) throw new AppError('not-found', `no customer ${customerId}`);
  const summary = await updateCustomerLoop<ErasureSummary, []>(loop, customerId, eraseUpdate, [], ERASURE_DEADLINE_MS);
  await audit(db, { actor, action: 'customer.erase', subject: customerId, after: { ...summary } });
  return summary;
}

/**
 * Who asks for customers, and so which of them they see: the customers of their units (every one
 * for the whole organisation), and for a person also only what their role's view of personal data
 * shows (every customer, those of the cases in their case scope, or none).
 */
export interface CustomerAccess {
  /** Absent for an API key, which sees every customer of its units. */
  person?: { view: PersonalDataView; scope: CaseScope };
  units: readonly Unit[];
  unitScope: UnitScope;
}

/** The whole organisation, for callers that checked access otherwise. */
export const EVERY_CUSTOMER: CustomerAccess = { units: [], unitScope: EVERY_UNIT };

/** The customers a signed-in person sees: their role's view, their case scope and their units. */
export async function customerAccessOf(
  db: Db,
  user: Person,
): Promise<CustomerAccess & Required<Pick<CustomerAccess, 'person'>>> {
  const { scope, units, unitScope } = await caseAccessOf(db, user);
  return { person: { view: personalDataViewOf(user.role), scope }, units, unitScope };
}

/** The customers an API key sees: every one, or those of the units it was restricted to. */
export async function keyCustomerAccessOf(db: Db, key: { units?: readonly string[] }): Promise<CustomerAccess> {
  const { units, scope } = await keyUnitAccessOf(db, key);
  return { units, unitScope: scope };
}

/** Erasure, imports and the outbox reach customers of any unit: for callers of the whole organisation only. */
export function ensureWholeOrganisation(access: CustomerAccess, what: string): void {
  if (!access.unitScope.all)
    throw new AppError(
      'forbidden',
      `${what} reaches customers of every unit: it is for the whole organisation, not for a caller restricted to units.`,
    );
}

/** The access's units as a condition on customers (null: every unit). */
export const customersInUnits = (access: CustomerAccess) =>
  unitScopeCondition(access.units, access.unitScope, 'attributes.');

/** The customers a person limited to their case scope may open: those of their most recent cases. */
const SCOPED_CUSTOMERS = 1000;

/**
 * Which customers the person may see: every one (null), or the customers of the cases in their
 * scope (newest cases first, bounded like the queues).
 */
export async function visibleCustomerIds(db: Db, view: PersonalDataView, scope: CaseScope): Promise<string[] | null> {
  if (view.customers === 'all') return null;
  if (view.customers === 'none') return [];
  const cases = await c
    .cases(db)
    .find(mongoFilter({}, scope), { projection: { customerId: 1 } })
    .sort({ updatedAt: -1 })
    .limit(SCOPED_CUSTOMERS)
    .toArray();
  return [...new Set(cases.map((doc) => doc.customerId))];
}

/**
 * A customer outside the caller's units is refused (403); so is one a person's view does not
 * show: unless they see every customer, only with a case of theirs in scope.
 */
export async function ensureCustomerVisible(
  db: Db,
  customer: Pick<c.CustomerDoc, '_id' | 'attributes'>,
  access: CustomerAccess,
): Promise<void> {
  if (!inUnitScope(access.unitScope, unitPath(access.units, customer.attributes ?? {})))
    throw new AppError('forbidden', OUT_OF_UNITS);
  const view = access.person?.view.customers ?? 'all';
  if (view === 'all') return;
  const inScope =
    view === 'in-case-scope' &&
    (await c.cases(db).findOne(mongoFilter({ customerId: customer._id }, access.person!.scope), {
      projection: { _id: 1 },
    }));
  if (!inScope)
    throw new AppError(
      'forbidden',
      'You may open the customers of the cases of your teams (and of cases assigned to you); this customer has none.',
    );
}

/** How many of a customer's decisions, invitations and replies their page and the API show. */
const HISTORY_LIMIT = 100;

export interface CustomerDetail {
  customer: c.CustomerDoc;
  summary: { score: number; replies: number } | null;
  decisions: c.ContactDecisionDoc[];
  invitations: c.InvitationDoc[];
  responses: c.ResponseDoc[];
}

/**
 * A customer with their latest contact decisions, invitations, replies and summary scores, or
 * null when there is no such customer. A caller outside `access` is refused (after the customer
 * is found, so an unknown ID stays a not-found).
 */
export async function customerDetail(
  db: Db,
  customerId: string,
  access: CustomerAccess = EVERY_CUSTOMER,
): Promise<CustomerDetail | null> {
  const customer = await findCustomer(db, customerId);
  if (!customer) return null;
  await ensureCustomerVisible(db, customer, access);
  const [decisions, invitations, responses, summaries] = await Promise.all([
    c.contactDecisions(db).find({ customerId }).sort({ decidedAt: -1 }).limit(HISTORY_LIMIT).toArray(),
    c.invitations(db).find({ customerId }).sort({ createdAt: -1 }).limit(HISTORY_LIMIT).toArray(),
    c.responses(db).find({ customerId }).sort({ submittedAt: -1 }).limit(HISTORY_LIMIT).toArray(),
    c.summaryScores(db, [customerId]),
  ]);
  return { customer, summary: summaries.get(customerId) ?? null, decisions, invitations, responses };
}

/** A customer's admin page: their detail, each reply's answers labelled as the customer saw them. */
export async function customerPage(
  db: Db,
  customerId: string,
  access: CustomerAccess,
): Promise<(CustomerDetail & { replies: (c.ResponseDoc & { answerList: AnswerLine[] })[] }) | null> {
  const detail = await customerDetail(db, customerId, access);
  if (!detail) return null;
  const programIds = [...new Set(detail.responses.map((r) => r.programId))];
  const programs = await c
    .programs(db)
    .find({ _id: { $in: programIds } })
    .toArray();
  const programsById = new Map(programs.map((p) => [p._id, p]));
  const replies = detail.responses.map((r) => ({ ...r, answerList: answerList(r, programsById.get(r.programId)) }));
  return { ...detail, replies };
}

interface AnswerLine {
  question: string;
  value: string | number | boolean;
}

/** A reply's answers in the survey's question order, labelled as the customer saw them. */
function answerList(reply: c.ResponseDoc, program: c.ProgramDoc | undefined): AnswerLine[] {
  const questions = program?.survey.questions ?? [];
  const ordered = [
    ...questions.map((q) => q.id),
    ...Object.keys(reply.answers).filter((id) => !questions.some((q) => q.id === id)),
  ];
  return ordered
    .filter((id) => reply.answers[id] !== undefined)
    .map((id) => {
      const question = questions.find((q) => q.id === id);
      const value = reply.answers[id]!;
      return {
        question: question ? localize(question.label, program!.defaultLocale) : id,
        value: Array.isArray(value) ? value.join(', ') : value,
      };
    });
}

type Page = { limit: number; skip: number };

/** Customers in ID order, each with their consent: those of the caller's units. */
export async function listCustomers(db: Db, { limit, skip }: Page, access: CustomerAccess = EVERY_CUSTOMER) {
  const filter = customersInUnits(access) ?? {};
  return withConsentOf(db, await c.customers(db).find(filter).sort({ _id: 1 }).skip(skip).limit(limit).toArray());
}

/**
 * The customers page: the latest 100 customers the person may see, or the one whose ID or email
 * is `q`, each with their summary scores; `scoped` when the person sees only some customers.
 */
export async function searchCustomers(db: Db, q: string, access: CustomerAccess) {
  const visible = access.person ? await visibleCustomerIds(db, access.person.view, access.person.scope) : null;
  const inUnits = customersInUnits(access);
  const conditions: Filter<c.CustomerDoc>[] = [
    ...(q ? [{ $or: [{ _id: q }, { email: q.toLowerCase() }] }] : []),
    ...(visible ? [{ _id: { $in: visible } }] : []),
    ...(inUnits ? [inUnits as Filter<c.CustomerDoc>] : []),
  ];
  const filter = conditions.length ? { $and: conditions } : {};
  const list = await withConsentOf(db, await c.customers(db).find(filter).sort({ updatedAt: -1 }).limit(100).toArray());
  const scores = await c.summaryScores(
    db,
    list.map((cu) => cu._id),
  );
  return {
    scoped: visible !== null || inUnits !== null,
    customers: list.map((cu) => ({ ...cu, summary: scores.get(cu._id) })),
  };
}
