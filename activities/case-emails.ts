import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { findCustomer } from '../src/db/customers';
import { cachedProgram } from '../src/db/programs';
import { cachedUser } from '../src/db/users';
import { type CaseStatus, STATUS_LABELS } from '../src/domain/cases';
import type { Priority } from '../src/domain/priority';
import { localize } from '../src/domain/localize';
import type { Mailer } from '../src/mail/mailer';
import type { Templates } from '../src/mail/templates';
import { storedTexts } from './case-records';
import { currentRouting } from './case-routing';
import { sendOnce } from './email-once';
import { whileBeating } from './heartbeat';

export interface CaseEmailDeps {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  publicBaseUrl: string;
  mailFrom: string;
}

/**
 * What the case workflow knows of its case when it sends an email, so the activity need not read
 * it again: never personal data (the customer is read here) nor the resolution's message (read
 * from the case document: owners' texts stay out of Temporal's histories).
 */
export interface CaseSnapshot {
  customerId: string;
  programId: string;
  status: CaseStatus;
  priority: Priority;
  reasons: string[];
  mayContact: boolean;
  ownerId: string;
  teamId: string;
  /** Known while the case is with its first team; read otherwise. The owner's name is read: a person's name stays out of histories. */
  teamName?: string;
}

/** The emails a case sends; customer-facing ones go through the program's locale templates. */
export type CaseEmailKind = 'assigned' | 'escalated' | 'reopened' | 'acknowledgement' | 'contact' | 'resolution';
const CUSTOMER_EMAILS = new Set<CaseEmailKind>(['acknowledgement', 'contact', 'resolution']);

/** The emails about a case: to its owner or a manager, and to the customer while they may be contacted. */
export function createCaseEmailActivities({ db, mailer, templates, publicBaseUrl, mailFrom }: CaseEmailDeps) {
  const caseUrl = (caseId: string) => `${publicBaseUrl}/admin/cases/${encodeURIComponent(caseId)}`;

  return {
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
      /** The case as the workflow knows it (absent in older histories: read). */
      case?: CaseSnapshot;
    }): Promise<{ status: 'sent' | 'failed' | 'skipped' }> {
      return whileBeating(async () => {
        const doc = await caseOf(db, args);
        const texts = args.textId ? await storedTexts(db, args.textId) : {};
        const subjectText = args.subject ?? texts.subject;
        const message = args.message ?? texts.message ?? (args.kind === 'resolution' ? doc.customerMessage : undefined);
        // A customer's email needs their consent and the program; a notice to an owner or manager neither.
        const toCustomer = CUSTOMER_EMAILS.has(args.kind);
        const [customer, program, owner, routing] = await Promise.all([
          toCustomer ? findCustomer(db, doc.customerId) : c.customers(db).findOne({ _id: doc.customerId }),
          toCustomer ? cachedProgram(db, doc.programId) : null,
          cachedUser(db, doc.ownerId),
          doc.teamName === undefined ? currentRouting(db) : null,
        ]);
        if (!customer || (toCustomer && !program))
          throw ApplicationFailure.nonRetryable(`case ${args.caseId} lost its customer or program`);
        const teamName = doc.teamName ?? routing?.teams.find((t) => t.id === doc.teamId)?.name ?? doc.teamId;
        const ownerName = owner?.name ?? doc.ownerId;
        const idempotencyKey = `case:${args.caseId}:${args.key}`;

        if (toCustomer && program) {
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
  };
}

/**
 * The case an email is about: the workflow's snapshot, with the resolution's message read from
 * the case document when the email needs it; the whole document in older histories.
 */
async function caseOf(
  db: Db,
  args: { caseId: string; kind: CaseEmailKind; message?: string; case?: CaseSnapshot },
): Promise<CaseSnapshot & { customerMessage?: string }> {
  const needsMessage = args.kind === 'resolution' && args.message === undefined;
  if (args.case && !needsMessage) return args.case;
  const doc = await c.cases(db).findOne({ _id: args.caseId }, args.case ? { projection: { customerMessage: 1 } } : {});
  if (!doc) throw ApplicationFailure.nonRetryable(`no case ${args.caseId}`);
  return args.case ? { ...args.case, customerMessage: doc.customerMessage } : doc;
}
