import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { inAudience } from '../src/domain/audience';
import type { ContactDecision, ContactDecisionInput } from '../src/domain/contact';
import type { TProgram } from '../src/domain/program';
import { applyProfile, applyProfileReturning, findCustomer, isErased } from '../src/db/customers';
import { campaignCancelled } from '../src/db/campaigns';
import { contactHistoryOf, keepInHistory } from '../src/db/contact-history';
import { openCasesOf } from '../src/db/open-case-claims';
import { programsTriggeredBy } from '../src/db/program-index';
import { cachedProgram } from '../src/db/programs';
import { type HistoryEntry, historyFor } from '../src/domain/contact-history';
import type { CustomerProfile, ProfileOutcome } from '../src/domain/customer';
import { customerWorkflowId } from '../workflows/definitions';
import { whileBeating } from './heartbeat';

/** A stored profile change as the loop hands it to its activity: with the customer's ID. */
export interface StoredProfileChange {
  changeId: string;
  customerId: string;
}

export interface ContactCandidate {
  program: Pick<TProgram, 'id' | 'reminders' | 'expiresAfter'> & { editGrace: string };
  input: Omit<ContactDecisionInput, 'now'>;
}

export interface ContactPlan {
  candidates: ContactCandidate[];
  /** The event was decided on already, or needed no decision (and is marked). */
  processed?: true;
  /** A campaign's event: the loop reports its decision (or that none was possible) to the campaign. */
  campaignId?: string;
  /** The event, for its last decision to mark it processed (plans with candidates only). */
  event?: EventToMark;
}

/** What marking an event processed needs of it: its time, and whether it is a transaction. */
export interface EventToMark {
  at: number;
  transaction: boolean;
}

