import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { KeyedMutex } from '../src/db/keyed-mutex';
import { insertOnce, isDuplicateKeyError } from '../src/db/mongo';
import { rollupDay, rollupId, rollupIncrement, rollupSegments } from '../src/domain/rollup';
import { type ReplyScores, scoreReply } from '../src/domain/scoring';

export function createReplyActivities(db: Db, locks = new KeyedMutex()) {
  return {
    /** The workflow has the reply: the sweep stops re-signalling it. */
    async acknowledgeReply({ invitationId }: { invitationId: string }): Promise<{ editableUntil: number }> {
      const now = new Date();
      await insertOnce(c.replyAcks(db), { _id: invitationId, at: now });
      const reply = await c.responses(db).findOne({ _id: invitationId });
      if (!reply) throw ApplicationFailure.nonRetryable(`no reply stored for invitation ${invitationId}`);
      // Its invitation workflow is the invitation's only writer: read, then write by `_id` alone
      // (the one filter FerretDB v1 answers from an index).
      const invitation = await c.invitations(db).findOne({ _id: invitationId }, { projection: { status: 1 } });
      if (invitation?.status !== 'answered')
        await c
          .invitations(db)
          .updateOne(
            { _id: invitationId },
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
      await c
        .responses(db)
        .updateOne(
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
      if (!program || !invitation)
        throw ApplicationFailure.nonRetryable(`reply ${invitationId} lost its program or invitation`);

      const scores = scoreReply(program.survey, reply.answers, program.themes);
      await c.responses(db).updateOne({ _id: reply._id }, { $set: { scores } });
      await countInRollups(db, locks, reply, scores, invitation.known);
      if (scores.summary !== null) await countInCustomerScore(db, locks, reply, scores.summary);
      return { final: true, scores };
    },
  };
}

/** `$inc` guarded by the reply's ID in the same document: a retry never counts twice. */
async function countOnce(
  db: Db,
  collection: 'rollups' | 'customer_scores',
  id: string,
  replyId: string,
  increment: Record<string, number>,
  onInsert: Record<string, unknown>,
) {
  const documents = db.collection<{ _id: string }>(collection);
  const filter = { _id: id, replyIds: { $ne: replyId } };
  const update = { $inc: increment, $addToSet: { replyIds: replyId } };
  try {
    await documents.updateOne(filter, { ...update, $setOnInsert: onInsert }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // The document exists: it either counts this reply already (no match, nothing to do) or
    // another writer created it meanwhile (a match, counted now).
    await documents.updateOne(filter, update);
  }
}

async function countInRollups(
  db: Db,
  locks: KeyedMutex,
  reply: c.ResponseDoc,
  scores: ReplyScores,
  attributes: Record<string, unknown>,
) {
  const day = rollupDay(reply.submittedAt.getTime());
  const increment = rollupIncrement(scores);
  for (const segment of rollupSegments(attributes)) {
    const id = rollupId(reply.programId, day, segment);
    await locks.run(id, () =>
      countOnce(db, 'rollups', id, reply._id, increment, { programId: reply.programId, day, segment }),
    );
  }
}

/** The customer's summary score is sum / count over their scored replies. */
async function countInCustomerScore(db: Db, locks: KeyedMutex, reply: c.ResponseDoc, summary: number) {
  const id = reply.customerId;
  await locks.run(`customer_scores:${id}`, () =>
    countOnce(db, 'customer_scores', id, reply._id, { count: 1, sum: summary }, {}),
  );
}
