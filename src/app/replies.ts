import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { findCustomer, isErased } from '../db/customers';
import { type InvitationProgram, programOfInvitation } from '../db/programs';
import { isDuplicateKeyError } from '../db/insert-once';
import { hashSurveyToken, isWellFormedToken } from '../db/survey-tokens';
import { durationMs } from '../domain/duration';
import type { Answers } from '../domain/survey-schema';
import { type LoopSettings, signalReply } from '../temporal/loop-client';
import { type CustomerAccess, EVERY_CUSTOMER, ensureCustomerVisible } from './customers';
import { AppError } from './errors';

export type SurveyState =
  | { kind: 'unknown' }
  | { kind: 'erased' }
  | { kind: 'not-open'; invitation: c.InvitationDoc }
  | { kind: 'expired'; invitation: c.InvitationDoc; program: InvitationProgram }
  | { kind: 'closed'; invitation: c.InvitationDoc; program: InvitationProgram; reply: c.ResponseDoc }
  | {
      kind: 'open';
      token: string;
      invitation: c.InvitationDoc;
      program: InvitationProgram;
      reply?: c.ResponseDoc;
      /** The reply was not read (see `firstAnswer`): none is known, but one may be stored. */
      replyUnread?: true;
    };

// 'scheduled' too: the email can arrive a moment before its status is recorded as sent.
const OPEN_STATUSES: c.InvitationStatus[] = ['scheduled', 'sent', 'reminded', 'answered'];
/** Statuses of an invitation whose workflow has not acknowledged a reply: most often none is stored. */
const UNANSWERED_STATUSES: c.InvitationStatus[] = ['scheduled', 'sent', 'reminded'];

/**
 * Where a survey link stands: answerable, editable, answered for good, expired, erased or unknown.
 * With `firstAnswer` (a form posted), an open invitation not yet answered is returned without
 * reading its reply (`replyUnread`): the reply's insert tells whether one was stored after all.
 */
export async function surveyState(
  db: Db,
  token: string,
  now = new Date(),
  { firstAnswer = false } = {},
): Promise<SurveyState> {
  const invitation = await invitationByToken(db, token);
  if (!invitation) return { kind: 'unknown' };
  const findReply = () => c.responses(db).findOne({ _id: invitation._id });
  const unread = firstAnswer && UNANSWERED_STATUSES.includes(invitation.status);
  // Side by side: nothing more is shown or stored for an erased customer, whatever the link's own state.
  const [erased, program, read] = await Promise.all([
    isErased(db, invitation.customerId),
    programOfInvitation(db, invitation),
    unread ? undefined : findReply(),
  ]);
  if (erased) return { kind: 'erased' };
  if (!program) return { kind: 'unknown' };
  const expired = invitation.status === 'expired' || Boolean(invitation.expiresAt && invitation.expiresAt <= now);
  // Read after all where it decides: a reply stored before the invitation expired keeps its link.
  const reply = read === undefined && expired ? await findReply() : read;
  if (reply) {
    const editable = !reply.finalizedAt && reply.editableUntil > now;
    return editable
      ? { kind: 'open', token, invitation, program, reply }
      : { kind: 'closed', invitation, program, reply };
  }
  if (expired) return { kind: 'expired', invitation, program };
  if (!OPEN_STATUSES.includes(invitation.status)) return { kind: 'not-open', invitation };
  return { kind: 'open', token, invitation, program, ...(reply === undefined ? { replyUnread: true as const } : {}) };
}

/**
 * The invitation a survey or unsubscribe link belongs to, looked up by the token's hash; an
 * invitation created before `survey_tokens` existed is found by its own `tokenHash`.
 */
export async function invitationByToken(db: Db, token: string): Promise<c.InvitationDoc | null> {
  if (!isWellFormedToken(token)) return null;
  const tokenHash = hashSurveyToken(token);
  const entry = await c.surveyTokens(db).findOne({ _id: tokenHash });
  if (entry) return c.invitations(db).findOne({ _id: entry.invitationId });
  return c.invitations(db).findOne({ tokenHash });
}

export type SaveOutcome = 'created' | 'edited' | 'closed';

/**
 * What a submission did, with the deadline it wrote when it stored the answers; `unread`: a reply
 * was stored already, which the state the answers were checked against had not read (nothing written).
 */
export type Saved =
  { outcome: 'closed' } | { outcome: 'unread' } | { outcome: 'created' | 'edited'; editableUntil: Date };

/**
 * A complete reply stays editable for the survey's grace period from its first submission; a
 * partial one (follow-up questions still to come) stays open for the follow-up window.
 */
