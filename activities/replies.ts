import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db, UpdateFilter } from 'mongodb';
import * as c from '../src/db/collections';
import { programOfInvitation } from '../src/db/programs';
import { insertOnce } from '../src/db/insert-once';
import { type CountedKey, type Counting, type ScoresBatch, claimKeys, markBatchApplied } from '../src/db/counted-keys';
import { ROLLUP_AFTER_WRITE, copyRollupTotals } from '../src/db/rollup-totals';
import { applyJourneyFacts, journeyFactsOf } from '../src/db/journey-counters';
import { cachedUnits } from '../src/db/units';
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
import { unitPath } from '../src/domain/units';
import { submitToScoresOwner } from '../src/temporal/scores-owner';
import { loopTaskQueue } from '../workflows/definitions';
import { whileBeating } from './heartbeat';
import type { SendPraise } from './praise';
import type { CaseDecision, DecideCase } from './cases';
import { isPraise } from '../src/domain/frontline';

/** Hands a contribution to the scores' owner, starting it if it is not running. */
export type SubmitScores = (contribution: ScoreContribution) => Promise<void>;

/**
 * From inside an activity: the owner of the worker's main task queue, through the worker's client
 * (an activity on the fan-out queue must not start a second owner of the same rollups).
 */
export const signalScoresOwner: SubmitScores = (contribution) => {
  const { client, info } = Context.current();
  return submitToScoresOwner(client, loopTaskQueue(info.taskQueue), contribution);
};

/**
 * What a lean invitation (workflows/survey-invitation.ts) asks finalizing to do besides: decide the
 * reply's case in the same step, and leave the praise emails to a regular activity (sendReplyPraise).
 */
export interface FinalizeOptions {
  decideCase?: boolean;
  praiseApart?: boolean;
}

/**
 * A final reply. `case`: the case decision, when asked for; `praiseLocale`: when asked to leave the
 * praise apart and the reply may praise someone, the language to tell them in.
 */
export type Finalized = { final: true; case?: CaseDecision; praiseLocale?: string };

/**
 * `sendPraise`: passes a scored promoter's praise on to the people it names (activities/praise.ts);
 * `decideCase`: the case decision finalizeReply makes when asked to (activities/cases.ts).
 */
