import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { findCustomer } from '../src/db/customers';
import { insertOnce, isDuplicateKeyError } from '../src/db/insert-once';
import { cachedProgram } from '../src/db/programs';
import { followUpVerdict } from '../src/domain/cases';
import { followUpEventId, followUpProgram } from '../src/domain/follow-up-program';
import { type SurveyInvitationInput, invitationIdFor } from '../workflows/definitions';

/** Whether the follow-up reply closes or reopens the case; `answers` and `csat` in results of older histories. */
export interface FollowUpOutcome {
  verdict?: 'close' | 'reopen';
  answers?: Record<string, unknown>;
  csat?: number | null;
}

/** The "Is your problem solved?" survey after each resolution, which closes or reopens the case. */
export function createFollowUpActivities(db: Db) {
  return {
    /**
     * Prepares the follow-up survey of a resolution round: the follow-up program (created on first
     * use) and the event the invitation refers to. Null when the customer may not be surveyed.
     */
    async prepareFollowUp({
      caseId,
      round,
      programId,
      ...known
    }: {
      caseId: string;
      round: number;
      programId: string;
      /** What the workflow knows of the case (absent in older histories: read from the case). */
      customerId?: string;
      mayContact?: boolean;
      rootCause?: string;
    }): Promise<SurveyInvitationInput | null> {
      const doc = await caseFacts(db, caseId, known);
      if (!doc.mayContact) return null;
      const customer = await findCustomer(db, doc.customerId);
      if (!customer || customer.unsubscribed) return null;
      const now = new Date();
      if (programId === followUpProgram.id)
        await c
          .programs(db)
          .updateOne(
            { _id: followUpProgram.id },
            { $setOnInsert: { ...followUpProgram, createdAt: now, updatedAt: now } },
            { upsert: true },
          )
          .catch((err: unknown) => {
            if (!isDuplicateKeyError(err)) throw err;
          });
      const program = await cachedProgram(db, programId);
      if (!program) throw ApplicationFailure.nonRetryable(`the follow-up program ${programId} does not exist`);
      const eventId = followUpEventId(round, caseId);
      // Marked processed: no customer loop decides on it, the case workflow sends the survey itself.
      await insertOnce(c.events(db), {
        _id: eventId,
        type: 'case.resolved',
        occurredAt: now,
        customerId: doc.customerId,
        data: { caseId, rootCause: doc.rootCause },
        receivedAt: now,
        processedAt: now,
      });
      return {
        invitationId: invitationIdFor(program._id, eventId),
        programId: program._id,
        customerId: doc.customerId,
        eventId,
        sendAt: now.getTime(),
        reminders: program.reminders,
        expiresAfter: program.expiresAfter,
        editGrace: program.survey.editGrace,
      };
    },

    /** Whether the follow-up reply closes or reopens the case (its answers stay in MongoDB), or null without a reply. */
    async followUpAnswer({ invitationId }: { invitationId: string }): Promise<FollowUpOutcome | null> {
      const reply = await c.responses(db).findOne({ _id: invitationId });
      return reply ? { verdict: followUpVerdict(reply.answers, reply.scores?.csat) } : null;
    },

    /**
     * A follow-up survey made moot (the owner reopened the case): its link stops taking answers.
     * Its invitation workflow, the status's other writer, has ended (cancelled) by now: so the
     * status is read, then written, by `_id` alone (the filter FerretDB v1 answers from its index).
     */
    async withdrawFollowUp({ invitationId }: { invitationId: string }): Promise<void> {
      const invitation = await c.invitations(db).findOne({ _id: invitationId }, { projection: { status: 1 } });
      if (invitation && STILL_OPEN.includes(invitation.status))
        await c
          .invitations(db)
          .updateOne({ _id: invitationId }, { $set: { status: 'cancelled', updatedAt: new Date() } });
    },
  };
}

/** The case's facts a follow-up needs: as the workflow passed them, or read from the case. */
async function caseFacts(
  db: Db,
  caseId: string,
  known: { customerId?: string; mayContact?: boolean; rootCause?: string },
): Promise<Pick<c.CaseDoc, 'customerId' | 'mayContact' | 'rootCause'>> {
  if (known.customerId !== undefined && known.mayContact !== undefined)
    return { customerId: known.customerId, mayContact: known.mayContact, rootCause: known.rootCause };
  const doc = await c.cases(db).findOne({ _id: caseId });
  if (!doc) throw ApplicationFailure.nonRetryable(`no case ${caseId}`);
  return doc;
}

/** Statuses in which a follow-up survey still takes answers. */
const STILL_OPEN: c.InvitationStatus[] = ['scheduled', 'sent', 'reminded'];