export function createContactActivities(db: Db) {
  return {
    /** Everything the customer loop needs to decide, per matching program, on one transaction. */
    async planContacts({ customerId, eventId }: { customerId: string; eventId: string }): Promise<ContactPlan> {
      const event = await c.events(db).findOne({ _id: eventId });
      if (!event) throw ApplicationFailure.nonRetryable(`event ${eventId} is not recorded`);
      if (event.processedAt) return { candidates: [], processed: true };
      // The loop's own customer's record as the event's profile left it, read in that write.
      const profile = event.customer;
      const applied = profile?.id === customerId ? await applyProfileReturning(db, profile, event.identityWrite) : null;
      if (profile && profile.id !== customerId) await applyProfile(db, profile, event.identityWrite);
      const customer = applied ?? (await findCustomer(db, customerId));
      if (!customer) throw ApplicationFailure.nonRetryable(`customer ${customerId} is not recorded`);
      // Erased customers are never contacted again, whatever events still arrive.
      const matching = customer.erasedAt
        ? []
        : (await programsAskingFor(db, event)).filter((p) =>
            inAudience(p.audience, { ...customer.attributes, ...event.data }),
          );
      if (matching.length === 0) {
        // The loop tells the campaign, then marks the event itself: so a retry of this read-only
        // answer cannot hide from the campaign that the customer was not eligible.
        if (event.campaignId) return { candidates: [], campaignId: event.campaignId };
        // Nothing to decide: mark it here and spare the loop a second activity.
        await markProcessed(db, eventId);
        return { candidates: [], processed: true };
      }

      const [history, openCases] = await Promise.all([contactHistoryOf(db, customerId), openCasesOf(db, customerId)]);
      // A program's own events (waves, campaigns) are not transactions.
      const { contacts, transactions } = historyFor(history, {
        id: eventId,
        at: event.occurredAt.getTime(),
        isTransaction: !event.programId,
      });

      return {
        ...(event.campaignId ? { campaignId: event.campaignId } : {}),
        event: { at: event.occurredAt.getTime(), transaction: !event.programId },
        candidates: matching.map((program) => ({
          program: {
            id: program.id,
            reminders: program.reminders,
            expiresAfter: program.expiresAfter,
            editGrace: program.survey.editGrace,
          },
          input: {
            eventAt: event.occurredAt.getTime(),
            program: { id: program.id, delay: program.delay, contactRules: program.contactRules },
            customer: { unsubscribed: customer.unsubscribed, timezone: customer.timezone, hasOpenCase: openCases > 0 },
            contacts,
            transactions,
          },
        })),
      };
    },

    /**
     * The loop's profile changes, read by ID and removed once applied, so the stored copy of the
     * personal data lasts no longer than the hand-over. Writing the same change twice leaves the
     * same record; a retry after the removal finds the change applied.
     */
    async applyCustomerProfile(change: CustomerProfile | StoredProfileChange): Promise<ProfileOutcome> {
      if (!('changeId' in change)) return applyProfile(db, change);
      const stored = await c.profileChanges(db).findOne({ _id: change.changeId });
      if (!stored) return (await isErased(db, change.customerId)) ? 'erased' : 'applied';
      const outcome = await applyProfile(db, stored.profile);
      await c.profileChanges(db).deleteOne({ _id: change.changeId });
      return outcome;
    },

    /**
     * First decision wins: a retried activity never changes what was decided. The event's last
     * decision may also mark the event processed (`lastOfEvent`), as markEventProcessed does, in
     * one write of the contact history; a re-run writes nothing twice and keeps the first time.
     */
    async recordContactDecision(args: {
      customerId: string;
      eventId: string;
      programId: string;
      decision: ContactDecision;
      invitationId?: string;
      lastOfEvent?: EventToMark;
    }): Promise<void> {
      const { decision } = args;
      await c.contactDecisions(db).updateOne(
        { _id: `${args.eventId}|${args.programId}` },
        {
          $setOnInsert: {
            customerId: args.customerId,
            eventId: args.eventId,
            programId: args.programId,
            action: decision.action,
            reason: decision.reason,
            ...('rule' in decision ? { rule: decision.rule } : {}),
            ...('sendAt' in decision ? { sendAt: new Date(decision.sendAt) } : {}),
            ...(args.invitationId ? { invitationId: args.invitationId } : {}),
            decidedAt: new Date(),
          } as Partial<c.ContactDecisionDoc>,
        },
        { upsert: true },
      );
      const entries: HistoryEntry[] = [];
      if ('sendAt' in decision)
        entries.push({
          kind: 'contact',
          key: `${args.eventId}|${args.programId}`,
          eventId: args.eventId,
          programId: args.programId,
          at: decision.sendAt,
        });
      // A transaction joins the history before the event is marked, so a re-run after a crash adds it then.
      if (args.lastOfEvent?.transaction)
        entries.push({ kind: 'transaction', key: args.eventId, at: args.lastOfEvent.at });
      if (entries.length > 0) await keepInHistory(db, args.customerId, ...entries);
      // By `_id` alone; `$min` keeps the first time on a re-run.
      if (args.lastOfEvent) await c.events(db).updateOne({ _id: args.eventId }, { $min: { processedAt: new Date() } });
    },

    /** Whether the customer's loop named by their plain ID still runs: one look, for a local activity. */
    async legacyLoopRunning({ customerId }: { customerId: string }): Promise<boolean> {
      const legacy = Context.current().client.workflow.getHandle(customerWorkflowId(customerId));
      return legacy.describe().then(
        (described) => described.status.name === 'RUNNING',
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
    },

    /**
     * Returns once the customer's loop named by their plain ID (started before loops were named by
     * key) has ended, or at once when there is none: it gets no new work, so it ends when idle.
     */
    async awaitLegacyLoop({ customerId }: { customerId: string }): Promise<void> {
      const legacy = Context.current().client.workflow.getHandle(customerWorkflowId(customerId));
      await whileBeating(() =>
        legacy.result().then(
          () => undefined,
          (err: unknown) => {
            // Not found: there is none (or it ended long ago); failed, terminated or timed out: ended.
            if (!(err instanceof WorkflowNotFoundError || err instanceof WorkflowFailedError)) throw err;
          },
        ),
      );
    },

    async markEventProcessed({ eventId }: { eventId: string }): Promise<void> {
      await markProcessed(db, eventId);
    },
  };
}

/** The active programs an event asks for: its own program, or every transactional program it triggers. */
async function programsAskingFor(db: Db, event: c.EventDoc): Promise<c.ProgramDoc[]> {
  if (event.campaignId && (await campaignCancelled(db, event.campaignId))) return [];
  if (!event.programId) return programsTriggeredBy(db, event.type);
  // By `_id` alone (FerretDB's one indexed filter), then checked.
  const own = await cachedProgram(db, event.programId);
  return own?.active ? [own] : [];
}

/**
 * Read, then write by `_id` alone: FerretDB v1 answers only that filter from its index (any other
 * field makes it decode the whole collection); the customer's loop is the event's only writer.
 * A transaction joins the customer's contact history first, so a retry after a crash adds it then.
 */
async function markProcessed(db: Db, eventId: string): Promise<void> {
  const event = await c
    .events(db)
    .findOne({ _id: eventId }, { projection: { processedAt: 1, customerId: 1, occurredAt: 1, programId: 1 } });
  if (!event || event.processedAt) return;
  if (!event.programId)
    await keepInHistory(db, event.customerId, { kind: 'transaction', key: eventId, at: event.occurredAt.getTime() });
  await c.events(db).updateOne({ _id: eventId }, { $set: { processedAt: new Date() } });
}