export function createReplyActivities(
  db: Db,
  submitScores: SubmitScores = signalScoresOwner,
  sendPraise: SendPraise = async () => 0,
  decideCase?: DecideCase,
) {
  /**
   * Closes the reply, scores it and hands its contribution to the rollups' and customer scores'
   * owner (a retry or a re-run hands it again; the owner counts it once).
   */
  async function finalize(
    stored: c.ResponseDoc,
    now: Date,
    options: FinalizeOptions,
    invitationRead?: c.InvitationDoc | null,
  ): Promise<Finalized> {
    const reply = { ...stored, finalizedAt: stored.finalizedAt ?? now };
    const invitation = invitationRead ?? (await c.invitations(db).findOne({ _id: reply._id }));
    const program = invitation && (await programOfInvitation(db, invitation));
    if (!program || !invitation)
      throw ApplicationFailure.nonRetryable(`reply ${reply._id} lost its program or invitation`);

    const scores = scoreReply(program.survey, reply.answers, program.themes);
    // Closed and scored in one write by `_id` alone (the only filter FerretDB v1 answers from its
    // index): the edit window has passed, so the customer's edits, which end with it, no longer
    // write this reply.
    // With who served the customer, so that their own page quotes only their replies.
    const agent = invitation.agent ? { agent: invitation.agent } : {};
    await c.responses(db).updateOne({ _id: reply._id }, { $set: { scores, finalizedAt: reply.finalizedAt, ...agent } });
    await recordJourneyStep(db, program, invitation, reply, scores);
    // The units of the customer as its invitation knows it, at scoring time: the reply stays in them.
    const units = await cachedUnits(db);
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
        unitPath(units, invitation.known),
      ),
    );
    // Not the scores in the result: they hold the verbatim, which stays in MongoDB.
    const decided =
      options.decideCase && decideCase
        ? { case: await decideCase({ invitationId: reply._id, reply: { ...reply, scores } }) }
        : {};
    if (options.praiseApart)
      return { final: true, ...decided, ...(mayPraise(scores) ? { praiseLocale: program.defaultLocale } : {}) };
    // Counted first: a praise email that fails transiently retries this activity, which counts once.
    await sendPraise({ id: reply._id, scores, locale: program.defaultLocale });
    return { final: true, ...decided };
  }

  /** The stored reply, which the invitation's workflow was signalled about. */
  async function storedReply(invitationId: string): Promise<c.ResponseDoc> {
    const reply = await c.responses(db).findOne({ _id: invitationId });
    if (!reply) throw ApplicationFailure.nonRetryable(`no reply stored for invitation ${invitationId}`);
    return reply;
  }

  /** Whether a reply's edit window has closed, so that it can be finalized. */
  const closed = (reply: c.ResponseDoc, now: Date) => !!reply.finalizedAt || reply.editableUntil <= now;

  return {
    /**
     * The workflow has the reply: the sweep stops re-signalling it. `finalizeIfDue`: a reply whose
     * edit window has already closed is finalized in the same step (its result in `finalized`).
     */
    async acknowledgeReply({
      invitationId,
      finalizeIfDue,
    }: {
      invitationId: string;
      finalizeIfDue?: FinalizeOptions;
    }): Promise<{ editableUntil: number; finalized?: Finalized }> {
      const now = new Date();
      await insertOnce(c.replyAcks(db), { _id: invitationId, at: now });
      const reply = await storedReply(invitationId);
      const editableUntil = reply.editableUntil.getTime();
      // Its invitation workflow is the invitation's only writer, and the write is the same on a
      // retry or an edit (a reply's submittedAt never changes): written by `_id` alone (the one
      // filter FerretDB v1 answers from an index) without reading the status first.
      const answered = { $set: { status: 'answered' as const, answeredAt: reply.submittedAt, updatedAt: now } };
      if (!finalizeIfDue || !closed(reply, now)) {
        await c.invitations(db).updateOne({ _id: invitationId }, answered);
        return { editableUntil };
      }
      // Finalizing reads the invitation: the write answers it.
      const invitation = await c
        .invitations(db)
        .findOneAndUpdate({ _id: invitationId }, answered, { returnDocument: 'after' });
      return { editableUntil, finalized: await finalize(reply, now, finalizeIfDue, invitation) };
    },

    /**
     * Once the reply can no longer be edited: closes it, scores it and counts it (see finalize); with
     * `decideCase`, decides its case too. A reply still editable (the customer came back) is left
     * open and its new deadline returned.
     */
    async finalizeReply({
      invitationId,
      ...options
    }: { invitationId: string } & FinalizeOptions): Promise<Finalized | { final: false; editableUntil: number }> {
      const now = new Date();
      const stored = await storedReply(invitationId);
      if (!closed(stored, now)) return { final: false, editableUntil: stored.editableUntil.getTime() };
      return finalize(stored, now, options);
    },

    /** A finalized reply's praise, passed on (finalizeReply left it apart: email stays in regular activities). */
    async sendReplyPraise({ invitationId, locale }: { invitationId: string; locale: string }): Promise<void> {
      const reply = await c.responses(db).findOne({ _id: invitationId }, { projection: { scores: 1 } });
      if (reply?.scores) await whileBeating(() => sendPraise({ id: invitationId, scores: reply.scores!, locale }));
    },

    /**
     * The scores' owner's one write path (see scoresWorkflow). Only that workflow calls it, one call
     * at a time; every attempt of one call is the same batch (workflow run and activity ID), which
     * is what makes a retry count each key once (src/db/counted-keys.ts).
     */
    async applyScores({ batch }: { batch: ScoreContribution[] }): Promise<{ counted: number }> {
      const { info } = Context.current();
      if (!info.workflowExecution) throw ApplicationFailure.nonRetryable("only the scores' owner applies scores");
      const scoresBatch = { id: `${info.workflowExecution.runId}|${info.activityId}`, retried: info.attempt > 1 };
      return whileBeating(() => applyScoreBatch(db, scoresBatch, batch));
    },
  };
}

