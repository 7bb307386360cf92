import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { insertOnce, isDuplicateKeyError } from '../src/db/mongo';
import { isCounted } from '../src/db/counted-keys';
import { loadRouting } from '../src/db/routing';
import { type Calendar, businessMsBetween } from '../src/domain/business-hours';
import { type CaseChange, type CaseFacts, caseContribution } from '../src/domain/case-metrics';
import { type SubmitScores, signalScoresOwner } from './replies';
import { type Priority, decideCase, evaluateCaseRules, mayContactAbout } from '../src/domain/case-rules';
import {
  type CaseActionTexts,
  type CaseCommand,
  type CaseHandling,
  type CaseState,
  STATUS_LABELS,
  UNCLOSED_STATUSES,
  describeAction,
  followUpVerdict,
  newClock,
} from '../src/domain/cases';
import { ZCaseHandling } from '../src/domain/case-schemas';
import { followUpProgram } from '../src/domain/follow-up-program';
import { webhookEventFor } from '../src/domain/webhooks';
import { localize } from '../src/domain/program';
import { type Routing, ZRouting, escalationChain, routeCase } from '../src/domain/routing';
import type { Mailer } from '../src/mail/mailer';
import type { Templates } from '../src/mail/templates';
import { type CaseInput, type SurveyInvitationInput, invitationIdFor } from '../workflows/definitions';
import { sendOnce } from './email-once';
import { whileBeating } from './heartbeat';
import { findCustomer } from '../src/db/customers';
import { customerKey } from '../src/temporal/customer-key';

export interface CaseDeps {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  publicBaseUrl: string;
  mailFrom: string;
  /** Keys the `CustomerId` search attribute of cases (CUSTOMER_KEY_SECRET). */
  customerKeySecret: string;
}

export type CaseDecision =
  | { action: 'none' }
  | {
      action: 'open';
      caseId: string;
      programId: string;
      customerId: string;
      /** For the `CustomerId` search attribute: the customer's key, not their ID. */
      customerKey: string;
      priority: Priority;
      reasons: string[];
    }
  | { action: 'attach'; caseId: string; priority: Priority; reasons: string[] };

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
}

/** The emails a case sends; customer-facing ones go through the program's locale templates. */
export type CaseEmailKind = 'assigned' | 'escalated' | 'reopened' | 'acknowledgement' | 'contact' | 'resolution';
const CUSTOMER_EMAILS = new Set<CaseEmailKind>(['acknowledgement', 'contact', 'resolution']);

/** Until an admin sets up routing, every enabled admin handles cases, the first one managing. */
async function currentRouting(db: Db): Promise<Routing> {
  const stored = await loadRouting(db);
  if (stored) return stored;
  const admins = await c
    .users(db)
    .find({ role: 'admin', disabled: { $ne: true } })
    .sort({ createdAt: 1 })
    .limit(200)
    .toArray();
  if (admins.length === 0)
    throw ApplicationFailure.retryable('no routing and no admin to own cases yet: create an admin or set up routing');
  return ZRouting.parse({
    teams: [{ id: 'everyone', name: 'Everyone', members: admins.map((a) => a._id), manager: admins[0]!._id }],
    fallbackTeam: 'everyone',
  });
}

