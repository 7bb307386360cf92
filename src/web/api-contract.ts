import { z } from 'zod';
import { SCOPES, type Scope } from '../domain/access';
import { CASE_ACTIONS } from '../domain/cases';
import { ZCaseAction } from '../domain/case-schemas';
import { ZFixInput } from '../domain/fixes';
import { ZProgram } from '../domain/program';
import { ZRouting } from '../domain/routing';
import { ZQuadrantCutoffs } from '../domain/quadrants';
import { ZWebhookInput } from '../domain/webhook-schema';
import { ZCampaignAction, ZCampaignInput, ZCampaignPreview } from '../app/campaigns';
import { CASE_TABLES } from '../app/case-metrics';
import { ZCaseFilter } from '../app/cases';
import { ZImportOptions } from '../app/imports';
import { DASHBOARD_TABLES, ZDashboardQuery } from '../app/insight';
import { ZJourneyQuery } from '../app/journeys';
import { ZApiKeyInput, ZUserChange, ZUserInput } from '../app/people';
import { ZUnitTreeInput } from '../app/units';
import { ZGoalKey, ZUnitComparisonQuery, ZUnitGoalInput } from '../app/unit-comparison';
import { ZQuadrantQuery } from '../app/quadrants';
import { MAX_BATCH, ZCustomerInput, ZEventInput, ZExternalId, ZPage } from '../app/schemas';
import * as R from './api-responses';

/**
 * The JSON API's contract: one row per route, with the zod schemas the route validates its input
 * with and the schemas of what it answers. The OpenAPI document (`openapi-document.ts`) and the
 * reference page are built from this table, a test checks that Express's routes and their access
 * match it, and the API tests validate every answer they receive against the document.
 */
export type Method = 'get' | 'post' | 'put' | 'delete';

export interface ApiResponse {
  description: string;
  /** The JSON body; absent with `csv` or for an empty answer (204). */
  schema?: z.ZodType;
  csv?: true;
}

export interface ApiOperation {
  method: Method;
  /** OpenAPI's form: `/api/cases/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** The key scopes the route accepts (`admin` keys may do everything); `teamKeys`: team-restricted keys too. */
  scopes: readonly Scope[];
  teamKeys?: true;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** The JSON body, or a CSV upload. */
  body?: z.ZodType | 'csv';
  bodyRequired?: boolean;
  /** Answers particular to the route; the errors every route may give are added. */
  responses: Record<number, ApiResponse>;
}

const ok = (description: string, schema?: z.ZodType): ApiResponse => ({ description, schema });
const csv = (description = 'A CSV download (text/csv, UTF-8)'): ApiResponse => ({ description, csv: true });
export const err = (description: string): ApiResponse => ({ description, schema: R.ZError });

const idParam = (what: string, schema: z.ZodType = z.string().min(1)) => z.object({ id: schema.describe(what) });
const pageQuery = ZPage;
const ZCauseParams = z.object({ cause: z.string().max(200).describe('A root cause of the routing') });
const ZCaseIdParams = idParam('The case ID (the ID of the reply that opened it)', z.string().max(400));

/** The fields of the owner actions, without `action` (the path names it). */
const caseActionFields: Record<string, z.ZodType> = {};
for (const option of ZCaseAction.options)
  for (const [name, field] of Object.entries(option.shape as Record<string, z.ZodType>))
    if (name !== 'action') caseActionFields[name] = field.optional();
const ZCaseActionBody = z
  .object(caseActionFields)
  .strict()
  .describe(
    'note: note (required), wait, resume, reassign, resolve, reopen (required); subject and message: contact; ownerId: reassign; rootCause (required) and customerMessage: resolve',
  );

const ZEventBatchDoc = z
  .object({ events: z.array(ZEventInput).min(1).max(MAX_BATCH) })
  .strict()
  .describe('Up to 1,000 events; when any is invalid none is accepted and `details` lists each by index');

const notFound = (what: string) => ({ 404: err(`No such ${what}`) });
export const TEMPORAL_DOWN =
  'Temporal is unreachable or the workflow did not answer in time; retry after `Retry-After` seconds';