/** Whether a scored reply may pass praise on (praiseSender decides whom to tell). */
const mayPraise = (scores: ReplyScores) => scores.verbatim.trim() !== '' && isPraise(scores);

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
 * The day each database's `case-metrics-since` was last seen to hold, in this process: it only ever
 * moves earlier, so a batch whose case changes are no earlier than that has nothing to note.
 */
const caseDaysNoted = new WeakMap<Db, string>();

/**
 * The day of the earliest case change counted (settings `case-metrics-since`): the case backlog
 * is summed over every month from then. Only the scores' owner writes it, and only earlier.
 */
async function noteFirstCaseDay(db: Db, batch: ScoreContribution[]): Promise<void> {
  const days = batch.filter((item) => isCaseChange(item.replyId)).map((item) => item.day);
  if (!days.length) return;
  const first = days.reduce((a, b) => (a < b ? a : b));
  const seen = caseDaysNoted.get(db);
  if (seen !== undefined && seen <= first) return;
  const noted = await c.settings(db).findOne({ _id: CASE_METRICS_SINCE });
  if (!noted || first < noted.value)
    await c.settings(db).updateOne({ _id: CASE_METRICS_SINCE }, { $set: { value: first } }, { upsert: true });
  caseDaysNoted.set(db, noted && noted.value < first ? noted.value : first);
}

/** Nothing counted yet: the batch folded whole, to list every key it would count. */
const NOTHING_COUNTED = { rollups: new Map(), customerScores: new Map(), routing: new Map() };

/**
 * Applies one batch of the scores' owner: claims the keys each document would count, folds the
 * batch without those another batch claimed, writes each document's counters (rollups, customer
 * scores, the routing state) in one update, copies the rollups for dashboards, and marks the batch
 * applied. A retry of the same batch (`retried`) counts what its earlier attempt claimed and skips
 * the documents that attempt already wrote.
 */
export async function applyScoreBatch(
  db: Db,
  scoresBatch: ScoresBatch,
  batch: ScoreContribution[],
): Promise<{ counted: number }> {
  const every = foldContributions(batch, NOTHING_COUNTED);
  const claimed = await claimKeys(db, scoresBatch, [
    ...keysOf('rollups', every.rollups),
    ...keysOf('customer_scores', every.customerScores),
    ...keysOf('routing_state', every.routing),
  ]);
  const changes = foldContributions(batch, {
    rollups: countedBefore(claimed, 'rollups'),
    customerScores: countedBefore(claimed, 'customer_scores'),
    routing: countedBefore(claimed, 'routing_state'),
  });
  // Examples are replaced whole, so their rollups are read first; on a retry, every document, to
  // skip those the earlier attempt wrote.
  const read = (changed: FoldedChange[], always: (change: FoldedChange) => boolean) =>
    changed.filter((change) => scoresBatch.retried || always(change)).map((change) => change.id);
  const [rollups, customerScores, routing] = await Promise.all([
    countingDocs(
      db,
      'rollups',
      read(changes.rollups, (change) => Object.keys(change.examples).length > 0),
    ),
    countingDocs(
      db,
      'customer_scores',
      read(changes.customerScores, () => false),
    ),
    countingDocs(
      db,
      'routing_state',
      read(changes.routing, () => false),
    ),
  ]);
  const unwritten = (docs: Map<string, CountingDoc>) => (change: FoldedChange) =>
    docs.get(change.id)?.appliedBatch !== scoresBatch.id;
  const [written] = await Promise.all([
    Promise.all(
      changes.rollups
        .filter(unwritten(rollups))
        .map((change) => applyRollupChange(db, scoresBatch.id, change, rollups.get(change.id)?.examples)),
    ),
    writeCounters(db, 'customer_scores', scoresBatch.id, changes.customerScores.filter(unwritten(customerScores))),
    writeCounters(db, 'routing_state', scoresBatch.id, changes.routing.filter(unwritten(routing))),
  ]);
  // Every touched rollup, changed or not: a retry after a failure between the two writes copies it
  // then. Those just written are copied as their write returned them, the others read.
  await copyRollupTotals(
    db,
    touchedBy(batch).rollups,
    new Map(written.filter((doc) => doc !== null).map((doc) => [doc._id, doc])),
  );
  await noteFirstCaseDay(db, batch);
  // The journeys' counters, from the batch's journey replies (src/db/journey-counters.ts).
  await applyJourneyFacts(db, scoresBatch, await journeyFactsOf(db, batch));
  await markBatchApplied(db, scoresBatch.id);
  return { counted: new Set(changes.rollups.flatMap((change) => change.keys)).size };
}

