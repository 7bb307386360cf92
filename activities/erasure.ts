import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { eraseJourneyStates } from '../src/db/journey-counters';
import { recordUnsubscribe } from '../src/db/customers';
import { insertOnce } from '../src/db/insert-once';
import { webhookIdsFor } from '../src/db/webhook-index';
import { caseContribution } from '../src/domain/case-metrics';
import type { ErasureSummary } from '../src/domain/customer';
import type { Answers } from '../src/domain/survey-schema';
import {
  caseWorkflowId,
  erasureWebhooksWorkflowId,
  invitationWorkflowId,
  loopTaskQueue,
} from '../workflows/definitions';
import { caseUnitPath, factsOf } from './case-metrics';
import { type SubmitScores, signalScoresOwner } from './replies';

/** What stands where erased free text was: the record shows that something was there. */
const ERASED = '[erased]';

/** Audit fields that describe the case's handling, not the customer: kept when a value is redacted. */
const HANDLING_FIELDS = new Set([
  'status',
  'priority',
  'ownerId',
  'teamId',
  'mayContact',
  'escalation',
  'firstResponse',
  'resolution',
  'rootCause',
]);

/** Numbers only: scores stay countable, anything a customer could have written goes. */
function withoutText(answers: Answers): Answers {
  return Object.fromEntries(Object.entries(answers).filter(([, answer]) => typeof answer === 'number'));
}

/** An audit entry's before/after with every value that could quote the customer replaced. */
function redactedFields(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return undefined;
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) =>
      HANDLING_FIELDS.has(key) || value === null || typeof value === 'number' || typeof value === 'boolean'
        ? [key, value]
        : [key, ERASED],
    ),
  );
}

