import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { cachedProgram, programOfInvitation } from '../src/db/programs';
import { insertOnce } from '../src/db/insert-once';
import { hashSurveyToken, surveyTokenFor } from '../src/db/survey-tokens';
import { durationMs } from '../src/domain/duration';
import { renderInvitationEmail } from '../src/mail/invitation-email';
import type { Mailer } from '../src/mail/mailer';
import { sendOnce, sentEmail } from './email-once';
import { whileBeating } from './heartbeat';
import type { Templates } from '../src/mail/templates';
import type { SurveyInvitationInput } from '../workflows/definitions';
import { findCustomer } from '../src/db/customers';
import { campaignCancelled } from '../src/db/campaigns';
import { type FunnelStep, agentOf, funnelContribution } from '../src/domain/rollup';
import { unitPath } from '../src/domain/units';
import { cachedUnits } from '../src/db/units';
import { type SubmitScores, signalScoresOwner } from './replies';

export interface InvitationDeps {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  publicBaseUrl: string;
  mailFrom: string;
  /** Derives each invitation's link token (SURVEY_TOKEN_SECRET, or one generated once and kept in MongoDB). */
  surveyTokenSecret: string;
}

export function createInvitationActivities(
  { db, mailer, templates, publicBaseUrl, mailFrom, surveyTokenSecret }: InvitationDeps,
  submitScores: SubmitScores = signalScoresOwner,
) {
  /** The invitation, its program and customer; the customer's consent only when `withConsent` (a reminder). */
  async function load(invitationId: string, withConsent: boolean) {
    const invitation = await c.invitations(db).findOne({ _id: invitationId });
    if (!invitation) throw ApplicationFailure.nonRetryable(`invitation ${invitationId} does not exist`);
    const [program, customer] = await Promise.all([
      programOfInvitation(db, invitation),
      withConsent ? findCustomer(db, invitation.customerId) : c.customers(db).findOne({ _id: invitation.customerId }),
    ]);
    if (!program || !customer)
      throw ApplicationFailure.nonRetryable(`invitation ${invitationId} lost its program or customer`);
    return { invitation, program, customer };
  }

  /** Counts a step of the invitation's funnel (the owner counts each step of an invitation once). */
  async function countStep(invitation: c.InvitationDoc, step: FunnelStep, at: Date): Promise<void> {
    const path = unitPath(await cachedUnits(db), invitation.known);
    await submitScores(funnelContribution(invitation, step, at.getTime(), path));
  }

  return {
    /**
     * Creates the invitation and its token once; a customer who unsubscribed meanwhile, or whose
     * campaign was cancelled while the send was deferred, is not surveyed.
     */
    async createInvitation(input: SurveyInvitationInput): Promise<{ status: 'ready' | 'cancelled' }> {
      const [customer, event, program, campaignOff] = await Promise.all([
        findCustomer(db, input.customerId),
        c.events(db).findOne({ _id: input.eventId }),
        cachedProgram(db, input.programId),
        input.campaignId ? campaignCancelled(db, input.campaignId) : false,
      ]);
      if (!customer || !event)
        throw ApplicationFailure.nonRetryable(`invitation ${input.invitationId} lost its customer or event`);
      const now = new Date();
      const known = { ...customer.attributes, ...(customer.name ? { name: customer.name } : {}), ...event.data };
      const agent = agentOf(known);
      const tokenHash = hashSurveyToken(surveyTokenFor(surveyTokenSecret, input.invitationId));
      await insertOnce(c.surveyTokens(db), { _id: tokenHash, invitationId: input.invitationId });
      const invitation = await c.invitations(db).findOneAndUpdate(
        { _id: input.invitationId },
        {
          $setOnInsert: {
            tokenHash,
            programId: input.programId,
            customerId: input.customerId,
            eventId: input.eventId,
            email: customer.email,
            locale: customer.locale,
            status: customer.unsubscribed || campaignOff ? 'cancelled' : 'scheduled',
            known,
            ...(agent === null ? {} : { agent }),
            sendAt: new Date(input.sendAt),
            ...(program?.versionId ? { programVersion: program.versionId } : {}),
            createdAt: now,
            updatedAt: now,
          },
        },
        { upsert: true, returnDocument: 'after' },
      );
      return { status: invitation?.status === 'cancelled' ? 'cancelled' : 'ready' };
    },

    /** The invitation or a reminder, sent once per idempotency key whatever the retries. */
    async sendSurveyEmail(args: {
      invitationId: string;
      kind: 'invitation' | 'reminder';
      reminderNumber?: number;
    }): Promise<{ status: 'sent' | 'skipped' | 'failed'; sentAt: number }> {
      return whileBeating(async () => {
        const idempotencyKey = `${args.invitationId}:${args.kind}${args.reminderNumber ?? ''}`;
        // Only the first reminder counts: the funnel shows how many invitations needed one.
        const step = args.kind === 'invitation' ? 'invited' : args.reminderNumber === 1 ? 'reminded' : undefined;
        // An invitation's consent was checked when it was created; a reminder's is checked now.
        const { invitation, program, customer } = await load(args.invitationId, args.kind === 'reminder');
        if (args.kind === 'reminder' && (customer.unsubscribed || invitation.answeredAt)) {
          // Sent already by an attempt that failed before counting it: counted now, not skipped.
          const already = await sentEmail(db, idempotencyKey);
          if (already) {
            if (step) await countStep(invitation, step, new Date(already.sentAt));
            return already;
          }
          return { status: 'skipped', sentAt: Date.now() };
        }
        const locale = invitation.locale || program.defaultLocale;
        const token = surveyTokenFor(surveyTokenSecret, invitation._id);
        const surveyUrl = `${publicBaseUrl}/s/${token}`;
        const unsubscribeUrl = `${publicBaseUrl}/u/${token}`;
        const { subject, ...rendered } = renderInvitationEmail(templates, program, {
          kind: args.kind,
          locale,
          name: customer.name,
          surveyUrl,
          unsubscribeUrl,
        });
        // An address object: Nodemailer quotes the display name, so a comma or quote in it cannot break From.
        const from = program.sender ? { name: program.sender.name, address: program.sender.email } : mailFrom;
        const outcome = await sendOnce(db, mailer, {
          idempotencyKey,
          kind: args.kind,
          invitationId: invitation._id,
          to: invitation.email,
          from,
          subject,
          ...rendered,
          headers: {
            'List-Unsubscribe': `<${unsubscribeUrl}>`,
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            'X-Cxloop-Invitation': invitation._id,
          },
        });
        if (outcome.status === 'failed') {
          await c
            .invitations(db)
            .updateOne(
              { _id: invitation._id },
              { $set: { status: 'failed', failure: outcome.failure, updatedAt: new Date() } },
            );
          return { status: 'failed', sentAt: outcome.sentAt };
        }
        const sentAt = new Date(outcome.sentAt);
        if (step) await countStep(invitation, step, sentAt);
        // The invitation workflow is the document's only writer and runs one activity at a time, so
        // the status read above still holds; the filter stays `_id` alone (see sentEmail). A retry
        // after the email was sent (sendOnce answers the first sending) writes the same again, so the
        // reminder's time is added to a set.
        if (!STILL_UNANSWERED.includes(invitation.status)) return { status: 'sent', sentAt: sentAt.getTime() };
        await c.invitations(db).updateOne(
          { _id: invitation._id },
          args.kind === 'invitation'
            ? {
                $set: {
                  status: 'sent',
                  sentAt,
                  expiresAt: new Date(sentAt.getTime() + durationMs(program.expiresAfter)),
                  updatedAt: sentAt,
                },
              }
            : { $set: { status: 'reminded', updatedAt: sentAt }, $addToSet: { remindedAt: sentAt } },
        );
        return { status: 'sent', sentAt: sentAt.getTime() };
      });
    },

    /** Expires an unanswered invitation; a reply that raced the expiry wins. */
    async expireInvitation({ invitationId }: { invitationId: string }): Promise<{ expired: boolean }> {
      const invitation = await c.invitations(db).findOne({ _id: invitationId });
      if (invitation && ['sent', 'reminded'].includes(invitation.status))
        await c
          .invitations(db)
          .updateOne({ _id: invitationId }, { $set: { status: 'expired', updatedAt: new Date() } });
      const reply = await c.responses(db).findOne({ _id: invitationId }, { projection: { _id: 1 } });
      if (!reply) {
        // Counted on the day it was due to expire, which a retry on a later day does not move.
        if (invitation) await countStep(invitation, 'expired', invitation.expiresAt ?? invitation.updatedAt);
        return { expired: true };
      }
      await c.invitations(db).updateOne({ _id: invitationId }, { $set: { status: 'answered', updatedAt: new Date() } });
      return { expired: false };
    },
  };
}

/** Where sending the invitation or a reminder moves the invitation on; an answer or expiry stands. */
const STILL_UNANSWERED: c.InvitationStatus[] = ['scheduled', 'sent', 'reminded'];