/** Open cases per member and the owner of the team's latest case: what assignment looks at. */
async function routingState(db: Db, routing: Routing) {
  const members = [...new Set(routing.teams.flatMap((t) => t.members))];
  const counts = await c
    .cases(db)
    .aggregate<{ _id: string; n: number }>([
      { $match: { ownerId: { $in: members }, status: { $in: [...UNCLOSED_STATUSES] } } },
      { $group: { _id: '$ownerId', n: { $sum: 1 } } },
    ])
    .toArray();
  const lastOwner: Record<string, string> = {};
  for (const team of routing.teams) {
    const latest = await c
      .cases(db)
      .findOne({ teamId: team.id }, { sort: { openedAt: -1 }, projection: { ownerId: 1 } });
    if (latest) lastOwner[team.id] = latest.ownerId;
  }
  return { openCases: Object.fromEntries(counts.map((x) => [x._id, x.n])), lastOwner };
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

export function createCaseActivities(
  { db, mailer, templates, publicBaseUrl, mailFrom, customerKeySecret }: CaseDeps,
  submitScores: SubmitScores = signalScoresOwner,
) {
  const caseUrl = (caseId: string) => `${publicBaseUrl}/admin/cases/${encodeURIComponent(caseId)}`;

  /** Hands a change of the case to the case metrics (kept by the scores' owner, which counts each change once). */
  async function countChange(theCase: c.CaseDoc, seq: number, at: Date, change: CaseChange): Promise<void> {
    const contribution = caseContribution(
      { id: theCase._id, programId: theCase.programId, customerId: theCase.customerId },
      seq,
      at.getTime(),
      change,
    );
    if (contribution) await submitScores(contribution);
  }

  return {
    /**
     * Whether a finalized reply opens a case, is attached to the customer's open case for the
     * program, or neither. The open case is claimed by inserting its key, so two replies at once
     * still open one case; a retry finds its own claim and decides the same.
     */
    async decideCaseForReply({ invitationId }: { invitationId: string }): Promise<CaseDecision> {
      const reply = await c.responses(db).findOne({ _id: invitationId });
      if (!reply?.scores) return { action: 'none' };
      const [program, invitation, customer, score] = await Promise.all([
        c.programs(db).findOne({ _id: reply.programId }),
        c.invitations(db).findOne({ _id: invitationId }),
        c.customers(db).findOne({ _id: reply.customerId }),
        c.customerScores(db).findOne({ _id: reply.customerId }),
      ]);
      if (!program?.caseRules?.length) return { action: 'none' };
      const call = evaluateCaseRules(program.caseRules, {
        scores: reply.scores,
        previousSummary: previousSummary(
          score,
          await isCounted(db, 'customer_scores', score, reply._id),
          reply.scores.summary,
        ),
        attributes: { ...customer?.attributes, ...invitation?.known },
      });
      if (!call) return { action: 'none' };
      const key = c.openCaseKey(reply.programId, reply.customerId);
      const opened = {
        action: 'open',
        caseId: reply._id,
        programId: reply.programId,
        customerId: reply.customerId,
        customerKey: customerKey(customerKeySecret, reply.customerId),
        ...call,
      } as const;
      try {
        await c.openCases(db).insertOne({ _id: key, caseId: reply._id, at: new Date() });
        return opened;
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
      const held = await c.openCases(db).findOne({ _id: key });
      if (!held) throw ApplicationFailure.retryable(`the open case ${key} just closed; deciding again`);
      if (held.caseId === reply._id) return opened;
      const open = await c.cases(db).findOne({ _id: held.caseId }, { projection: { priority: 1 } });
      const decision = decideCase(call, { id: held.caseId, priority: open?.priority ?? 'low' });
      return decision.action === 'attach'
        ? { action: 'attach', caseId: decision.caseId, priority: decision.priority, reasons: decision.reasons }
        : { action: 'none' };
    },

    /** Routes the case and writes it once; a retry returns what the first run decided. */
    async openCase(input: CaseInput): Promise<CaseSetup> {
      const [program, customer, reply, routing] = await Promise.all([
        c.programs(db).findOne({ _id: input.programId }),
        c.customers(db).findOne({ _id: input.customerId }),
        c.responses(db).findOne({ _id: input.caseId }),
        currentRouting(db),
      ]);
      if (!program || !customer || !reply)
        throw ApplicationFailure.nonRetryable(`case ${input.caseId} lost its program, customer or reply`);
      const handling = ZCaseHandling.parse(program.caseHandling ?? {});
      const existing = await c.cases(db).findOne({ _id: input.caseId });
      let doc = existing;
      if (!doc) {
        const attributes = { ...customer.attributes, programId: program._id };
        const { teamId, ownerId } = routeCase(routing, attributes, await routingState(db, routing));
        const team = routing.teams.find((t) => t.id === teamId)!;
        const now = Date.now();
        await insertOnce(c.cases(db), {
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
          version: 0,
        });
        doc = (await c.cases(db).findOne({ _id: input.caseId }))!;
        const opened = `Opened for ${doc.reasons.join('; ')}; assigned to ${doc.ownerId} (${team.name})`;
        await insertOnce(c.caseTimeline(db), {
          _id: `${doc._id}:0`,
          caseId: doc._id,
          seq: 0,
          at: doc.openedAt,
          actor: 'cxloop',
          kind: 'opened',
          summary: doc.mayContact ? opened : `${opened}. The customer asked not to be contacted: internal action only.`,
        });
      }
      await countChange(doc, 0, doc.openedAt, { kind: 'opened', before: null, after: factsOf(doc) });
      return {
        state: stateOf(doc, routing.rootCauses),
        calendar: doc.calendar,
        chain: escalationChain(routing, doc.teamId),
        handling,
        // A first run has just written the one entry; a retry counts what is there.
        seq: 1 + (existing ? await c.caseTimeline(db).countDocuments({ caseId: doc._id }) : 1),
        openedSubscribed: await subscribed(db, 'opened'),
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
      await insertOnce(c.caseTimeline(db), {
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
        const entry = await c.caseTimeline(db).findOne({ _id: id }, { projection: { at: 1 } });
        await countChange(current, args.seq, entry?.at ?? at, await changeOf(db, current, args, entry?.at ?? at));
      }
      // Asked here, where the entry is written anyway: a case without subscribers schedules no delivery.
      return { subscribed: await subscribed(db, args.kind) };
    },

    /** One email about the case, sent once per key. */
    async sendCaseEmail(args: {
      caseId: string;
      key: string;
      kind: CaseEmailKind;
      /** Internal emails: the person told (owner or manager). */
      to?: string;
      headline?: string;
      /** A contact's subject and message: stored under `textId` (inline in older histories). */
      textId?: string;
      subject?: string;
      /** Inline only in older histories: a resolution's message is the case document's. */
      message?: string;
    }): Promise<{ status: 'sent' | 'failed' | 'skipped' }> {
      return whileBeating(async () => {
        const doc = await c.cases(db).findOne({ _id: args.caseId });
        if (!doc) throw ApplicationFailure.nonRetryable(`no case ${args.caseId}`);
        const texts = args.textId ? await storedTexts(db, args.textId) : {};
        const subjectText = args.subject ?? texts.subject;
        const message = args.message ?? texts.message ?? (args.kind === 'resolution' ? doc.customerMessage : undefined);
        const [customer, program, owner, routing] = await Promise.all([
          findCustomer(db, doc.customerId),
          c.programs(db).findOne({ _id: doc.programId }),
          c.users(db).findOne({ _id: doc.ownerId }),
          currentRouting(db),
        ]);
        if (!customer || !program)
          throw ApplicationFailure.nonRetryable(`case ${args.caseId} lost its customer or program`);
        const teamName = routing.teams.find((t) => t.id === doc.teamId)?.name ?? doc.teamId;
        const ownerName = owner?.name ?? doc.ownerId;
        const idempotencyKey = `case:${args.caseId}:${args.key}`;

        if (CUSTOMER_EMAILS.has(args.kind)) {
          // The customer's wish and unsubscribe are checked at sending time, not only at opening.
          if (!doc.mayContact || customer.unsubscribed) return { status: 'skipped' };
          const locale = customer.locale || program.defaultLocale;
          const strings = templates.strings(locale);
          const subject =
            args.kind === 'contact'
              ? (subjectText ?? '')
              : (strings[args.kind === 'acknowledgement' ? 'caseAcknowledgementSubject' : 'caseResolutionSubject'] ??
                '');
          const rendered = templates.email(`case-${args.kind}`, locale, program.defaultLocale, {
            name: customer.name,
            ownerName,
            teamName,
            message,
            programName: localize(program.email.subject, locale, program.defaultLocale),
          });
          const from = program.sender ? { name: program.sender.name, address: program.sender.email } : mailFrom;
          const outcome = await sendOnce(db, mailer, {
            idempotencyKey,
            kind: `case-${args.kind}`,
            caseId: args.caseId,
            to: customer.email,
            from,
            replyTo: doc.ownerId,
            subject,
            ...rendered,
            headers: { 'X-Cxloop-Case': args.caseId },
          });
          return { status: outcome.status };
        }

        const recipient = args.to ?? doc.ownerId;
        const rendered = templates.email('case-notice', 'en', 'en', {
          headline: args.headline,
          customer: customer.name ? `${customer.name} <${customer.email}>` : customer.email,
          status: STATUS_LABELS[doc.status],
          priority: doc.priority,
          reasons: doc.reasons.join('; '),
          ownerName,
          teamName,
          caseUrl: caseUrl(args.caseId),
        });
        const outcome = await sendOnce(db, mailer, {
          idempotencyKey,
          kind: `case-${args.kind}`,
          caseId: args.caseId,
          to: recipient,
          from: mailFrom,
          subject: `[${doc.priority}] ${args.headline ?? 'Case'}: ${customer.name ?? customer.email}`,
          ...rendered,
          headers: { 'X-Cxloop-Case': args.caseId },
        });
        return { status: outcome.status };
      });
    },

    /**
     * Prepares the follow-up survey of a resolution round: the follow-up program (created on first
     * use) and the event the invitation refers to. Null when the customer may not be surveyed.
     */
    async prepareFollowUp({
      caseId,
      round,
      programId,
    }: {
      caseId: string;
      round: number;
      programId: string;
    }): Promise<SurveyInvitationInput | null> {
      const doc = await c.cases(db).findOne({ _id: caseId });
      if (!doc) throw ApplicationFailure.nonRetryable(`no case ${caseId}`);
      const customer = await findCustomer(db, doc.customerId);
      if (!doc.mayContact || !customer || customer.unsubscribed) return null;
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
      const program = await c.programs(db).findOne({ _id: programId });
      if (!program) throw ApplicationFailure.nonRetryable(`the follow-up program ${programId} does not exist`);
      const eventId = `case-resolved-${round}:${caseId}`;
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

    /** A follow-up survey made moot (the owner reopened the case): its link stops taking answers. */
    async withdrawFollowUp({ invitationId }: { invitationId: string }): Promise<void> {
      await c
        .invitations(db)
        .updateOne(
          { _id: invitationId, status: { $in: ['scheduled', 'sent', 'reminded'] } },
          { $set: { status: 'cancelled', updatedAt: new Date() } },
        );
    },

    /** The customer may get a new case for the program again. */
    async releaseOpenCase({ caseId }: { caseId: string }): Promise<void> {
      const doc = await c.cases(db).findOne({ _id: caseId }, { projection: { programId: 1, customerId: 1 } });
      if (doc) await c.openCases(db).deleteOne({ _id: c.openCaseKey(doc.programId, doc.customerId), caseId });
    },
  };
}

/** An action's texts, stored by the web before the workflow got the action. */
async function storedTexts(db: Db, textId: string): Promise<CaseActionTexts> {
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

/** Whether the follow-up reply closes or reopens the case; `answers` and `csat` in results of older histories. */
export interface FollowUpOutcome {
  verdict?: 'close' | 'reopen';
  answers?: Record<string, unknown>;
  csat?: number | null;
}

/** Whether any webhook wants to hear of this kind of timeline entry. */
async function subscribed(db: Db, timelineKind: string): Promise<boolean> {
  const event = webhookEventFor(timelineKind);
  return !!event && !!(await c.webhooks(db).findOne({ events: event }, { projection: { _id: 1 } }));
}

export function factsOf(
  state: Pick<CaseState, 'status' | 'ownerId' | 'teamId' | 'rootCause' | 'firstResponse' | 'resolution'>,
): CaseFacts {
  return {
    status: state.status,
    ownerId: state.ownerId,
    teamId: state.teamId,
    ...(state.rootCause ? { rootCause: state.rootCause } : {}),
    breached: state.firstResponse.breaches + state.resolution.breaches > 0,
  };
}

/**
 * What a recorded change counts for: on a resolution the business time since opening (in the
 * team's calendar), on the close whether it was resolved at the first contact (at most one email
 * to the customer, never reopened), read from the case's earlier timeline entries by `_id`.
 */
async function changeOf(
  db: Db,
  theCase: c.CaseDoc,
  args: { seq: number; kind: string; before: CaseState; after: CaseState },
  at: Date,
): Promise<CaseChange> {
  const change: CaseChange = { kind: args.kind, before: factsOf(args.before), after: factsOf(args.after) };
  if (args.after.status === 'resolved' && args.before.status !== 'resolved')
    change.businessMsToResolve = businessMsBetween(theCase.calendar, theCase.openedAt.getTime(), at.getTime());
  if (args.after.status === 'closed' && args.before.status !== 'closed') {
    const entries = await Promise.all(
      Array.from({ length: args.seq }, (_, seq) =>
        c.caseTimeline(db).findOne({ _id: `${theCase._id}:${seq}` }, { projection: { kind: 1 } }),
      ),
    );
    const kinds = entries.map((entry) => entry?.kind);
    change.firstContact =
      kinds.filter((kind) => kind === 'contact').length <= 1 && !kinds.some((k) => k === 'reopen' || k === 'reopened');
  }
  return change;
}

/** The customer's summary score before the reply (whether `score` counts it: `replyCounted`). */
function previousSummary(
  score: c.CustomerScoreDoc | null,
  replyCounted: boolean,
  summary: number | null,
): number | undefined {
  if (!score) return undefined;
  const counted = replyCounted && summary !== null;
  const count = counted ? score.count - 1 : score.count;
  const sum = counted ? score.sum - summary : score.sum;
  return count > 0 ? sum / count : undefined;
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