export function createErasureActivities(db: Db, submitScores: SubmitScores = signalScoresOwner) {
  /**
   * Closes a case the erasure stopped: its workflow is terminated, so the erasure is the case's
   * one writer now. The closing entry has a fixed ID and the metrics count it under its sequence
   * number, so a retry neither adds a second entry nor counts the close twice.
   */
  async function closeStoppedCase(theCase: c.CaseDoc, unitPath: string[]): Promise<void> {
    if (theCase.status === 'closed') return;
    const last = await c.caseTimeline(db).find({ caseId: theCase._id }).sort({ seq: -1 }).limit(1).toArray();
    await insertOnce(c.caseTimeline(db), {
      _id: `${theCase._id}:erasure`,
      caseId: theCase._id,
      seq: (last[0]?.seq ?? 0) + 1,
      at: new Date(),
      actor: 'cxloop',
      kind: 'closed',
      summary: "Closed: the customer's personal data was erased",
    });
    const entry = (await c.caseTimeline(db).findOne({ _id: `${theCase._id}:erasure` }))!;
    const before = factsOf(theCase);
    const contribution = caseContribution(
      { id: theCase._id, programId: theCase.programId, customerId: theCase.customerId },
      entry.seq,
      entry.at.getTime(),
      { kind: 'closed', before, after: { ...before, status: 'closed' }, firstContact: false },
      unitPath,
    );
    if (contribution) await submitScores(contribution);
    await c
      .cases(db)
      .updateOne(
        { _id: theCase._id },
        { $set: { status: 'closed', closedAt: entry.at, updatedAt: entry.at, version: entry.seq } },
      );
    await c.openCases(db).deleteOne({ _id: c.openCaseKey(theCase.programId, theCase.customerId), caseId: theCase._id });
  }

  /**
   * Removes what staff wrote to or about the customer in a case: the message to them, the texts
   * of owners' actions, timeline notes and contact subjects, the values audit entries quote. Timeline and audit entries are
   * insert-only; their writer (the case workflow) is stopped by now.
   */
  async function redactCase(caseId: string): Promise<void> {
    await c.cases(db).updateOne({ _id: caseId }, { $unset: { customerMessage: '' } });
    await c.caseActionTexts(db).deleteMany({ caseId });
    await c.caseTimeline(db).updateMany({ caseId, note: { $exists: true } }, { $unset: { note: '' } });
    await c
      .caseTimeline(db)
      .updateMany({ caseId, kind: 'contact' }, { $set: { summary: `Emailed the customer: ${ERASED}` } });
    await redactAuditEntries(`case ${caseId}`);
  }

  /** Keeps who did what and when; replaces the values quoted. */
  async function redactAuditEntries(subject: string): Promise<void> {
    for (const entry of await c.auditLog(db).find({ subject }).toArray()) {
      const before = redactedFields(entry.before);
      const after = redactedFields(entry.after);
      await c
        .auditLog(db)
        .updateOne({ _id: entry._id }, { $set: { ...(before ? { before } : {}), ...(after ? { after } : {}) } });
    }
  }

  /**
   * The emails to or about the customer: their copies in the outbox go (owner notices name the
   * customer), and the sent-email log keeps kind, status and dates without address, subject or
   * SMTP failure text (which quotes the address). Returns how many outbox copies were removed.
   */
  async function eraseEmails(email: string | undefined, caseIds: string[], invitationIds: string[]): Promise<number> {
    const related = [
      ...(await c
        .emails(db)
        .find({ caseId: { $in: caseIds } })
        .toArray()),
      ...(await c
        .emails(db)
        .find({ invitationId: { $in: invitationIds } })
        .toArray()),
      ...(email ? await c.emails(db).find({ to: email }).toArray() : []),
    ];
    const { deletedCount: byMessageId } = await c
      .sinkMessages(db)
      .deleteMany({ _id: { $in: related.map((sent) => sent.messageId) } });
    const { deletedCount: byAddress } = email
      ? await c.sinkMessages(db).deleteMany({ to: { $regex: addressPattern(email), $options: 'i' } })
      : { deletedCount: 0 };
    await c
      .emails(db)
      .updateMany(
        { _id: { $in: related.map((sent) => sent._id) } },
        { $set: { subject: ERASED }, $unset: { failure: '' } },
      );
    if (email) await c.emails(db).updateMany({ to: email }, { $set: { to: '' } });
    return byMessageId + byAddress;
  }

  /** Tells the webhooks subscribed to `customer.erased`, in a workflow of its own that retries. */
  async function announceErasure(customerId: string): Promise<void> {
    if ((await webhookIdsFor(db, 'customer.erased')).length === 0) return;
    const { client, info } = Context.current();
    await client.workflow.start('erasureWebhooksWorkflow', {
      workflowId: erasureWebhooksWorkflowId(customerId),
      taskQueue: loopTaskQueue(info.taskQueue),
      args: [{ customerId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  return {
    /**
     * Erases a customer's personal data, run by their loop (the record's one writer). Their case
     * and invitation workflows are terminated first, so nothing writes to their cases,
     * invitations and replies afterwards, no email goes to or about them, and their survey links
     * take nothing more; rollups and case metrics keep their counts, which hold no personal data.
     * The record is marked `erasedAt` (and unsubscribed) first and becomes a stub last, so a retry
     * still has the address to find what is left. Idempotent: a retry or a second erasure finds
     * less to clear.
     */
    async eraseCustomerData({ customerId }: { customerId: string }): Promise<ErasureSummary> {
      const context = Context.current();
      const customer = await c.customers(db).findOne({ _id: customerId });
      const erasedAt = customer?.erasedAt ?? new Date();
      // Marked first: from here on survey links, events and profile updates find the customer erased.
      if (customer) await c.customers(db).updateOne({ _id: customerId }, { $set: { erasedAt } });
      await recordUnsubscribe(db, customerId);
      const cases = await c.cases(db).find({ customerId }).toArray();
      // Cases first: a case's follow-up survey is its child, which a terminated case takes along.
      for (const theCase of cases) {
        await terminate(context.client, caseWorkflowId(theCase._id));
        context.heartbeat();
      }
      const invitationIds = await invitationIdsOf(db, customerId);
      let invitationsCancelled = 0;
      for (const invitationId of invitationIds) {
        if (await terminate(context.client, invitationWorkflowId(invitationId))) invitationsCancelled++;
        context.heartbeat();
      }
      await c
        .invitations(db)
        .updateMany(
          { customerId, status: { $in: ['scheduled', 'sent', 'reminded'] } },
          { $set: { status: 'cancelled' } },
        );
      // Read before the invitations forget the attributes: the close counts in the case's units.
      const unitPaths = await Promise.all(cases.map((theCase) => caseUnitPath(db, theCase)));
      await c.invitations(db).updateMany({ customerId }, { $set: { email: '', known: {} } });

      for (const [i, theCase] of cases.entries()) {
        await closeStoppedCase(theCase, unitPaths[i]!);
        await redactCase(theCase._id);
        context.heartbeat();
      }

      let repliesCleared = 0;
      for (const reply of await c.responses(db).find({ customerId }).toArray()) {
        await c.responses(db).updateOne(
          { _id: reply._id },
          {
            $set: {
              answers: withoutText(reply.answers),
              ...(reply.scores ? { scores: { ...reply.scores, verbatim: '' } } : {}),
            },
          },
        );
        repliesCleared++;
        context.heartbeat();
      }

      const outboxEmailsRemoved = await eraseEmails(
        customer?.email || undefined,
        cases.map((theCase) => theCase._id),
        invitationIds,
      );
      const { modifiedCount: eventsCleared } = await c
        .events(db)
        .updateMany({ customerId }, { $set: { data: {} }, $unset: { customer: '' } });
      await c.customerScores(db).deleteOne({ _id: customerId });
      await eraseJourneyStates(db, customerId);
      // A change not yet applied: the loop finds it gone and moves on.
      await c.profileChanges(db).deleteMany({ customerId });
      // A refused import row may quote what the customer's row held.
      await c.importErrors(db).deleteMany({ customerId });
      await redactAuditEntries(customerId);
      await announceErasure(customerId);

      const now = new Date();
      await c.customers(db).replaceOne(
        { _id: customerId },
        {
          email: '',
          locale: customer?.locale ?? 'en',
          attributes: {},
          unsubscribed: true,
          erasedAt,
          createdAt: customer?.createdAt ?? now,
          updatedAt: now,
        },
        { upsert: true },
      );
      return { invitationsCancelled, repliesCleared, outboxEmailsRemoved, eventsCleared, casesRedacted: cases.length };
    },
  };
}

/** Every invitation of the customer: those their loop decided on, and the follow-ups their cases sent. */
async function invitationIdsOf(db: Db, customerId: string): Promise<string[]> {
  const [decisions, invitations] = await Promise.all([
    c
      .contactDecisions(db)
      .find({ customerId, invitationId: { $exists: true } }, { projection: { invitationId: 1 } })
      .toArray(),
    c
      .invitations(db)
      .find({ customerId }, { projection: { _id: 1 } })
      .toArray(),
  ]);
  return [...new Set([...decisions.map((d) => d.invitationId!), ...invitations.map((i) => i._id)])];
}

/** The address alone or as `Name <address>`, as the outbox stores the To header. */
function addressPattern(email: string): string {
  return `(^|<)${email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(>|$)`;
}

/** True when the workflow was still running and is now stopped. */
async function terminate(client: Client, workflowId: string): Promise<boolean> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return false;
    await handle.terminate('customer erased');
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}
