import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { audit } from '../db/audit';
import { findCustomer } from '../db/customers';
import * as c from '../db/collections';
import type { CustomerProfile, ErasureSummary, ProfileOutcome } from '../domain/customer';
import type { CaseScope } from '../domain/case-access';
import type { PersonalDataView } from '../domain/personal-data';
import { mongoFilter } from './cases';
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
 */
export async function updateCustomerProfile(db: Db, loop: LoopSettings, input: TCustomerInput): Promise<void> {
  const change = await recordProfileChange(db, input);
  const outcome = await updateCustomerLoop<ProfileOutcome, [ProfileChange]>(
    loop,
    input.id,
    profileUpdate,
    [change],
    PROFILE_DEADLINE_MS,
  );
  if (outcome === 'erased') throw new AppError('gone', `customer ${input.id} was erased and cannot be recreated`);
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
): Promise<ErasureSummary> {
  if (!(await findCustomer(db, customerId))) throw new AppError('not-found', `no customer ${customerId}`);
  const summary = await updateCustomerLoop<ErasureSummary, []>(loop, customerId, eraseUpdate, [], ERASURE_DEADLINE_MS);
  await audit(db, { actor, action: 'customer.erase', subject: customerId, after: { ...summary } });
  return summary;
}

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

/** A customer's page is refused (403) unless the person sees every customer or has a case of theirs in scope. */
export async function ensureCustomerVisible(
  db: Db,
  customerId: string,
  view: PersonalDataView,
  scope: CaseScope,
): Promise<void> {
  if (view.customers === 'all') return;
  const inScope =
    view.customers === 'in-case-scope' &&
    (await c.cases(db).findOne(mongoFilter({ customerId }, scope), { projection: { _id: 1 } }));
  if (!inScope)
    throw new AppError(
      'forbidden',
      'You may open the customers of the cases of your teams (and of cases assigned to you); this customer has none.',
    );
}
