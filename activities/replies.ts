import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { programOfInvitation } from '../src/db/programs';
import { insertOnce } from '../src/db/mongo';
import { copyRollupTotals } from '../src/db/rollup-totals';
import {
  type FoldedChange,
  type ScoreContribution,
  foldContributions,
  latestExamples,
  scoreContribution,
  touchedBy,
} from '../src/domain/rollup';
import { type ReplyScores, scoreReply } from '../src/domain/scoring';
import { CASE_METRICS_SINCE, isCaseChange } from '../src/domain/case-metrics';
import { submitToScoresOwner } from '../src/temporal/scores-owner';

/** Hands a contribution to the scores' owner, starting it if it is not running. */
export type SubmitScores = (contribution: ScoreContribution) => Promise<void>;

/** From inside an activity: the owner of the worker's own task queue, through the worker's client. */
export const signalScoresOwner: SubmitScores = (contribution) => {
  const { client, info } = Context.current();
  return submitToScoresOwner(client, info.taskQueue, contribution);
};

export function createReplyActivities(db: Db, submitScores: SubmitScores = signalScoresOwner) {
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
     * Once the reply can no longer be edited: closes it, scores it and hands its contribution to
     * the rollups' and customer scores' owner (a retry hands it again; the owner counts it once).
     * A reply still editable (the customer came back) is left open and its new deadline returned.
     */
    async finalizeReply({
      invitationId,
    }: {
      invitationId: string;
    }): Promise<{ final: true } | { final: false; editableUntil: number }> {
      const now = new Date();
      const stored = await c.responses(db).findOne({ _id: invitationId });
      if (!stored) throw ApplicationFailure.nonRetryable(`no reply stored for invitation ${invitationId}`);
      if (!stored.finalizedAt && stored.editableUntil > now)
        return { final: false, editableUntil: stored.editableUntil.getTime() };
      // Written by `_id` alone (the only filter FerretDB v1 answers from its index): the edit window
      // has passed, so the customer's edits, which end with it, no longer write this reply.
      if (!stored.finalizedAt) await c.responses(db).updateOne({ _id: invitationId }, { $set: { finalizedAt: now } });
      const reply = { ...stored, finalizedAt: stored.finalizedAt ?? now };
      const invitation = await c.invitations(db).findOne({ _id: invitationId });
      const program = invitation && (await programOfInvitation(db, invitation));
      if (!program || !invitation)
        throw ApplicationFailure.nonRetryable(`reply ${invitationId} lost its program or invitation`);

      const scores = scoreReply(program.survey, reply.answers, program.themes);
      await c.responses(db).updateOne({ _id: reply._id }, { $set: { scores } });
      await recordJourneyStep(db, program, invitation, reply, scores);
      await submitScores(
        scoreContribution(
          {
            id: reply._id,
            programId: reply.programId,
            customerId: reply.customerId,
            submittedAt: reply.submittedAt.getTime(),
          },
          scores,
          invitation.known,
        ),
      );
      // Not the scores: they hold the verbatim, which stays in MongoDB.
      return { final: true };
    },

    /**
     * The scores' owner's one write path (see scoresWorkflow): reads each document the batch
     * touches, then adds what it does not count yet. Only that workflow calls it, one call at a
     * time, so the read and the write cannot interleave with another writer's.
     */
    async applyScores({ batch }: { batch: ScoreContribution[] }): Promise<{ counted: number }> {
      const touched = touchedBy(batch);
      const [rollups, customerScores] = await Promise.all([
        countingDocs(db, 'rollups', touched.rollups),
        countingDocs(db, 'customer_scores', touched.customerScores),
      ]);
      const changes = foldContributions(batch, {
        rollups: repliesOf(rollups),
        customerScores: repliesOf(customerScores),
      });
      await Promise.all([
        ...changes.rollups.map((change) => applyChange(db, 'rollups', change, rollups.get(change.id)?.examples)),
        ...changes.customerScores.map((change) => applyChange(db, 'customer_scores', change)),
      ]);
      // Every touched rollup, changed or not: a retry after a failure between the two writes copies it then.
      await copyRollupTotals(db, touched.rollups);
      await noteFirstCaseDay(db, batch);
      return { counted: new Set(changes.rollups.flatMap((change) => change.replyIds)).size };
    },
  };
}

/** A scored reply to a journey's program, at the touch point its event was (insert-only, once per reply). */
async function recordJourneyStep(
  db: Db,
  program: { _id: string; journey?: { touchPoints: string[] } },
  invitation: c.InvitationDoc,
  reply: c.ResponseDoc,
  scores: ReplyScores,
): Promise<void> {
  if (!program.journey || scores.summary === null) return;
  const event = await c.events(db).findOne({ _id: invitation.eventId }, { projection: { type: 1 } });
  const step = event ? program.journey.touchPoints.indexOf(event.type) : -1;
  if (step < 0) return;
  await insertOnce(c.journeyReplies(db), {
    _id: reply._id,
    programId: program._id,
    customerId: reply.customerId,
    step,
    touchPoint: event!.type,
    score: scores.summary,
    at: reply.submittedAt,
  });
}

/**
 * The day of the earliest case change counted (settings `case-metrics-since`): the case backlog
 * is summed over every month from then. Only the scores' owner writes it.
 */
async function noteFirstCaseDay(db: Db, batch: ScoreContribution[]): Promise<void> {
  const days = batch.filter((item) => isCaseChange(item.replyId)).map((item) => item.day);
  if (!days.length) return;
  const first = days.reduce((a, b) => (a < b ? a : b));
  const noted = await c.settings(db).findOne({ _id: CASE_METRICS_SINCE });
  if (!noted || first < noted.value)
    await c.settings(db).updateOne({ _id: CASE_METRICS_SINCE }, { $set: { value: first } }, { upsert: true });
}

/** The collections the scores' owner writes: each document counts replies and lists them. */
type Counting = 'rollups' | 'customer_scores';
interface CountingDoc {
  _id: string;
  replyIds: string[];
  examples?: Record<string, string[]>;
}
const counting = (db: Db, name: Counting) => db.collection<CountingDoc>(name);

/** The documents' reply lists and examples; looked up one `_id` at a time, the filter FerretDB v1 indexes. */
async function countingDocs(db: Db, name: Counting, ids: string[]): Promise<Map<string, CountingDoc>> {
  const docs = await Promise.all(
    ids.map((id) => counting(db, name).findOne({ _id: id }, { projection: { replyIds: 1, examples: 1 } })),
  );
  return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
}

const repliesOf = (docs: Map<string, CountingDoc>) =>
  new Map([...docs].map(([id, doc]) => [id, new Set(doc.replyIds)]));

/**
 * One write per document: the increments, the replies they count and the theme examples, together.
 * Examples are replaced whole (the owner read them just before; it is their only writer).
 */
async function applyChange(db: Db, name: Counting, change: FoldedChange, keptExamples: CountingDoc['examples'] = {}) {
  const examples = Object.entries(change.examples).map(([theme, added]) => [
    `examples.${theme}`,
    latestExamples(keptExamples[theme], added),
  ]);
  await counting(db, name).updateOne(
    { _id: change.id },
    {
      $inc: change.increment,
      $addToSet: { replyIds: { $each: change.replyIds } },
      ...(examples.length ? { $set: Object.fromEntries(examples) } : {}),
      ...(Object.keys(change.fields).length ? { $setOnInsert: change.fields } : {}),
    },
    { upsert: true },
  );
}