export const API_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/api/openapi.json',
    tag: 'Reference',
    summary: 'This document',
    description: 'Open to every key, team-restricted ones included: it holds no data.',
    scopes: SCOPES,
    teamKeys: true,
    responses: { 200: ok('The OpenAPI 3.1 document', z.looseObject({ openapi: z.string() })) },
  },
  {
    method: 'post',
    path: '/api/events',
    tag: 'Events',
    summary: 'Record a transaction or touch point; it may trigger a survey',
    description:
      "`id` is the idempotency key. With a key without the `write` scope an existing customer's email and name are not changed: `ignored` names those fields and `reason` says why.",
    scopes: ['events:write'],
    body: ZEventInput,
    responses: {
      202: ok(
        'Stored; `duplicate` when this idempotency key was seen before; `erased` when the customer was erased (nothing kept, nobody contacted)',
        R.ZEventOutcome,
      ),
    },
  },
  {
    method: 'post',
    path: '/api/events:batch',
    tag: 'Events',
    summary: 'Record up to 1,000 events; if any is invalid none is accepted',
    scopes: ['events:write'],
    body: ZEventBatchDoc,
    responses: {
      202: ok(
        'One result per event, in order, each as for a single event; a repeated ID is a duplicate of its first',
        z.object({ results: z.array(R.ZEventOutcome) }),
      ),
    },
  },
  {
    method: 'get',
    path: '/api/customers',
    tag: 'Customers',
    summary: 'List customers, by ID',
    scopes: ['read'],
    query: pageQuery,
    responses: { 200: ok('One page of customers', R.pageOf(R.ZCustomer)) },
  },
  {
    method: 'get',
    path: '/api/customers/{id}',
    tag: 'Customers',
    summary: 'A customer with contact decisions, invitations, replies and summary score',
    scopes: ['read'],
    params: idParam('The customer ID', ZExternalId),
    responses: { 200: ok('The customer', R.ZCustomerDetail), ...notFound('customer') },
  },
  {
    method: 'put',
    path: '/api/customers/{id}',
    tag: 'Customers',
    summary: 'Create or update a customer; attributes merge',
    description:
      "Applied by the customer's loop, in turn with their events. The body's `id`, if any, is replaced by the path's.",
    scopes: ['write'],
    params: idParam('The customer ID', ZExternalId),
    body: ZCustomerInput.omit({ id: true }),
    bodyRequired: true,
    responses: {
      200: ok('The stored customer', R.ZCustomer),
      410: err('The customer was erased and cannot be recreated'),
    },
  },
  {
    method: 'delete',
    path: '/api/customers/{id}',
    tag: 'Customers',
    summary: 'Erase a customer (admin scope)',
    description:
      'Profile, email address, written answers and outbox copies are removed, running invitations cancelled, scores kept anonymously in the rollups; never contacted again.',
    scopes: ['admin'],
    params: idParam('The customer ID', ZExternalId),
    responses: {
      200: ok('Erased; counts of what was cancelled and cleared', R.ZCustomerErased),
      ...notFound('customer'),
    },
  },
  {
    method: 'post',
    path: '/api/customers:import',
    tag: 'Customers',
    summary: 'Create or update customers from a CSV file',
    description:
      'text/csv, up to 50 MB: first line the column names, `id` and `email` required, `name`, `locale`, `timezone` optional, every other column an attribute; unchanged rows are left alone. A large file answers 202 and runs on; follow it at `GET /api/imports/{id}`.',
    scopes: ['write'],
    query: ZImportOptions,
    body: 'csv',
    bodyRequired: true,
    responses: {
      200: ok('The import, finished', R.ZImport),
      202: ok('The import, still running', R.ZImport),
      409: err('The import ID belongs to another import'),
      415: err('Not sent as text/csv'),
    },
  },
  {
    method: 'get',
    path: '/api/imports/{id}',
    tag: 'Customers',
    summary: "An import's status and counts",
    scopes: ['read'],
    params: idParam('The import ID', ZExternalId),
    responses: { 200: ok('The import', R.ZImport), ...notFound('import') },
  },
  {
    method: 'get',
    path: '/api/imports/{id}/errors.csv',
    tag: 'Customers',
    summary: "An import's refused rows as CSV: line, customerId, message",
    scopes: ['read'],
    params: idParam('The import ID', ZExternalId),
    responses: { 200: csv(), ...notFound('import') },
  },
  {
    method: 'get',
    path: '/api/export/customers.csv',
    tag: 'Exports',
    summary: 'All customers as CSV, streamed',
    description: 'One `attributes.<name>` column per attribute, consent and erasure flags. Audited.',
    scopes: ['read'],
    responses: { 200: csv() },
  },
  {
    method: 'get',
    path: '/api/export/replies.csv',
    tag: 'Exports',
    summary: 'Replies as CSV, streamed: scores, themes, verbatim, answers as JSON',
    scopes: ['read'],
    query: z.object({ programId: ZExternalId.optional().describe('Only this program') }),
    responses: { 200: csv() },
  },
  {
    method: 'get',
    path: '/api/export/cases.csv',
    tag: 'Exports',
    summary: 'Cases as CSV, streamed: status, priority, team, owner, reasons, root cause, dates',
    description: 'A team-restricted key gets its teams’ cases only.',
    scopes: ['read'],
    teamKeys: true,
    query: z.object({ programId: ZExternalId.optional().describe('Only this program') }),
    responses: { 200: csv() },
  },
  {
    method: 'get',
    path: '/api/invitations',
    tag: 'Surveys',
    summary: 'Survey invitations, newest first',
    scopes: ['read'],
    query: pageQuery.extend({ customerId: z.string().optional().describe("Only this customer's") }),
    responses: { 200: ok('One page of invitations', R.pageOf(R.ZInvitation)) },
  },
  {
    method: 'get',
    path: '/api/responses',
    tag: 'Surveys',
    summary: 'Survey replies, newest first, with answers and scores',
    scopes: ['read'],
    query: pageQuery.extend({
      customerId: z.string().optional().describe("Only this customer's"),
      programId: z.string().optional().describe("Only this program's"),
    }),
    responses: { 200: ok('One page of replies', R.pageOf(R.ZReply)) },
  },
  {
    method: 'get',
    path: '/api/programs',
    tag: 'Programs',
    summary: 'List survey programs, by ID',
    scopes: ['read'],
    query: pageQuery,
    responses: { 200: ok('One page of programs', R.pageOf(R.ZStoredProgram)) },
  },
  {
    method: 'get',
    path: '/api/programs/{id}',
    tag: 'Programs',
    summary: 'One survey program',
    scopes: ['read'],
    params: idParam('The program ID'),
    responses: { 200: ok('The program', R.ZStoredProgram), ...notFound('program') },
  },
  {
    method: 'put',
    path: '/api/programs/{id}',
    tag: 'Programs',
    summary: 'Create or replace a survey program',
    description:
      "Validated: kind, triggers, cadence, delay, audience, survey, reminders, expiry, email, contact rules, themes, case rules. The body's `id`, if any, is replaced by the path's. A relationship program gets a Temporal Schedule running its daily wave; `waveSchedule` says its state: active, paused, none, or pending (Temporal unreachable; the sweep completes it).",
    scopes: ['write'],
    params: idParam('The program ID'),
    body: ZProgram,
    bodyRequired: true,
    responses: { 200: ok('Updated', R.ZSavedProgram), 201: ok('Created', R.ZSavedProgram) },
  },
  {
    method: 'delete',
    path: '/api/programs/{id}',
    tag: 'Programs',
    summary: 'Delete a program nobody has been invited to yet, with its schedule',
    description: 'A program that has invitations cannot be deleted: pause it instead.',
    scopes: ['write'],
    params: idParam('The program ID'),
    responses: {
      200: ok('Deleted', R.ZProgramDeleted),
      ...notFound('program'),
      409: err('The program has invitations; pause it instead'),
    },
  },
  {
    method: 'post',
    path: '/api/campaigns:preview',
    tag: 'Campaigns',
    summary: 'How many customers a segment matches now and how many a sample takes',
    scopes: ['read'],
    body: ZCampaignPreview,
    bodyRequired: true,
    responses: { 200: ok('The counts', R.ZCampaignPreviewResult) },
  },
  {
    method: 'get',
    path: '/api/campaigns',
    tag: 'Campaigns',
    summary: 'List pulsed campaigns, newest first, each with its progress',
    scopes: ['read'],
    query: pageQuery,
    responses: { 200: ok('One page of campaigns', R.pageOf(R.ZCampaign)) },
  },
  {
    method: 'post',
    path: '/api/campaigns',
    tag: 'Campaigns',
    summary: 'Launch a pulsed campaign',
    description:
      'The program must be an active pulsed one. The same ID again (a double click, a retry) is the same campaign: 200 and nothing changes; with other settings 409.',
    scopes: ['write'],
    body: ZCampaignInput,
    bodyRequired: true,
    responses: {
      201: ok('Launched', R.ZCampaign),
      200: ok('Launched before', R.ZCampaign),
      409: err('The ID is taken by another campaign, or the program is paused'),
    },
  },
  {
    method: 'get',
    path: '/api/campaigns/{id}',
    tag: 'Campaigns',
    summary:
      'One campaign with its progress: status, matched, sampled, signalled, decided, sent, deferred, skipped by rule, answered, expired',
    scopes: ['read'],
    params: idParam('The campaign ID'),
    responses: { 200: ok('The campaign', R.ZCampaign), ...notFound('campaign') },
  },
  {
    method: 'post',
    path: '/api/campaigns/{id}/{action}',
    tag: 'Campaigns',
    summary: 'Pause, resume or cancel a campaign; answered with its progress once applied',
    scopes: ['write'],
    params: z.object({ id: z.string().min(1).describe('The campaign ID'), action: ZCampaignAction }),
    responses: {
      200: ok("Applied; the campaign's progress", R.ZCampaignProgress),
      ...notFound('campaign'),
      409: err('Not possible in its current status'),
    },
  },
  {
    method: 'get',
    path: '/api/metrics/experience',
    tag: 'Insight',
    summary: 'The experience dashboard as JSON, from the daily rollups',
    description:
      'Headline scores for the period and its comparison, NPS/CSAT/CES per time bucket (day up to 31 days, week up to 183, else month), the split by region, location, platform, channel, vertical and product, the response funnel (invited, reminded, answered, expired, unsubscribed, each with its share of the invited) and the top verbatim themes with their latest example comments.',
    scopes: ['read'],
    query: ZDashboardQuery,
    responses: { 200: ok('The dashboard', R.ZExperienceReport) },
  },
  {
    method: 'get',
    path: '/api/metrics/experience/{table}.csv',
    tag: 'Insight',
    summary: "One of the experience dashboard's tables as CSV",
    scopes: ['read'],
    params: z.object({ table: z.enum(DASHBOARD_TABLES) }),
    query: ZDashboardQuery,
    responses: { 200: csv(), 404: err('No such table') },
  },
  {
    method: 'get',
    path: '/api/metrics/cases',
    tag: 'Insight',
    summary: 'Case metrics as JSON, from the daily rollups',
    description:
      'Opened, resolved, reopened, closed, escalations, median and 90th-percentile resolution time in business hours, first-contact resolution, SLA breach and reopen rates for the period and its comparison; cases opened and resolved per time bucket; root causes ranked; the backlog per team and owner now; post-resolution CSAT; resolutions, median and 90th-percentile resolution time and post-resolution CSAT (n, 95 % interval) per owner and per root cause (`byOwner`, `byRootCause`); the accounts with most cases and their revenue. The filters are those of the experience dashboard (segment and metric are ignored).',
    scopes: ['read'],
    query: ZDashboardQuery,
    responses: { 200: ok('The report', R.ZCaseMetricsReport) },
  },
  {
    method: 'get',
    path: '/api/metrics/cases/{table}.csv',
    tag: 'Insight',
    summary: "One of the case-metrics page's tables as CSV",
    scopes: ['read'],
    params: z.object({ table: z.enum(CASE_TABLES) }),
    query: ZDashboardQuery,
    responses: { 200: csv(), 404: err('No such table') },
  },
  {
    method: 'get',
    path: '/api/metrics/journeys',
    tag: 'Insight',
    summary: "Every program's journey",
    description:
      'Per touch point in order: the customers, average score, share satisfied there, share satisfied at every touch point so far, share whose score fell since the touch point before, and whether the journey is flagged (each touch point scores well, but few are satisfied all the way).',
    scopes: ['read'],
    query: ZJourneyQuery,
    responses: { 200: ok('The journeys', z.array(R.ZJourney)) },
  },
  {
    method: 'get',
    path: '/api/metrics/journeys/{programId}',
    tag: 'Insight',
    summary: "One program's journey (as in the list)",
    scopes: ['read'],
    params: z.object({ programId: z.string().min(1) }),
    query: ZJourneyQuery,
    responses: { 200: ok('The journey', R.ZJourney), 404: err('The program has no journey') },
  },
  {
    method: 'get',
    path: '/api/metrics/journeys/{programId}.csv',
    tag: 'Insight',
    summary:
      "One program's journey as CSV: step, touchPoint, customers, averageScore, satisfiedPercent, cumulativePercent, fellPercent",
    scopes: ['read'],
    params: z.object({ programId: z.string().min(1) }),
    query: ZJourneyQuery,
    responses: { 200: csv(), 404: err('The program has no journey') },
  },
  {
    method: 'get',
    path: '/api/metrics/quadrants',
    tag: 'Insight',
    summary: 'Customer quadrants by summary score and revenue',
    description:
      'Every scored customer placed (model, growth, at-risk, dangling) with the cut-offs in force, counts per quadrant, movement since the scores before `since`, and the At-Risk accounts by revenue.',
    scopes: ['read'],
    query: ZQuadrantQuery,
    responses: { 200: ok('The report', R.ZQuadrantReport) },
  },
  {
    method: 'get',
    path: '/api/metrics/quadrants/accounts.csv',
    tag: 'Insight',
    summary: 'Every placed account as CSV: id, name, score, revenue, quadrant, previousQuadrant',
    scopes: ['read'],
    query: ZQuadrantQuery,
    responses: { 200: csv() },
  },
  {
    method: 'put',
    path: '/api/quadrant-cutoffs',
    tag: 'Insight',
    summary: "Set the organisation's quadrant cut-offs (recorded in the audit log)",
    scopes: ['write'],
    body: ZQuadrantCutoffs,
    bodyRequired: true,
    responses: { 200: ok('The cut-offs now in force', R.ZQuadrantCutoffsView) },
  },
  {
    method: 'get',
    path: '/api/root-causes/{cause}',
    tag: 'Root causes',
    summary: "A root cause's fixes, newest first",
    description:
      "Each fix with its campaign's progress and its effect: the affected customers' mean summary score before and after the fix.",
    scopes: ['read'],
    params: ZCauseParams,
    responses: { 200: ok('The root cause', R.ZRootCauseReport), ...notFound('root cause') },
  },
  {
    method: 'get',
    path: '/api/root-causes/{cause}/fixes.csv',
    tag: 'Root causes',
    summary:
      "A root cause's fixes as CSV: fixId, fixedAt, by, casesFrom, casesTo, resurvey, campaignStatus, matched, sent, answered, customersBeforeAndAfter, scoreBefore, scoreAfter, improved",
    scopes: ['read'],
    params: ZCauseParams,
    responses: { 200: csv(), ...notFound('root cause') },
  },
  {
    method: 'post',
    path: '/api/root-causes/{cause}/fixes',
    tag: 'Root causes',
    summary: 'Mark the root cause fixed (the outer loop)',
    description:
      'Every customer whose case was resolved with it in the period (`from`–`to`) gets a "we fixed it" email in their locale (with one question when `resurvey`), as a campaign that respects unsubscribes and contact rules. The same `id` again answers 200 and launches nothing new.',
    scopes: ['write'],
    params: ZCauseParams,
    body: ZFixInput,
    bodyRequired: true,
    responses: {
      201: ok('Fixed; the campaign is launched', R.ZFixOutcome),
      200: ok('The same fix, already launched', R.ZFixOutcome),
      ...notFound('root cause'),
      409: err('The fix ID belongs to another root cause'),
    },
  },
  {
    method: 'get',
    path: '/api/cases',
    tag: 'Cases',
    summary: 'Cases, newest first, with filters',
    description: 'A team-restricted key lists its teams’ cases only.',
    scopes: ['read'],
    teamKeys: true,
    query: pageQuery.extend(ZCaseFilter.shape),
    responses: {
      200: ok('One page of cases and how many match (`total`)', R.pageOf(R.ZCase).extend({ total: z.number().int() })),
    },
  },
  {
    method: 'get',
    path: '/api/cases/{id}',
    tag: 'Cases',
    summary: 'One case with its SLA badges and timeline',
    description: 'Another team’s case is a 403 for a team-restricted key.',
    scopes: ['read'],
    teamKeys: true,
    params: ZCaseIdParams,
    responses: { 200: ok('The case', R.ZCaseDetail), ...notFound('case') },
  },
  {
    method: 'post',
    path: '/api/cases/{id}/{action}',
    tag: 'Cases',
    summary: 'An owner action: ' + CASE_ACTIONS.join(', '),
    description:
      'Refused with 409 and the reason when it does not fit the case, and with 403 (before the case hears of it) when a team-restricted key acts on another team’s case. An `Idempotency-Key` header (8–100 letters, digits, - or _) makes a retried request the same action.',
    scopes: ['write'],
    teamKeys: true,
    params: ZCaseIdParams.extend({ action: z.enum(CASE_ACTIONS) }),
    body: ZCaseActionBody,
    responses: {
      200: ok('The case after the action', R.ZCaseState),
      ...notFound('case'),
      409: err('The action does not fit the case now; `error` says why'),
    },
  },
  {
    method: 'get',
    path: '/api/routing',
    tag: 'Routing',
    summary: 'Teams in rule order, the fallback team and who each manager escalates to',
    scopes: ['read'],
    responses: { 200: ok('The routing', R.ZRoutingView), 404: err('Not set up yet') },
  },
  {
    method: 'put',
    path: '/api/routing',
    tag: 'Routing',
    summary: 'Replace the routing (admin scope)',
    description: 'Members and managers must be enabled case-handling users.',
    scopes: ['admin'],
    body: ZRouting,
    bodyRequired: true,
    responses: { 200: ok('The routing as saved', R.ZRoutingView) },
  },
  {
    method: 'get',
    path: '/api/units',
    tag: 'Units',
    summary: 'The organisation units (company → region or vertical → location) and the tree’s version',
    description:
      'A customer belongs to the root and, going down, to the child whose rule (`match`) its attributes meet. Before any save: the root alone, version 0.',
    scopes: ['read'],
    responses: { 200: ok('The tree', R.ZUnitTree) },
  },
  {
    method: 'put',
    path: '/api/units',
    tag: 'Units',
    summary: 'Replace the organisation units (admin scope)',
    description:
      'Send the whole tree with the `version` you read. One root with an empty rule; every other unit a rule that its siblings’ rules do not overlap; at most 6 levels and 500 units; managers are users. A unit that people, API keys or routing teams still name cannot be deleted (409 naming them).',
    scopes: ['admin'],
    body: ZUnitTreeInput,
    bodyRequired: true,
    responses: {
      200: ok('The tree as saved, with its new version', R.ZUnitTree),
      409: err('Someone saved since `version` (reload and retry), or a deleted unit is still in use'),
    },
  },
  {
    method: 'get',
    path: '/api/units/{id}/comparison',
    tag: 'Units',
    summary: 'A unit and the units below it side by side, with 95 % intervals and goals',
    description:
      'Per unit over the period: replies, and the summary score, NPS, CSAT and CES with their 95 % confidence intervals; units under 30 replies are not ranked (`ranked: false`). With the goals set for the period and where each stands. A unit outside the key’s units: 403.',
    scopes: ['read'],
    params: z.object({ id: z.string().min(1) }),
    query: ZUnitComparisonQuery.omit({ unit: true }),
    responses: { 200: ok('The comparison', R.ZUnitComparison), ...notFound('unit') },
  },
  {
    method: 'get',
    path: '/api/goals',
    tag: 'Units',
    summary: 'The goals of a unit and the units below it for a period, with where each stands',
    scopes: ['read'],
    query: ZUnitComparisonQuery,
    responses: { 200: ok('The goals', z.array(R.ZGoalView)), ...notFound('unit') },
  },
  {
    method: 'put',
    path: '/api/goals',
    tag: 'Units',
    summary: 'Set a unit’s goal for a metric and period (admin scope), replacing the one there was',
    description:
      'E.g. `{"unit": "eu", "metric": "nps", "comparator": ">=", "target": 40, "period": "2027-Q1"}`. The target must be within the metric’s range (NPS −100 to 100, CSAT and summary 0 to 100, CES 1 to 7). A key restricted to units sets goals of its units only. Audited.',
    scopes: ['admin'],
    body: ZUnitGoalInput,
    bodyRequired: true,
    responses: { 200: ok('The goal as set', R.ZStoredGoal), ...notFound('unit') },
  },
  {
    method: 'delete',
    path: '/api/goals/{unit}/{metric}/{period}',
    tag: 'Units',
    summary: 'Delete a unit’s goal for a metric and period (admin scope)',
    description:
      'E.g. `DELETE /api/goals/eu/nps/2027-Q1`. A key restricted to units deletes goals of its units only. Audited (`goal.delete`).',
    scopes: ['admin'],
    params: ZGoalKey,
    responses: { 200: ok('The goal as it was', R.ZStoredGoal), ...notFound('unit or goal') },
  },
  {
    method: 'get',
    path: '/api/outbox',
    tag: 'Outbox',
    summary: 'Emails caught by the embedded SMTP sink, newest first (embedded mode only)',
    scopes: ['admin'],
    query: pageQuery.extend({ to: z.string().optional().describe('Recipient contains this, any case') }),
    responses: { 200: ok('One page of messages', R.pageOf(R.ZOutboxMessage)), 404: err('Not in embedded mode') },
  },
  {
    method: 'get',
    path: '/api/users',
    tag: 'People',
    summary: 'People who sign in to the admin UI (admin scope), by email',
    scopes: ['admin'],
    query: pageQuery,
    responses: { 200: ok('One page of users', R.pageOf(R.ZUser)) },
  },
  {
    method: 'post',
    path: '/api/users',
    tag: 'People',
    summary: 'Add a user (admin scope)',
    scopes: ['admin'],
    body: ZUserInput,
    bodyRequired: true,
    responses: { 201: ok('The user', R.ZUser), 409: err('The email is taken') },
  },
  {
    method: 'post',
    path: '/api/users/{id}',
    tag: 'People',
    summary: 'Change a user (admin scope): role, disable, enable, password, units, frontline',
    description:
      'Disabling and a new password end their sessions. `units` replaces the organisation units the person works in (an empty list: none). `frontline` sets the ID events name the person by (`data.agent`; an empty string removes it; 409 when another person has it).',
    scopes: ['admin'],
    params: idParam('The user’s email'),
    body: ZUserChange,
    bodyRequired: true,
    responses: { 200: ok('The user', R.ZUser), ...notFound('user'), 409: err('The frontline ID is another person’s') },
  },
  {
    method: 'get',
    path: '/api/webhooks',
    tag: 'Webhooks',
    summary: 'Webhook subscriptions with their latest delivery attempts (admin scope); never the secret',
    scopes: ['admin'],
    responses: { 200: ok('The subscriptions', z.object({ items: z.array(R.ZWebhook) })) },
  },
  {
    method: 'post',
    path: '/api/webhooks',
    tag: 'Webhooks',
    summary: 'Subscribe a URL to case events (admin scope)',
    description:
      'Deliveries are signed: `X-Cxloop-Signature: sha256=<hex HMAC-SHA256 of "<X-Cxloop-Timestamp>.<body>">`. A destination on a private network is refused unless allowed by the deployment.',
    scopes: ['admin'],
    body: ZWebhookInput,
    bodyRequired: true,
    responses: { 201: ok('The subscription and its signing secret, shown this once', R.ZWebhookCreated) },
  },
  {
    method: 'delete',
    path: '/api/webhooks/{id}',
    tag: 'Webhooks',
    summary: 'Delete a subscription (admin scope)',
    scopes: ['admin'],
    params: idParam('The subscription ID'),
    responses: { 204: ok('Deleted'), ...notFound('webhook') },
  },
  {
    method: 'get',
    path: '/api/keys',
    tag: 'API keys',
    summary: 'API keys (admin scope), newest first; never the key',
    scopes: ['admin'],
    query: pageQuery,
    responses: { 200: ok('One page of keys', R.pageOf(R.ZApiKeyView)) },
  },
  {
    method: 'post',
    path: '/api/keys',
    tag: 'API keys',
    summary: 'Create a key (admin scope); the response is the only time the key is shown',
    description:
      '`teams` restricts the key to the cases of these routing teams (an unknown team is a 400 naming it); such a key may use only the case routes and the case export. Left out: every team. `units` restricts the key to these organisation units and the units below them (an unknown unit is a 400 naming it). Left out: every unit.',
    scopes: ['admin'],
    body: ZApiKeyInput,
    bodyRequired: true,
    responses: { 201: ok('The key (`key`) and its ID', R.ZApiKeyCreated) },
  },
  {
    method: 'delete',
    path: '/api/keys/{id}',
    tag: 'API keys',
    summary: 'Revoke a key (admin scope); it stops working at once',
    scopes: ['admin'],
    params: idParam('The key’s public ID', z.string().regex(/^[0-9a-f]{16}$/)),
    responses: { 204: ok('Revoked'), ...notFound('key') },
  },
];