export function editableUntil(survey: c.ProgramDoc['survey'], submittedAt: Date, now: Date, complete: boolean): Date {
  if (!complete)
    return new Date(now.getTime() + Math.max(durationMs(survey.editGrace), durationMs(survey.followUpWindow)));
  return new Date(Math.max(submittedAt.getTime() + durationMs(survey.editGrace), now.getTime()));
}

/**
 * Stores the reply in MongoDB (once per invitation); a later submission edits it while it is
 * editable. With the deadline it wrote, so the thanks page need not read the reply back. With
 * `replyUnread`, a reply found stored is left as it is (`unread`): the answers were checked
 * against none.
 */
export async function saveReply(
  db: Db,
  invitation: c.InvitationDoc,
  program: InvitationProgram,
  answers: Answers,
  complete: boolean,
  now = new Date(),
  replyUnread = false,
): Promise<Saved> {
  const created = editableUntil(program.survey, now, now, complete);
  try {
    await c.responses(db).insertOne({
      _id: invitation._id,
      invitationId: invitation._id,
      programId: invitation.programId,
      customerId: invitation.customerId,
      answers,
      submittedAt: now,
      updatedAt: now,
      editableUntil: created,
      edits: 0,
    });
    return { outcome: 'created', editableUntil: created };
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  if (replyUnread) return { outcome: 'unread' };
  const current = await c.responses(db).findOne({ _id: invitation._id }, { projection: { submittedAt: 1 } });
  const edited = editableUntil(program.survey, current!.submittedAt, now, complete);
  const result = await c
    .responses(db)
    .updateOne(
      { _id: invitation._id, finalizedAt: { $exists: false }, editableUntil: { $gt: now } },
      { $set: { answers, updatedAt: now, editableUntil: edited }, $inc: { edits: 1 } },
    );
  return result.matchedCount === 1 ? { outcome: 'edited', editableUntil: edited } : { outcome: 'closed' };
}

/**
 * Stores a customer's reply, then tells its invitation's workflow without waiting for Temporal: the
 * reply is safe in MongoDB once stored, and a signal that fails or never leaves (the process
 * stops) is the sweep's to repeat, as it repeats every reply its workflow has not acknowledged. A
 * workflow that has ended by then (the invitation expired meanwhile) is left to the sweep, which
 * records the stored reply.
 */
export async function submitReply(
  db: Db,
  loop: LoopSettings,
  state: Extract<SurveyState, { kind: 'open' }>,
  answers: Answers,
  complete: boolean,
): Promise<Saved> {
  const saved = await saveReply(db, state.invitation, state.program, answers, complete, new Date(), state.replyUnread);
  if (saved.outcome === 'created' || saved.outcome === 'edited') void tellWorkflow(loop, state.invitation._id);
  return saved;
}

async function tellWorkflow(loop: LoopSettings, invitationId: string): Promise<void> {
  try {
    await signalReply(loop.temporal, invitationId, loop.log);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      loop.log(`reply ${invitationId} stored after its workflow ended; the sweep will record it`);
    else
      loop.log(
        `reply ${invitationId} stored; telling its workflow failed, the sweep will retry: ${(err as Error).message}`,
      );
  }
}

type Page = { limit: number; skip: number };

/**
 * Invitations and replies do not carry their customer's attributes, so a caller limited to units
 * lists them one customer of its units at a time: one lookup, where filtering pages by customer
 * would make a page's length and offset depend on the units. The replies export filters instead.
 */
async function ensureListable(db: Db, customerId: string | undefined, access: CustomerAccess): Promise<void> {
  if (access.unitScope.all) return;
  if (customerId === undefined)
    throw new AppError(
      'forbidden',
      'restricted to units: name one of their customers (customerId), or download the replies of the units with /api/export/replies.csv',
    );
  const customer = await findCustomer(db, customerId);
  if (customer) await ensureCustomerVisible(db, customer, access);
}

/** Invitations, newest first, of one customer or of all (of the caller's units). */
export async function listInvitations(
  db: Db,
  filter: { customerId?: string },
  { limit, skip }: Page,
  access: CustomerAccess = EVERY_CUSTOMER,
) {
  await ensureListable(db, filter.customerId, access);
  return c.invitations(db).find(filter).sort({ createdAt: -1 }).skip(skip).limit(limit).toArray();
}

/** Replies, newest first, of one customer or program or of all (of the caller's units). */
export async function listReplies(
  db: Db,
  filter: { customerId?: string; programId?: string },
  { limit, skip }: Page,
  access: CustomerAccess = EVERY_CUSTOMER,
) {
  await ensureListable(db, filter.customerId, access);
  return c.responses(db).find(filter).sort({ submittedAt: -1 }).skip(skip).limit(limit).toArray();
}
