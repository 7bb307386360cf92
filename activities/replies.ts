import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { isDuplicateKeyError } from '../src/db/mongo';
import { rollupDay, rollupId, rollupIncrement, rollupSegments } from '../src/domain/rollup';
import { type ReplyScores, scoreReply } from '../src/domain/scoring';

export function createReplyActivities(db: Db) {
  return {
    /** The workflow has the reply: the sweep stops re-signalling it. */
    async acknowledgeReply({ invitationId }: { invitationId: string }): Promise<{ editableUntil: number }> {
      const now = new Date();
      await c.responses(db).updateOne(
        { _id: invitationId, acknowledgedAt: { $exists: false } },
        { $set: { acknowledgedAt: now } },
      );
      const reply = await c.responses(db).findOne({ _id: invitationId });
      if (!reply) throw ApplicationFailure.nonRetryable(`no reply stored for invitation ${invitationId}`);
      await c.invitations(db).updateOne(
        { _id: invitationId, status: { $ne: 'answered' } },
        { $set: { status: 'answered', answeredAt: reply.submittedAt, updatedAt: now } },
      );
      return { editableUntil: reply.editableUntil.getTime() };
    },

    /**
     * Once the reply can no longer be edited: closes it, scores it and counts it once in the
     * rollups and the customer's summary. A reply still editable (the customer came back) is
     * left open and its new deadline returned.
     */
    async finalizeReply({
      invitationId,
    }: {
      invitationId: string;
    }): Promise<{ final: true; scores: ReplyScores } | { final: false; editableUntil: number }> {
      const now = new Date();
      await c.responses(db).updateOne(
        { _id: invitationId, finalizedAt: { $exists: false }, editableUntil: { $lte: now } },
        { $set: { finalizedAt: now } },
      );
      const reply = await c.responses(db).findOne({ _id: invitationId });
      if (!reply) throw ApplicationFailure.nonRetryable(`no reply stored for invitation ${invitationId}`);
      if (!reply.finalizedAt) return { final: false, editableUntil: reply.editableUntil.getTime() };
      const [program, invitation] = await Promise.all([
        c.programs(db).findOne({ _id: reply.programId }),
        c.invitations(db).findOne({ _id: invitationId }),
      ]);
      if (!program || !invitation) throw ApplicationFailure.nonRetryable(`reply ${invitationId} lost its program or invitation`);

      const scores = scoreReply(program.survey, reply.answers, program.themes);
      await c.responses(db).updateOne({ _id: reply._id }, { $set: { scores } });
      await countInRollups(db, reply, scores, invitation.known);
      if (scores.summary !== null) {
        await c.customers(db).updateOne(
          { _id: reply.customerId, summarizedResponses: { $ne: reply._id } },
          { $inc: { 'summary.count': 1, 'summary.sum': scores.summary }, $addToSet: { summarizedResponses: reply._id } },
        );
      }
      return { final: true, scores };
    },
  };
}

/** `$inc` guarded by the reply's ID in the same document: a retry never counts twice. */
async function countInRollups(db: Db, reply: c.ResponseDoc, scores: ReplyScores, attributes: Record<string, unknown>) {
  const day = rollupDay(reply.submittedAt.getTime());
  const increment = rollupIncrement(scores);
  for (const segment of rollupSegments(attributes)) {
    try {
      await c.rollups(db).updateOne(
        { _id: rollupId(reply.programId, day, segment), replyIds: { $ne: reply._id } },
        {
          $inc: increment,
          $addToSet: { replyIds: reply._id },
          $setOnInsert: { programId: reply.programId, day, segment },
        },
        { upsert: true },
      );
    } catch (err) {
      // The document exists and already counts this reply, so the upsert collided on _id.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}