const keysOf = (collection: Counting, changes: FoldedChange[]): CountedKey[] =>
  changes.flatMap((change) => change.keys.map((key) => ({ collection, docId: change.id, key })));

/** Per document, the keys another batch claimed. */
function countedBefore(claimed: CountedKey[], collection: Counting): Map<string, Set<string>> {
  const counted = new Map<string, Set<string>>();
  for (const { docId, key } of claimed.filter((claim) => claim.collection === collection))
    counted.set(docId, (counted.get(docId) ?? new Set()).add(key));
  return counted;
}

/** What the owner reads of a document it writes: which batch wrote it last, and its examples. */
interface CountingDoc {
  _id: string;
  appliedBatch?: string;
  examples?: Record<string, string[]>;
}
const counting = (db: Db, name: Counting) => db.collection<CountingDoc>(name);

/** Looked up one `_id` at a time, the filter FerretDB v1 indexes. */
async function countingDocs(db: Db, name: Counting, ids: string[]): Promise<Map<string, CountingDoc>> {
  const docs = await Promise.all(
    ids.map((id) => counting(db, name).findOne({ _id: id }, { projection: { appliedBatch: 1, examples: 1 } })),
  );
  return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
}

/**
 * One write per document, by `_id` alone: the increments, the batch that wrote them and the theme
 * examples, together. Examples are replaced whole (the owner read them just before; it is their
 * only writer).
 */
function changeUpdate(
  batchId: string,
  change: FoldedChange,
  keptExamples: CountingDoc['examples'] = {},
): UpdateFilter<CountingDoc> {
  const examples = Object.entries(change.examples).map(([theme, added]) => [
    `examples.${theme}`,
    latestExamples(keptExamples[theme], added),
  ]);
  return {
    $inc: change.increment,
    $set: { appliedBatch: batchId, ...Object.fromEntries(examples) },
    ...(Object.keys(change.fields).length ? { $setOnInsert: change.fields } : {}),
  };
}

/** Documents that hold counters only (customer scores, the routing state): one update each, by `_id`. */
function writeCounters(db: Db, name: Counting, batchId: string, changes: FoldedChange[]) {
  return Promise.all(
    changes.map((change) =>
      counting(db, name).updateOne({ _id: change.id }, changeUpdate(batchId, change), { upsert: true }),
    ),
  );
}

/** A rollup's write, returning its counters after it for the dashboards' copy (copyRollupTotals). */
function applyRollupChange(
  db: Db,
  batchId: string,
  change: FoldedChange,
  keptExamples?: CountingDoc['examples'],
): Promise<c.RollupTotalsDoc | null> {
  const update = changeUpdate(batchId, change, keptExamples) as UpdateFilter<c.RollupDoc>;
  return c.rollups(db).findOneAndUpdate({ _id: change.id }, update, ROLLUP_AFTER_WRITE);
}
