import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { insertOnce } from '../src/db/insert-once';
import { cachedProgram } from '../src/db/programs';
import { webhookIdsFor } from '../src/db/webhook-index';
import type { Calendar } from '../src/domain/business-hours';
import { mayContactAbout } from '../src/domain/case-rules';
import { ZCaseHandling } from '../src/domain/case-schemas';
import { openedSummary } from '../src/domain/case-wording';
import {
  type CaseActionTexts,
  type CaseCommand,
  type CaseHandling,
  type CaseState,
  describeAction,
  newClock,
} from '../src/domain/cases';
import { escalationChain, routeCase } from '../src/domain/routing';
import { webhookEventFor } from '../src/domain/webhooks';
import type { CaseInput } from '../workflows/definitions';
import { changeOf, countChange, factsOf, openingUnitPath } from './case-metrics';
import { currentRouting, routingState } from './case-routing';
import { type SubmitScores, signalScoresOwner } from './replies';

/** What the case workflow needs besides its state: fixed when the case opens. */
export interface CaseSetup {
  state: CaseState;
  calendar: Calendar;
  /** The team's manager, then each manager above. */
  chain: string[];
  handling: CaseHandling;
  /** The next timeline sequence number. */
  seq: number;
  /** A webhook wants `case.opened`. */
  openedSubscribed: boolean;
  /** The team's name, for the case's emails (absent in older histories). */
  teamName?: string;
}

/**
 * The case document and its timeline, written only by the case's workflow: opened once, changed
 * one timeline entry at a time, and released when it closes.
 */
export function createCaseRecordActivities(db: Db, submitScores: SubmitScores = signalScoresOwner) {
  return {
    /** Routes the case and writes it once; a retry returns what the first run decided. */
    async openCase(input: CaseInput): Promise<CaseSetup> {
      const [program, customer, reply, routing, unitPath] = await Promise.all([
        cachedProgram(db, input.programId),
        c.customers(db).findOne({ _id: input.customerId }),
        c.responses(db).findOne({ _id: input.caseId }),
        currentRouting(db),
        openingUnitPath(db, input.caseId),
      ]);
      if (!program || !customer || !reply)
        throw ApplicationFailure.nonRetryable(`case ${input.caseId} lost its program, customer or reply`);
      const handling = ZCaseHandling.parse(program.caseHandling ?? {});
      // Written first, read only when a first run wrote it already: a retry returns what that run decided.
      const attributes = { ...customer.attributes, programId: program._id };
      const { teamId, ownerId } = routeCase(routing, attributes, await routingState(db));
      const team = routing.teams.find((t) => t.id === teamId)!;
      const now = Date.now();
      const opened: c.CaseDoc = {
        _id: input.caseId,
        customerId: input.customerId,
        programId: input.programId,
        replyIds: [input.caseId],
        reasons: input.reasons,
        status: 'open',
        priority: input.priority,
        teamId,
        ownerId,
        mayContact: mayContactAbout(program.survey, reply.answers),
        escalation: 0,
        calendar: team.calendar,
        firstResponse: newClock(handling.sla.firstResponse, now),
        resolution: newClock(handling.sla.resolution, now),
        openedAt: new Date(now),
        updatedAt: new Date(now),
        unitPath,
        version: 0,
      };
      const first = await insertOnce(c.cases(db), opened);
      const doc = first ? opened : await c.cases(db).findOne({ _id: input.caseId });
      if (!doc) throw ApplicationFailure.retryable(`case ${input.caseId} is not readable yet`);
      if (first)
        await insertOnce(c.caseTimeline(db), {
          _id: `${doc._id}:0`,
          caseId: doc._id,
          seq: 0,
          at: doc.openedAt,
          actor: 'cxloop',
          kind: 'opened',
          summary: openedSummary({ ...doc, teamName: team.name }),
        });
      await countChange(db, submitScores, doc, 0, doc.openedAt, { kind: 'opened', before: null, after: factsOf(doc) });
      return {
        state: stateOf(doc, routing.rootCauses),
        calendar: doc.calendar,
        chain: escalationChain(routing, doc.teamId),
        handling,
        // A first run has just written the one entry; a retry counts what is there.
        seq: 1 + (first ? 1 : await c.caseTimeline(db).countDocuments({ caseId: doc._id })),
        openedSubscribed: await subscribed(db, 'opened'),
        teamName: routing.teams.find((t) => t.id === doc.teamId)?.name ?? doc.teamId,
      };
    },

    /**
     * Appends a timeline entry (and its audit record) and mirrors the workflow's state into the
     * case document. Only the case's workflow calls this, one call at a time; the version guard
     * keeps a retried older write from undoing a newer one.
     */
    async recordCase(args: {
      caseId: string;
      seq: number;
      actor: string;
      kind: string;
      /** The workflow's own steps word the entry; an owner's action is worded here, with its texts. */
      summary?: string;
      note?: string;
      action?: CaseCommand;
      before: CaseState;
      after: CaseState;
      attachReplyId?: string;
      /** The kinds of the entries from step 2 to this one, when a close or reopening counts them (else read). */
      earlierKinds?: string[];
      /** The case's follow-up program, when a close or reopening looks up the follow-up's CSAT (else read). */
      followUpProgram?: string;
      /** The closing entry also releases the customer's claim on the program (releaseOpenCase). */
      releaseClaim?: boolean;
    }): Promise<{ subscribed: boolean }> {
      const at = new Date();
      const id = `${args.caseId}:${args.seq}`;
      const action = args.action && (await withTexts(db, args.action));
      const { summary, note } = action
        ? describeAction(action)
        : { summary: args.summary ?? args.kind, note: args.note };
      // A resolution sets the message for the customer (none when they may not be contacted).
      const resolution =
        action?.action === 'resolve'
          ? { customerMessage: args.after.mayContact ? action.customerMessage : undefined }
          : {};
      const after = { ...mirrorOf(args.after), ...resolution };
      const written = await insertOnce(c.caseTimeline(db), {
        _id: id,
        caseId: args.caseId,
        seq: args.seq,
        at,
        actor: args.actor,
        kind: args.kind,
        summary,
        ...(note ? { note } : {}),
      });
      if (args.actor !== 'cxloop')
        await insertOnce(c.auditLog(db), {
          _id: `case:${id}`,
          at,
          actor: args.actor,
          action: `case.${args.kind}`,
          subject: `case ${args.caseId}`,
          ...changedFields(mirrorOf(args.before), after),
        });
      const dates = {
        ...(args.after.status === 'resolved' && args.before.status !== 'resolved' ? { resolvedAt: at } : {}),
        ...(args.after.status === 'closed' ? { closedAt: at } : {}),
      };
      const unset: Partial<Record<'rootCause' | 'customerMessage', ''>> = {
        ...(args.after.rootCause === undefined ? { rootCause: '' as const } : {}),
        ...('customerMessage' in after && after.customerMessage === undefined ? { customerMessage: '' as const } : {}),
      };
      // Read, then write by `_id` alone (the one filter FerretDB v1 answers from an index).
      const current = await c.cases(db).findOne({ _id: args.caseId });
      if (current && current.version < args.seq)
        await c.cases(db).updateOne(
          { _id: args.caseId },
          {
            $set: { ...withoutUndefined(after), ...dates, updatedAt: at, version: args.seq },
            ...(Object.keys(unset).length ? { $unset: unset } : {}),
            ...(args.attachReplyId ? { $addToSet: { replyIds: args.attachReplyId } } : {}),
          },
        );
      if (current) {
        // The entry's own time (a retry keeps the first attempt's), so that it counts on one day.
        const entryAt = written
          ? at
          : ((await c.caseTimeline(db).findOne({ _id: id }, { projection: { at: 1 } }))?.at ?? at);
        await countChange(db, submitScores, current, args.seq, entryAt, await changeOf(db, current, args, entryAt));
        if (args.releaseClaim && args.after.status === 'closed') await releaseClaim(db, current);
      }
      // Asked here, where the entry is written anyway: a case without subscribers schedules no delivery.
      return { subscribed: await subscribed(db, args.kind) };
    },

    /**
     * The customer may get a new case for the program again. Read, then removed by `_id` alone (the
     * one filter FerretDB v1 answers from an index) when this case holds it: a claim is removed only
     * for its own case (here, or when the customer is erased), so one read as this case's is still
     * this case's when removed; a retry after the release finds it gone or a newer case's, and leaves it.
     */
    async releaseOpenCase({ caseId }: { caseId: string }): Promise<void> {
      const doc = await c.cases(db).findOne({ _id: caseId }, { projection: { programId: 1, customerId: 1 } });
      if (doc) await releaseClaim(db, doc);
    },
  };
}

