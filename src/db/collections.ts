import type { Db } from 'mongodb';
import type { ContactDecision } from '../domain/contact';
import type { ContactHistory } from '../domain/contact-history';
import type { TProgram } from '../domain/program';
import type { RollupDoc as RollupCounts } from '../domain/rollup';
import type { StoredRouting } from './routing';
import type { Unit } from '../domain/units';
import type { Goal } from '../domain/goals';
import type { ReplyScores } from '../domain/scoring';
import type { Answers } from '../domain/survey-schema';
import type { TLocalized } from '../domain/localize';
import type { Role, Scope } from '../domain/access';
import type { Calendar } from '../domain/business-hours';
import type { Priority } from '../domain/case-rules';
import type { CaseActionTexts, CaseStatus, SlaClock } from '../domain/cases';
import type { WebhookEvent } from '../domain/webhooks';
import type { CustomerProfile } from '../domain/customer';
import type { CampaignProgress } from '../domain/campaign';
import type { TQuadrantCutoffs } from '../domain/quadrants';
import type { TSample, TSegment } from '../domain/segment';

export interface CustomerDoc {
  _id: string;
  email: string;
  name?: string;
  locale: string;
  timezone?: string;
  attributes: Record<string, string | number | boolean>;
  /** Read through `findCustomer`: the unsubscribe itself is an `unsubscribes` document (older ones set this flag). */
  unsubscribed: boolean;
  unsubscribedAt?: Date;
  /** Erased on request: the record is a stub without personal data, never written or contacted again. */
  erasedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** A relationship program's completed wave day; insert-only, so the last one tells where the next wave starts. */
export interface WaveDayDoc {
  /** `<programId>:<day>` */
  _id: string;
  programId: string;
  /** UTC day number (days since 1970-01-01). */
  day: number;
  /** Customers due that day, and how many of them were handed to their loop now (not by an earlier run). */
  due: number;
  signalled: number;
  completedAt: Date;
}

/** A pulsed campaign as operations launched it; insert-only (its workflow owns the progress). */
export interface CampaignDoc {
  _id: string;
  name: string;
  /** The pulsed program whose survey the campaign sends. */
  programId: string;
  segment: TSegment;
  sample?: TSample;
  /** When the campaign starts selecting and sending. */
  startAt: Date;
  createdBy: string;
  createdAt: Date;
}

/**
 * One page of a campaign's audience as selected at launch: the chosen customers, in `_id` order,
 * keyed by the campaign and the customer before the page (`''` for the first), so each page is
 * read by `_id` — the only lookup FerretDB answers from an index. Written only by the selection.
 */
export interface CampaignAudiencePageDoc {
  _id: string;
  campaignId: string;
  customerIds: string[];
  /** The page's last customer: the key of the next page. */
  last: string;
  final: boolean;
}

/** A campaign's counters and status, written only by its workflow. */
export type CampaignProgressDoc = CampaignProgress & { _id: string; updatedAt: Date };

export interface EventDoc {
  _id: string;
  type: string;
  occurredAt: Date;
  customerId: string;
  data: Record<string, unknown>;
  /** The customer's profile as the event reported it; their loop applies it before deciding. */
  customer?: CustomerProfile;
  /** Sent with a key that may not write customers: the profile's email and name only create a record, never change one. */
  identityWrite?: 'create-only';
  receivedAt: Date;
  /** Set on a program's own event (a relationship wave's): it asks for that program alone, not for every program it triggers. */
  programId?: string;
  /** Set on a pulsed campaign's event: the loop reports its decision to the campaign. */
  campaignId?: string;
  /** Set once the customer's loop has decided on it; until then a sweep re-signals it. */
  processedAt?: Date;
}

export type ProgramDoc = TProgram & {
  _id: string;
  createdAt: Date;
  updatedAt: Date;
  /** The saved version (see ProgramVersionDoc); absent on programs saved before versions existed. */
  versionId?: string;
};

/** A program as it was saved, kept for the invitations sent with it; insert-only, keyed by its content. */
export interface ProgramVersionDoc {
  /** `<programId>@<content hash>` */
  _id: string;
  programId: string;
  program: TProgram;
  savedAt: Date;
}

export type ContactDecisionDoc = {
  _id: string;
  customerId: string;
  programId: string;
  eventId: string;
  decidedAt: Date;
  invitationId?: string;
} & Omit<ContactDecision, 'sendAt'> & { sendAt?: Date };

export const INVITATION_STATUSES = [
  'scheduled',
  'sent',
  'reminded',
  'answered',
  'expired',
  'failed',
  'cancelled',
] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export interface InvitationDoc {
  _id: string;
  /** SHA-256 of the survey link's token (see survey-tokens.ts); the token itself is never stored. */
  tokenHash: string;
  programId: string;
  customerId: string;
  eventId: string;
  email: string;
  locale: string;
  status: InvitationStatus;
  /** Customer attributes and event data the survey must not ask again (prefill). */
  known: Record<string, unknown>;
  sendAt: Date;
  /** The program version the invitation was created with: its survey, wording and scoring apply to it. */
  programVersion?: string;
  /** Who served the customer (the event's `data.agent`, an employee ID): their feedback page reads it. */
  agent?: string;
  sentAt?: Date;
  /** Absent until the first reminder (FerretDB drops empty arrays written by an upsert). */
  remindedAt?: Date[];
  expiresAt?: Date;
  answeredAt?: Date;
  failure?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ResponseDoc {
  /** The invitation's ID: one reply per invitation. */
  _id: string;
  invitationId: string;
  programId: string;
  customerId: string;
  answers: Answers;
  submittedAt: Date;
  updatedAt: Date;
  /** A second submission before this edits the reply; after it, it is refused. */
  editableUntil: Date;
  edits: number;
  /** Set when the reply was scored and counted in rollups; no edits after this. */
  finalizedAt?: Date;
  scores?: ReplyScores;
  /** Who served the customer, from the invitation, written when the reply is scored. */
  agent?: string;
}

export type RollupDoc = RollupCounts & {
  _id: string;
  programId: string;
  day: string;
  segment: string;
  /** The scores' owner's batch that wrote this document last (src/db/counted-keys.ts). */
  appliedBatch?: string;
};

/** A rollup's counters, as dashboards read them. */
export type RollupTotalsDoc = Omit<RollupDoc, 'appliedBatch'>;

/**
 * What dashboards read: a program's rollups of one month and segment, by day of the month (`DD`);
 * `_id` = program|YYYY-MM|segment (src/db/rollup-totals.ts). The `all` document lists the month's
 * segments.
 */
export interface RollupMonthDoc {
  _id: string;
  programId: string;
  month: string;
  segment: string;
  days?: Record<string, Omit<RollupTotalsDoc, '_id' | 'programId' | 'day' | 'segment'>>;
  segments?: string[];
}

/** Written by the worker only, apart from the customer record the web tier writes. */
/** One per customer, `_id` = customer ID, written only by the customer's loop (src/db/contact-history.ts). */
export type ContactHistoryDoc = { _id: string; updatedAt: Date } & ContactHistory;

/**
 * The one document (`_id` ROUTING_STATE_ID) case assignment reads: per owner (field key) the cases
 * not closed, per team (field key) the cases opened. Written only by the scores' owner, from the
 * cases' changes, as a counting document (src/db/counted-keys.ts); user and team IDs, no customer data.
 */
export interface RoutingStateDoc {
  _id: string;
  open?: Record<string, number>;
  opened?: Record<string, number>;
  appliedBatch?: string;
}

export interface CustomerScoreDoc {
  /** The customer's ID. */
  _id: string;
  /**
   * Scored replies and the sum of their summary scores. Absent while the customer has cases but no
   * scored reply: readers skip documents without a positive count.
   */
  count: number;
  sum: number;
  /** Cases opened against the account (counted since case metrics were kept). */
  cases?: number;
  /** The same by month (`YYYY-MM`) of the reply; absent for replies scored before months were kept. */
  months?: Record<string, { count: number; sum: number }>;
  /** The scores' owner's batch that wrote this document last (src/db/counted-keys.ts). */
  appliedBatch?: string;
}

/**
 * A key (reply, funnel step, case change) a rollup or customer score counts, claimed by the
 * scores' owner's batch that counts it; insert-only, `_id` = collection|document|key
 * (src/db/counted-keys.ts).
 */
export interface CountedKeyDoc {
  _id: string;
  batch: string;
}

/** A batch of the scores' owner whose every write is done; insert-only, `_id` = the batch. */
export interface AppliedBatchDoc {
  _id: string;
  at: Date;
}

export interface UserDoc {
  /** The email address in lower case. */
  _id: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
  /** A disabled user cannot sign in, and their sessions end at once. */
  disabled?: boolean;
  /** Raised by a password change or disabling: sessions signed in with an older value end. */
  authVersion?: number;
  /** Organisation units the person is assigned to; absent on people recorded before units (the root). */
  units?: string[];
  /** The ID events name them by (`data.agent`): their My feedback page and praise. */
  frontlineId?: string;
  createdAt: Date;
  updatedAt?: Date;
}

export interface ApiKeyDoc {
  /** SHA-256 of the key: the key itself is never stored. */
  _id: string;
  name: string;
  prefix: string;
  /** Absent on keys made before scopes existed: those were admin keys. */
  scopes?: Scope[];
  /** Routing team IDs the key is restricted to (its cases only); absent: organisation-wide. */
  teams?: string[];
  /** Organisation units the key is restricted to (their customers and insight); absent: all of them. */
  units?: string[];
  expiresAt?: Date;
  revokedAt?: Date;
  createdBy?: string;
  createdAt: Date;
}

/** A server-side admin session (express-session through connect-mongo; `_id` is a hash of the session ID). */
export interface SessionDoc {
  _id: string;
  expires: Date;
  session: { userId?: string; authVersion?: number; cookie: unknown };
}

/**
 * A rate-limit counter (`<limiter>:<key>`), shared by every web process: of rate-limiter-flexible's
 * MongoDB store, or of the per-request limits' store (src/web/rate-limits.ts), whose `_id` is the
 * key too. Refused once `expire` has passed and replaced at its next use.
 */
export interface RateLimitCounterDoc {
  key: string;
  points: number;
  expire: Date | null;
}

export interface EmailDoc {
  /** The idempotency key: one email per key, whatever the retries. */
  _id: string;
  kind: string;
  to: string;
  subject: string;
  messageId: string;
  status: 'sending' | 'sent' | 'failed';
  attempts: number;
  failure?: string;
  invitationId?: string;
  caseId?: string;
  sentAt?: Date;
  createdAt: Date;
}

export interface SinkMessageDoc {
  _id: string;
  receivedAt: Date;
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** How many times the message arrived (an SMTP retry after a lost reply delivers it again). */
  deliveries?: number;
}

/**
 * The one organisation tree (`_id: 'units'`), replaced whole by admins; `version` rises with each
 * save so that two editors cannot overwrite each other unseen.
 */
export interface UnitsDoc {
  _id: 'units';
  units: Unit[];
  version: number;
  updatedAt: Date;
  updatedBy: string;
}

/**
 * Each saved tree, insert-only, `_id` its version: inserting version N + 1 is the claim that makes
 * one of two saves from version N the winner (FerretDB does not apply a conditional replace
 * atomically); the winner then publishes it as the `units` document.
 */
export type UnitVersionDoc = Omit<UnitsDoc, '_id'> & { _id: string };

/**
 * A goal of one unit for one metric and period, `_id` = unit|metric|period (src/app/unit-comparison.ts);
 * replaced whole by its `_id` when its unit's manager or an admin sets it again.
 */
export type GoalDoc = { _id: string; unitId: string; setBy: string; setAt: Date } & Goal;

/** The one routing document (`_id: 'routing'`): teams, fallback team, escalation; replaced whole by admins. */
export type RoutingDoc = StoredRouting & { _id: 'routing'; updatedAt: Date; updatedBy: string };

/**
 * The invitation workflow has received the reply (`_id` = the reply's). Kept apart from the reply:
 * the customer may still be editing it, and FerretDB applies two concurrent updates of one
 * document outside a transaction, so a worker write could undo the customer's edit.
 */
export interface ReplyAckDoc {
  _id: string;
  at: Date;
}

/**
 * A survey token's hash → its invitation, insert-only: the survey page finds the invitation by two
 * `_id` lookups, which FerretDB v1 answers from its index, instead of by `tokenHash`, which it
 * answers by reading every invitation.
 */
export interface SurveyTokenDoc {
  _id: string;
  invitationId: string;
}

/**
 * A customer's unsubscribe, keyed by customer ID and only ever inserted: several web processes
 * may record it while others update the customer's profile, and an update of the customer
 * record could write back a copy read before it (FerretDB applies updates as read-modify-write).
 */
export interface UnsubscribeDoc {
  _id: string;
  at: Date;
  invitationId?: string;
  /** Set by the sweep (its only writer after the insert) once counted in the invitation's funnel. */
  countedAt?: Date;
}

/**
 * A scored reply at a touch point of its program's journey (`_id` = the reply's): insert-only,
 * written once by the reply's invitation workflow; the journey view reads them per program.
 */
export interface JourneyReplyDoc {
  _id: string;
  programId: string;
  customerId: string;
  /** The touch point's place in the journey, from 0. */
  step: number;
  touchPoint: string;
  /** The reply's summary score, 0–100. */
  score: number;
  at: Date;
}

/** A root cause marked fixed (the outer loop): insert-only, `_id` = the fix's ID. */
export interface RootCauseFixDoc {
  _id: string;
  rootCause: string;
  note: TLocalized;
  /** Cases resolved with the root cause on these days (YYYY-MM-DD) are told. */
  from: string;
  to: string;
  resurvey: boolean;
  programId: string;
  campaignId: string;
  by: string;
  at: Date;
}

/** A case: written only by its case workflow's activities (one owner), read by the UI and the API. */
export interface CaseDoc {
  /** The triggering reply's ID. */
  _id: string;
  customerId: string;
  programId: string;
  /** The reply that opened the case, then every reply attached to it while open. */
  replyIds: string[];
  reasons: string[];
  status: CaseStatus;
  priority: Priority;
  teamId: string;
  ownerId: string;
  mayContact: boolean;
  escalation: number;
  calendar: Calendar;
  firstResponse: SlaClock;
  resolution: SlaClock;
  rootCause?: string;
  customerMessage?: string;
  openedAt: Date;
  updatedAt: Date;
  resolvedAt?: Date;
  closedAt?: Date;
  /** The units its changes count in, root first: the opening reply's, fixed at open (absent before units). */
  unitPath?: string[];
  /** The timeline entry this document reflects: an older write never overwrites a newer one. */
  version: number;
}

/** One line of a case's timeline; insert-only (`_id` = case ID and sequence number). */
export interface CaseTimelineDoc {
  _id: string;
  caseId: string;
  seq: number;
  at: Date;
  /** Who acted: a user's email, an API key's name, or `cxloop` for the workflow itself. */
  actor: string;
  kind: string;
  summary: string;
  note?: string;
}

/**
 * The texts of an owner's action (`_id` = the action's update ID), stored by the web before the
 * case workflow gets the action without them; insert-only, read by the case's activities by `_id`.
 */
export interface CaseActionTextsDoc extends CaseActionTexts {
  _id: string;
  caseId: string;
  at: Date;
}

/**
 * A profile change (`_id` = a new ID per change), stored by the web before the customer's loop
 * gets its ID; read by the loop's activity by `_id`, which removes it once applied.
 */
export interface ProfileChangeDoc {
  _id: string;
  customerId: string;
  profile: CustomerProfile;
  at: Date;
}

/** Who changed what and when, with the state before and after; insert-only, read by admins. */
export interface AuditDoc {
  _id: string;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/**
 * The customer's open case for a program (`_id` = program and customer): inserted by whoever opens
 * the case (a duplicate key means one is open already) and removed by that case's workflow on close.
 */
export interface OpenCaseDoc {
  _id: string;
  caseId: string;
  at: Date;
}

/** One change of the organisation's quadrant cut-offs (insert-only: the newest applies). */
export type QuadrantCutoffsDoc = TQuadrantCutoffs & { _id: string; at: Date; by: string };

/** A webhook subscription, created by an admin; the secret signs every delivery (HMAC-SHA256). */
export interface WebhookDoc {
  _id: string;
  url: string;
  events: WebhookEvent[];
  description?: string;
  secret: string;
  createdBy: string;
  createdAt: Date;
}

/** One attempt to deliver one event to one webhook; insert-only. */
export interface WebhookAttemptDoc {
  /** The delivery ID and the attempt number. */
  _id: string;
  deliveryId: string;
  webhookId: string;
  event: WebhookEvent;
  /** The case of a case event; the customer of `customer.erased`. */
  caseId?: string;
  customerId?: string;
  attempt: number;
  at: Date;
  ok: boolean;
  status?: number;
  error?: string;
  /** The destination was refused (an internal address): not sent, not retried; `error` says why. */
  refused?: true;
}

/** A customer import and its progress, written only by the request that reads the file. */
export interface ImportDoc {
  _id: string;
  actor: string;
  status: 'running' | 'done' | 'failed';
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  startedAt: Date;
  finishedAt?: Date;
  error?: string;
}

/** One refused row of an import (insert-only; `_id` = import ID and line). */
export interface ImportErrorDoc {
  _id: string;
  importId: string;
  line: number;
  customerId?: string;
  message: string;
}

export interface SettingDoc {
  _id: string;
  value: string;
}

/**
 * One claim of a migration step (`_id` `<version>.<generation>`), inserted by the process that runs
 * it and written only by that process afterwards (heartbeat, progress, outcome). A stale claim is
 * taken over by inserting the next generation, so two processes never write one claim.
 */
export interface MigrationClaimDoc {
  _id: string;
  version: number;
  generation: number;
  name: string;
  claimedBy: string;
  claimedAt: Date;
  heartbeatAt: Date;
  takesOverFrom?: string;
  progress?: { done: number; total: number };
  doneAt?: Date;
  durationMs?: number;
  failedAt?: Date;
  error?: string;
}

/** Insert-only: one per run of a migration step, the history of who ran what. */
export interface MigrationRunDoc {
  _id: string;
  version: number;
  name: string;
  claimId: string;
  runner: string;
  startedAt: Date;
}

export const webhooks = (db: Db) => db.collection<WebhookDoc>('webhooks');
export const webhookAttempts = (db: Db) => db.collection<WebhookAttemptDoc>('webhook_attempts');
export const cases = (db: Db) => db.collection<CaseDoc>('cases');
export const caseTimeline = (db: Db) => db.collection<CaseTimelineDoc>('case_timeline');
export const caseActionTexts = (db: Db) => db.collection<CaseActionTextsDoc>('case_action_texts');
export const profileChanges = (db: Db) => db.collection<ProfileChangeDoc>('profile_changes');
export const auditLog = (db: Db) => db.collection<AuditDoc>('audit_log');
export const openCases = (db: Db) => db.collection<OpenCaseDoc>('open_cases');
export const quadrantCutoffs = (db: Db) => db.collection<QuadrantCutoffsDoc>('quadrant_cutoffs');
export const openCaseKey = (programId: string, customerId: string) => `${programId}:${customerId}`;
export const customers = (db: Db) => db.collection<CustomerDoc>('customers');
export const contactHistories = (db: Db) => db.collection<ContactHistoryDoc>('contact_histories');
export const customerScores = (db: Db) => db.collection<CustomerScoreDoc>('customer_scores');
export const routingState = (db: Db) => db.collection<RoutingStateDoc>('routing_state');
export const events = (db: Db) => db.collection<EventDoc>('events');
export const programs = (db: Db) => db.collection<ProgramDoc>('programs');
export const contactDecisions = (db: Db) => db.collection<ContactDecisionDoc>('contact_decisions');
export const invitations = (db: Db) => db.collection<InvitationDoc>('invitations');
export const responses = (db: Db) => db.collection<ResponseDoc>('responses');
export const rollups = (db: Db) => db.collection<RollupDoc>('rollups');
export const countedKeys = (db: Db) => db.collection<CountedKeyDoc>('counted_keys');
export const appliedBatches = (db: Db) => db.collection<AppliedBatchDoc>('applied_batches');
export const rollupMonths = (db: Db) => db.collection<RollupMonthDoc>('rollup_months');
export const users = (db: Db) => db.collection<UserDoc>('users');
export const apiKeys = (db: Db) => db.collection<ApiKeyDoc>('api_keys');
export const sessions = (db: Db) => db.collection<SessionDoc>('sessions');
export const RATE_LIMITS = 'rate_limits';
export const rateLimitCounters = (db: Db) => db.collection<RateLimitCounterDoc>(RATE_LIMITS);
export const emails = (db: Db) => db.collection<EmailDoc>('emails');
export const sinkMessages = (db: Db) => db.collection<SinkMessageDoc>('sink_messages');
export const settings = (db: Db) => db.collection<SettingDoc>('settings');
export const migrations = (db: Db) => db.collection<MigrationClaimDoc>('migrations');
export const migrationRuns = (db: Db) => db.collection<MigrationRunDoc>('migration_runs');
export const replyAcks = (db: Db) => db.collection<ReplyAckDoc>('reply_acks');
export const surveyTokens = (db: Db) => db.collection<SurveyTokenDoc>('survey_tokens');
export const unsubscribes = (db: Db) => db.collection<UnsubscribeDoc>('unsubscribes');
export const journeyReplies = (db: Db) => db.collection<JourneyReplyDoc>('journey_replies');
export const rootCauseFixes = (db: Db) => db.collection<RootCauseFixDoc>('root_cause_fixes');
export const routing = (db: Db) => db.collection<RoutingDoc>('routing');
export const orgUnits = (db: Db) => db.collection<UnitsDoc>('org_units');
export const orgUnitVersions = (db: Db) => db.collection<UnitVersionDoc>('org_unit_versions');
export const goals = (db: Db) => db.collection<GoalDoc>('goals');
export const imports = (db: Db) => db.collection<ImportDoc>('imports');
export const importErrors = (db: Db) => db.collection<ImportErrorDoc>('import_errors');
export const programVersions = (db: Db) => db.collection<ProgramVersionDoc>('program_versions');
export const waveDays = (db: Db) => db.collection<WaveDayDoc>('wave_days');
export const campaigns = (db: Db) => db.collection<CampaignDoc>('campaigns');
export const campaignProgress = (db: Db) => db.collection<CampaignProgressDoc>('campaign_progress');
export const campaignAudience = (db: Db) => db.collection<CampaignAudiencePageDoc>('campaign_audience');
export const campaignAudienceKey = (campaignId: string, after: string | undefined) => `${campaignId}:${after ?? ''}`;

/** Summary score per customer (0–100, the mean of their replies' summaries), for the IDs given. */
export async function summaryScores(
  db: Db,
  customerIds: string[],
): Promise<Map<string, { score: number; replies: number }>> {
  const docs = await customerScores(db)
    .find({ _id: { $in: customerIds } })
    .toArray();
  return new Map(
    docs
      .filter((d) => d.count > 0)
      .map((d) => [d._id, { score: Math.round((d.sum / d.count) * 10) / 10, replies: d.count }]),
  );
}
