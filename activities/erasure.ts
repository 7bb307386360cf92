import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { recordUnsubscribe } from '../src/db/customers';
import type { ErasureSummary } from '../src/domain/customer';
import type { Answers } from '../src/domain/survey';
import { invitationWorkflowId } from '../workflows/definitions';

/** Numbers only: scores stay countable, anything a customer could have written goes. */
function withoutText(answers: Answers): Answers {
  return Object.fromEntries(Object.entries(answers).filter(([, answer]) => typeof answer === 'number'));
}

export function createErasureActivities(db: Db) {
  return {
    /**
     * Erases a customer's personal data, run by their loop (the record's one writer). Their
     * invitation workflows are terminated first, so nothing writes to their invitations and replies
     * afterwards; rollups keep the scores, which hold no personal data. The record becomes a stub
     * with `erasedAt` (and an unsubscribe), written last so a retry finds everything still to do.
     * Idempotent: a retry or a second erasure finds less and less to clear.
     */
    async eraseCustomerData({ customerId }: { customerId: string }): Promise<ErasureSummary> {
      const context = Context.current();
      const customer = await c.customers(db).findOne({ _id: customerId });
      const decisions = await c
        .contactDecisions(db)
        .find({ customerId, invitationId: { $exists: true } }, { projection: { invitationId: 1 } })
        .toArray();
      let invitationsCancelled = 0;
      for (const { invitationId } of decisions) {
        if (await terminateInvitation(context.client, invitationId!)) invitationsCancelled++;
        context.heartbeat();
      }
      await c
        .invitations(db)
        .updateMany(
          { customerId, status: { $in: ['scheduled', 'sent', 'reminded'] } },
          { $set: { status: 'cancelled' } },
        );
      await c.invitations(db).updateMany({ customerId }, { $set: { email: '', known: {} } });

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

      const outboxEmailsRemoved = customer?.email
        ? (await c.sinkMessages(db).deleteMany({ to: { $regex: addressPattern(customer.email), $options: 'i' } }))
            .deletedCount
        : 0;
      if (customer?.email) await c.emails(db).updateMany({ to: customer.email }, { $set: { to: '' } });
      const { modifiedCount: eventsCleared } = await c
        .events(db)
        .updateMany({ customerId }, { $set: { data: {} }, $unset: { customer: '' } });
      await c.customerScores(db).deleteOne({ _id: customerId });
      await recordUnsubscribe(db, customerId);

      const now = new Date();
      await c.customers(db).replaceOne(
        { _id: customerId },
        {
          email: '',
          locale: customer?.locale ?? 'en',
          attributes: {},
          unsubscribed: true,
          erasedAt: customer?.erasedAt ?? now,
          createdAt: customer?.createdAt ?? now,
          updatedAt: now,
        },
        { upsert: true },
      );
      return { invitationsCancelled, repliesCleared, outboxEmailsRemoved, eventsCleared };
    },
  };
}

/** The address alone or as `Name <address>`, as the outbox stores the To header. */
function addressPattern(email: string): string {
  return `(^|<)${email.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(>|$)`;
}

/** True when the invitation's workflow was still running and is now stopped. */
async function terminateInvitation(
  client: ReturnType<typeof Context.current>['client'],
  invitationId: string,
): Promise<boolean> {
  const handle = client.workflow.getHandle(invitationWorkflowId(invitationId));
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