/** Removes the customer's claim on the program when this case holds it (see releaseOpenCase). */
async function releaseClaim(db: Db, theCase: Pick<c.CaseDoc, '_id' | 'programId' | 'customerId'>): Promise<void> {
  const key = c.openCaseKey(theCase.programId, theCase.customerId);
  const held = await c.openCases(db).findOne({ _id: key }, { projection: { caseId: 1 } });
  if (held?.caseId === theCase._id) await c.openCases(db).deleteOne({ _id: key });
}

function stateOf(doc: c.CaseDoc, rootCauses: readonly string[]): CaseState {
  return {
    status: doc.status,
    priority: doc.priority,
    ownerId: doc.ownerId,
    teamId: doc.teamId,
    mayContact: doc.mayContact,
    rootCauses,
    escalation: doc.escalation,
    firstResponse: doc.firstResponse,
    resolution: doc.resolution,
    ...(doc.rootCause ? { rootCause: doc.rootCause } : {}),
    ...(doc.customerMessage ? { customerMessage: doc.customerMessage } : {}),
  };
}

/** Fields of the case document that mirror the workflow's state. */
function mirrorOf(state: CaseState) {
  const { rootCauses: _rootCauses, ...mirrored } = state;
  return mirrored;
}

/** An action's texts, stored by the web before the workflow got the action. */
export async function storedTexts(db: Db, textId: string): Promise<CaseActionTexts> {
  const doc = await c.caseActionTexts(db).findOne({ _id: textId });
  // Written before the update was sent: missing only while a lagging secondary catches up.
  if (!doc) throw ApplicationFailure.retryable(`the texts ${textId} of a case action are not recorded yet`);
  const { _id, caseId: _caseId, at: _at, ...texts } = doc;
  return texts;
}

/** The action with its texts back in place. */
async function withTexts(db: Db, action: CaseCommand): Promise<CaseCommand> {
  return action.textId ? { ...action, ...(await storedTexts(db, action.textId)) } : action;
}

const withoutUndefined = <T extends object>(fields: T): Partial<T> =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;

/** Whether any webhook wants to hear of this kind of timeline entry. */
async function subscribed(db: Db, timelineKind: string): Promise<boolean> {
  const event = webhookEventFor(timelineKind);
  return !!event && (await webhookIdsFor(db, event)).length > 0;
}

/** Only what changed, for the audit log. */
function changedFields(before: Record<string, unknown>, after: Record<string, unknown>) {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]),
  );
  return {
    before: Object.fromEntries(keys.map((k) => [k, before[k] ?? null])),
    after: Object.fromEntries(keys.map((k) => [k, after[k] ?? null])),
  };
}
