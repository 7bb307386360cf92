import { CASE_ACTIONS, CASE_STATUSES } from '../../domain/cases';
import { WEBHOOK_EVENTS } from '../../domain/webhooks';
import { COMPARISONS } from '../../domain/dashboard';
import { DASHBOARD_TABLES, SPLIT_METRICS } from '../insight-service';
import { CASE_TABLES } from '../case-metrics-service';

/** The public JSON API, documented for integrators at `GET /api/openapi.json`. */
const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const errorResponses = {
  '400': errorResponse('Invalid input; `error` says which field and why'),
  '401': errorResponse('Missing, unknown, revoked or expired API key'),
  '403': errorResponse("The key's scopes do not allow this route"),
  '429': errorResponse('Too many requests for this key; retry after `Retry-After` seconds'),
};
const listOf = (ref: string) => ({
  type: 'object',
  properties: {
    items: { type: 'array', items: { $ref: ref } },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
  },
});
const caseId = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 400 } };
const paging = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 100000, default: 0 } },
];

const dashboardQuery = [
  {
    name: 'from',
    in: 'query',
    schema: { type: 'string', format: 'date' },
    description: 'First day (default: 89 days before `to`)',
  },
  {
    name: 'to',
    in: 'query',
    schema: { type: 'string', format: 'date' },
    description: 'Last day (default: today, UTC); at most 731 days after `from`',
  },
  {
    name: 'program',
    in: 'query',
    schema: { type: 'string', maxLength: 200 },
    description: 'One program (default: all)',
  },
  {
    name: 'segment',
    in: 'query',
    schema: { type: 'string', maxLength: 200, default: 'all' },
    description: '`all` or `dimension:value`, e.g. `region:EU`',
  },
  { name: 'compare', in: 'query', schema: { enum: COMPARISONS, default: 'previous' } },
  {
    name: 'metric',
    in: 'query',
    schema: { enum: SPLIT_METRICS, default: 'nps' },
    description: 'The score the page compares segments by',
  },
];

const quadrantSince = {
  name: 'since',
  in: 'query',
  schema: { type: 'string', pattern: '^\\d{4}-\\d{2}$' },
  description: 'Movement is counted against the scores before this month, YYYY-MM (default: three months ago)',
};

const journeySince = {
  name: 'since',
  in: 'query',
  schema: { type: 'string', format: 'date' },
  description: 'Count replies from this day, YYYY-MM-DD (default: a year ago)',
};

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'cxloop API',
    version: '1',
    description:
      'Events in, survey programs, customers, invitations, replies and cases out. Every route needs `Authorization: Bearer <api key>` with a scope that allows it: `events:write` (events), `read` (GET routes), `write` (PUT customers and programs, case actions), `admin` (everything, including keys and the outbox). A key restricted to teams (`teams` at creation) reads, exports and acts on the cases of those teams only (403 on another team’s case) and is refused (403) on every other route except this document.',
  },
  security: [{ apiKey: [] }],
  paths: {
    '/api/events': {
      post: {
        summary: 'Record a transaction or touch point; it may trigger a survey',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Event' } } },
        },
        responses: {
          '202': {
            description:
              "Stored; `duplicate` when this idempotency key was seen before; `erased` when the customer was erased (nothing kept, nobody contacted). With a key without the `write` scope an existing customer's email and name are not changed: `ignored` names those fields and `reason` says why",
            content: { 'application/json': { schema: { $ref: '#/components/schemas/EventOutcome' } } },
          },
          ...errorResponses,
        },
      },
    },
    '/api/events:batch': {
      post: {
        summary: 'Record up to 1,000 events; if any is invalid none is accepted',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  events: { type: 'array', maxItems: 1000, items: { $ref: '#/components/schemas/Event' } },
                },
              },
            },
          },
        },
        responses: {
          '202': {
            description: 'One result per event, in order, each as for a single event',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { results: { type: 'array', items: { $ref: '#/components/schemas/EventOutcome' } } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    '/api/programs': {
      get: {
        summary: 'List survey programs',
        parameters: paging,
        responses: { '200': { description: 'Programs, by ID' }, ...errorResponses },
      },
    },
    '/api/programs/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'One survey program',
        responses: { '200': { description: 'The program' }, '404': { description: 'No such program' } },
      },
      put: {
        summary:
          'Create or replace a survey program (validated: kind, triggers, cadence, delay, audience, survey, reminders, expiry, email, contact rules, themes). A relationship program gets a Temporal Schedule running its daily wave; `waveSchedule` in the answer says its state: active, paused, none, or pending (Temporal unreachable; the sweep completes it)',
        responses: { '200': { description: 'Updated' }, '201': { description: 'Created' }, ...errorResponses },
      },
      delete: {
        summary: 'Delete a program nobody has been invited to yet, with its schedule (pause one that has invitations)',
        responses: {
          '200': { description: 'Deleted' },
          '404': errorResponse('No such program'),
          '409': errorResponse('The program has invitations; pause it instead'),
          ...errorResponses,
        },
      },
    },
    '/api/campaigns': {
      get: {
        summary: 'List pulsed campaigns, newest first, each with its progress',
        parameters: paging,
        responses: { '200': { description: 'Campaigns' }, ...errorResponses },
      },
      post: {
        summary:
          'Launch a pulsed campaign: `{ id, name, programId (an active pulsed program), segment, sample?: { count | percent, seed }, startAt? }`. The same ID again (a double click, a retry) is the same campaign: 200 and nothing changes; with other settings 409',
        responses: {
          '201': { description: 'Launched' },
          '200': { description: 'Launched before' },
          '409': errorResponse('The ID is taken by another campaign, or the program is paused'),
          ...errorResponses,
        },
      },
    },
    '/api/campaigns:preview': {
      post: {
        summary:
          'How many customers a segment matches now and how many a sample takes: `{ segment: { attributes, score: { min, max }, quadrants, cutoffs, contactedSince, notContactedSince, respondedSince, notRespondedSince }, sample? }`',
        responses: { '200': { description: '{ matched, sampled }' }, ...errorResponses },
      },
    },
    '/api/campaigns/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary:
          'One campaign with its progress: status, matched, sampled, signalled, decided, sent, deferred, skipped by rule, answered, expired',
        responses: {
          '200': { description: 'The campaign' },
          '404': errorResponse('No such campaign'),
          ...errorResponses,
        },
      },
    },
    '/api/campaigns/{id}/{action}': {
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'action', in: 'path', required: true, schema: { type: 'string', enum: ['pause', 'resume', 'cancel'] } },
      ],
      post: {
        summary: 'Pause, resume or cancel a campaign; answered with its progress once applied',
        responses: {
          '200': { description: 'Applied' },
          '404': errorResponse('No such campaign'),
          '409': errorResponse('Not possible in its current status'),
          ...errorResponses,
        },
      },
    },
    '/api/customers': {
      get: {
        summary: 'List customers',
        parameters: paging,
        responses: {
          '200': {
            description: 'Customers',
            content: { 'application/json': { schema: listOf('#/components/schemas/Customer') } },
          },
        },
      },
    },
    '/api/customers:import': {
      post: {
        summary:
          'Create or update customers from a CSV file (text/csv, up to 50 MB): first line the column names, `id` and `email` required, `name`, `locale`, `timezone` optional, every other column an attribute; unchanged rows are left alone',
        requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
        responses: {
          '200': { description: 'The import: rows, created, updated, unchanged, failed' },
          '413': errorResponse('The file is larger than 50 MB'),
          '415': errorResponse('Not sent as text/csv'),
          ...errorResponses,
        },
      },
    },
    '/api/imports/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "An import's status and counts",
        responses: { '200': { description: 'The import' }, '404': errorResponse('No such import'), ...errorResponses },
      },
    },
    '/api/imports/{id}/errors.csv': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: "An import's refused rows as CSV: line, customerId, message",
        responses: { '200': { description: 'text/csv' }, '404': errorResponse('No such import'), ...errorResponses },
      },
    },
    '/api/metrics/experience': {
      get: {
        summary:
          'The experience dashboard as JSON, from the daily rollups: headline scores for the period and its comparison, NPS/CSAT/CES per time bucket (day up to 31 days, week up to 183, else month), the split by region, location, platform, channel, vertical and product, the response funnel (invited, reminded, answered, expired, unsubscribed, each with its share of the invited) and the top verbatim themes with their latest example comments',
        parameters: dashboardQuery,
        responses: {
          '200': { description: 'The dashboard', content: { 'application/json': { schema: { type: 'object' } } } },
          ...errorResponses,
        },
      },
    },
    '/api/metrics/experience/{table}.csv': {
      get: {
        summary: "One of the experience dashboard's tables as CSV",
        parameters: [
          { name: 'table', in: 'path', required: true, schema: { enum: DASHBOARD_TABLES } },
          ...dashboardQuery,
        ],
        responses: { '200': { description: 'text/csv' }, '404': errorResponse('No such table'), ...errorResponses },
      },
    },
    '/api/metrics/cases': {
      get: {
        summary:
          'Case metrics as JSON, from the daily rollups: opened, resolved, reopened, closed, escalations, median and 90th-percentile resolution time in business hours, first-contact resolution, SLA breach and reopen rates for the period and its comparison; cases opened and resolved per time bucket; root causes ranked; the backlog per team and owner now; post-resolution CSAT; the accounts with most cases and their revenue. The filters are those of the experience dashboard (segment and metric are ignored)',
        parameters: dashboardQuery,
        responses: {
          '200': { description: 'The report', content: { 'application/json': { schema: { type: 'object' } } } },
          ...errorResponses,
        },
      },
    },
    '/api/metrics/cases/{table}.csv': {
      get: {
        summary: "One of the case-metrics page's tables as CSV",
        parameters: [{ name: 'table', in: 'path', required: true, schema: { enum: CASE_TABLES } }, ...dashboardQuery],
        responses: { '200': { description: 'text/csv' }, '404': errorResponse('No such table'), ...errorResponses },
      },
    },
    '/api/metrics/journeys': {
      get: {
        summary:
          "Every program's journey: per touch point in order the customers, average score, share satisfied there, share satisfied at every touch point so far, share whose score fell since the touch point before, and whether the journey is flagged (each touch point scores well, but few are satisfied all the way)",
        parameters: [journeySince],
        responses: {
          '200': { description: 'The journeys', content: { 'application/json': { schema: { type: 'array' } } } },
          ...errorResponses,
        },
      },
    },
    '/api/metrics/journeys/{programId}': {
      get: {
        summary: "One program's journey (as in the list)",
        parameters: [{ name: 'programId', in: 'path', required: true, schema: { type: 'string' } }, journeySince],
        responses: {
          '200': { description: 'The journey', content: { 'application/json': { schema: { type: 'object' } } } },
          '404': errorResponse('The program has no journey'),
          ...errorResponses,
        },
      },
    },
    '/api/metrics/journeys/{programId}.csv': {
      get: {
        summary:
          "One program's journey as CSV: step, touchPoint, customers, averageScore, satisfiedPercent, cumulativePercent, fellPercent",
        parameters: [{ name: 'programId', in: 'path', required: true, schema: { type: 'string' } }, journeySince],
        responses: {
          '200': { description: 'text/csv' },
          '404': errorResponse('The program has no journey'),
          ...errorResponses,
        },
      },
    },
    '/api/root-causes/{cause}': {
      get: {
        summary:
          "A root cause's fixes, newest first, each with its campaign's progress and its effect: the affected customers' mean summary score before and after the fix",
        parameters: [{ name: 'cause', in: 'path', required: true, schema: { type: 'string', maxLength: 200 } }],
        responses: {
          '200': { description: 'The root cause', content: { 'application/json': { schema: { type: 'object' } } } },
          '404': errorResponse('No such root cause'),
          ...errorResponses,
        },
      },
    },
    '/api/root-causes/{cause}/fixes.csv': {
      get: {
        summary:
          "A root cause's fixes as CSV: fixId, fixedAt, by, casesFrom, casesTo, resurvey, campaignStatus, matched, sent, answered, customersBeforeAndAfter, scoreBefore, scoreAfter, improved",
        parameters: [{ name: 'cause', in: 'path', required: true, schema: { type: 'string', maxLength: 200 } }],
        responses: {
          '200': { description: 'text/csv' },
          '404': errorResponse('No such root cause'),
          ...errorResponses,
        },
      },
    },
    '/api/root-causes/{cause}/fixes': {
      post: {
        summary:
          'Mark the root cause fixed (the outer loop): `{ id, note (text or per locale), from, to (YYYY-MM-DD: cases resolved on these days), resurvey (default true), contactRules? }`. Every customer whose case was resolved with it in the period gets a "we fixed it" email in their locale (with one question when `resurvey`), as a campaign that respects unsubscribes and contact rules. 201 with the fix and its campaign; the same `id` again answers 200 and launches nothing new',
        parameters: [{ name: 'cause', in: 'path', required: true, schema: { type: 'string', maxLength: 200 } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '201': { description: 'Fixed; the campaign is launched' },
          '200': { description: 'The same fix, already launched' },
          '404': errorResponse('No such root cause'),
          '409': errorResponse('The fix ID belongs to another root cause'),
          ...errorResponses,
        },
      },
    },
    '/api/metrics/quadrants': {
      get: {
        summary:
          'Customer quadrants: every scored customer placed by summary score and revenue (model, growth, at-risk, dangling) with the cut-offs in force, counts per quadrant, movement since the scores before `since`, and the At-Risk accounts by revenue',
        parameters: [quadrantSince],
        responses: {
          '200': { description: 'The report', content: { 'application/json': { schema: { type: 'object' } } } },
          ...errorResponses,
        },
      },
    },
    '/api/metrics/quadrants/accounts.csv': {
      get: {
        summary: 'Every placed account as CSV: id, name, score, revenue, quadrant, previousQuadrant',
        parameters: [quadrantSince],
        responses: { '200': { description: 'text/csv' }, ...errorResponses },
      },
    },
    '/api/quadrant-cutoffs': {
      put: {
        summary:
          "Set the organisation's quadrant cut-offs `{ score (0–100, default 70), revenue (≥ 0, default 10000), revenueAttribute (default revenue) }` (write scope; recorded in the audit log)",
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '200': {
            description: 'The cut-offs now in force',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
          ...errorResponses,
        },
      },
    },
    '/api/export/customers.csv': {
      get: {
        summary:
          'All customers as CSV, streamed: one `attributes.<name>` column per attribute, consent and erasure flags',
        responses: { '200': { description: 'text/csv' }, ...errorResponses },
      },
    },
    '/api/export/replies.csv': {
      get: {
        summary: 'Replies as CSV, streamed: scores, themes, verbatim, answers as JSON',
        parameters: [{ name: 'programId', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'text/csv' }, ...errorResponses },
      },
    },
    '/api/export/cases.csv': {
      get: {
        summary:
          'Cases as CSV, streamed: status, priority, team, owner, reasons, root cause, dates; a team-restricted key gets its teams’ cases only',
        parameters: [{ name: 'programId', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'text/csv' }, ...errorResponses },
      },
    },
    '/api/customers/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'A customer with contact decisions, invitations and replies',
        responses: { '200': { description: 'The customer' }, '404': { description: 'No such customer' } },
      },
      put: {
        summary:
          "Create or update a customer; attributes merge. Applied by the customer's loop, in turn with their events",
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Customer' } } },
        },
        responses: {
          '200': { description: 'The stored customer' },
          ...errorResponses,
          '410': errorResponse('The customer was erased and cannot be recreated'),
          '503': errorResponse('Temporal is unreachable; retry after `Retry-After` seconds'),
        },
      },
      delete: {
        summary:
          'Erase the customer (admin scope): profile, email address, written answers and outbox copies are removed, running invitations cancelled, scores kept anonymously in the rollups; never contacted again',
        responses: {
          '200': { description: 'Erased; counts of what was cancelled and cleared' },
          '404': errorResponse('No such customer'),
          ...errorResponses,
          '503': errorResponse('Temporal is unreachable; retry after `Retry-After` seconds'),
        },
      },
    },
    '/api/invitations': {
      get: {
        summary: 'Survey invitations, newest first',
        parameters: [...paging, { name: 'customerId', in: 'query', schema: { type: 'string' } }],
        responses: { '200': { description: 'Invitations' } },
      },
    },
    '/api/responses': {
      get: {
        summary: 'Survey replies, newest first',
        parameters: [
          ...paging,
          { name: 'customerId', in: 'query', schema: { type: 'string' } },
          { name: 'programId', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'Replies with answers and scores' } },
      },
    },
    '/api/outbox': {
      get: {
        summary: 'Emails caught by the embedded SMTP sink, newest first (embedded mode only)',
        parameters: [...paging, { name: 'to', in: 'query', schema: { type: 'string' } }],
        responses: {
          '200': { description: 'Messages with to, subject, text, html, headers' },
          '404': { description: 'Not in embedded mode' },
        },
      },
    },
    '/api/routing': {
      get: {
        summary: 'Teams in rule order, the fallback team and who each manager escalates to (read scope)',
        responses: {
          '200': { description: 'The routing' },
          '404': { description: 'Not set up yet' },
          ...errorResponses,
        },
      },
      put: {
        summary: 'Replace the routing (admin scope); members and managers must be enabled case-handling users',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: { '200': { description: 'The routing as saved' }, ...errorResponses },
      },
    },
    '/api/cases': {
      get: {
        summary: 'Cases, newest first (read scope), with filters; a team-restricted key lists its teams’ cases only',
        parameters: [
          ...paging,
          { name: 'customerId', in: 'query', schema: { type: 'string', maxLength: 200 } },
          { name: 'status', in: 'query', schema: { enum: [...CASE_STATUSES, 'unclosed'] } },
          { name: 'ownerId', in: 'query', schema: { type: 'string', format: 'email' } },
          { name: 'teamId', in: 'query', schema: { type: 'string' } },
          { name: 'programId', in: 'query', schema: { type: 'string' } },
          { name: 'priority', in: 'query', schema: { enum: ['low', 'normal', 'high', 'urgent'] } },
          { name: 'sla', in: 'query', schema: { enum: ['escalated', 'on-track'] } },
        ],
        responses: {
          '200': {
            description: 'One page of cases and how many match (`total`)',
            content: { 'application/json': { schema: listOf('#/components/schemas/Case') } },
          },
          ...errorResponses,
        },
      },
    },
    '/api/cases/{id}': {
      get: {
        summary:
          'One case with its SLA badges and timeline (read scope); another team’s case is a 403 for a team-restricted key',
        parameters: [caseId],
        responses: {
          '200': {
            description: 'The case',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Case' } } },
          },
          '404': errorResponse('No such case'),
          ...errorResponses,
        },
      },
    },
    '/api/cases/{id}/{action}': {
      post: {
        summary:
          'An owner action (write scope): acknowledge, note, contact, wait, resume, reassign, resolve, reopen; refused with 409 and the reason when it does not fit the case, and with 403 (before the case hears of it) when a team-restricted key acts on another team’s case',
        parameters: [caseId, { name: 'action', in: 'path', required: true, schema: { enum: CASE_ACTIONS } }],
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  note: {
                    type: 'string',
                    maxLength: 5000,
                    description: 'note, wait, resume, reassign, resolve, reopen',
                  },
                  subject: { type: 'string', maxLength: 200, description: 'contact' },
                  message: { type: 'string', maxLength: 5000, description: 'contact: the email to the customer' },
                  ownerId: { type: 'string', format: 'email', description: 'reassign' },
                  rootCause: { type: 'string', description: 'resolve: one of the routing’s rootCauses' },
                  customerMessage: {
                    type: 'string',
                    maxLength: 5000,
                    description: 'resolve: what was done, for the customer',
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'The case after the action' },
          '404': errorResponse('No such case'),
          '409': errorResponse('The action does not fit the case now; `error` says why'),
          '503': errorResponse('The case did not answer in time; retry after `Retry-After` seconds'),
          ...errorResponses,
        },
      },
    },
    '/api/users': {
      get: {
        summary: 'People who sign in to the admin UI (admin scope), without password hashes',
        parameters: paging,
        responses: { '200': { description: 'Users by email' }, ...errorResponses },
      },
      post: {
        summary: 'Add a user (admin scope)',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['email', 'name', 'role', 'password'],
                properties: {
                  email: { type: 'string', format: 'email' },
                  name: { type: 'string', maxLength: 200 },
                  role: { enum: ['admin', 'operations', 'case_owner', 'viewer'] },
                  password: { type: 'string', minLength: 12, maxLength: 200 },
                },
              },
            },
          },
        },
        responses: {
          '201': { description: 'The user' },
          '409': errorResponse('The email is taken'),
          ...errorResponses,
        },
      },
    },
    '/api/users/{id}': {
      post: {
        summary:
          'Change a user (admin scope): `{ action: "role", role }`, `{ action: "disable" }`, `{ action: "enable" }`, `{ action: "password", password }`; disabling and a new password end their sessions',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'email' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: { '200': { description: 'The user' }, '404': errorResponse('No such user'), ...errorResponses },
      },
    },
    '/api/webhooks': {
      get: {
        summary: 'Webhook subscriptions with their latest delivery attempts (admin scope); never the secret',
        responses: { '200': { description: 'Subscriptions' }, ...errorResponses },
      },
      post: {
        summary:
          'Subscribe a URL to case events (admin scope). Deliveries are signed: `X-Cxloop-Signature: sha256=<hex HMAC-SHA256 of "<X-Cxloop-Timestamp>.<body>">`',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['url', 'events'],
                properties: {
                  url: { type: 'string', format: 'uri', maxLength: 2000 },
                  events: { type: 'array', items: { enum: WEBHOOK_EVENTS } },
                  description: { type: 'string', maxLength: 200 },
                },
              },
            },
          },
        },
        responses: {
          '201': { description: 'The subscription and its signing secret, shown this once' },
          ...errorResponses,
        },
      },
    },
    '/api/webhooks/{id}': {
      delete: {
        summary: 'Delete a subscription (admin scope)',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '204': { description: 'Deleted' }, '404': errorResponse('No such webhook'), ...errorResponses },
      },
    },
    '/api/keys': {
      get: {
        summary:
          'API keys (admin scope): ID, name, scopes, teams (null: every team), expiry, revocation; never the key',
        parameters: paging,
        responses: { '200': { description: 'Keys, newest first' }, ...errorResponses },
      },
      post: {
        summary: 'Create a key (admin scope); the response is the only time the key is shown',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name', 'scopes'],
                properties: {
                  name: { type: 'string', maxLength: 100 },
                  scopes: { type: 'array', items: { enum: ['events:write', 'read', 'write', 'admin'] } },
                  teams: {
                    type: 'array',
                    minItems: 1,
                    maxItems: 100,
                    items: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$' },
                    description:
                      'Optional: restricts the key to the cases of these routing teams (an unknown team is a 400 naming it); such a key may use only the case routes and the case export. Left out: every team.',
                  },
                  expiresAt: { type: 'string', format: 'date-time' },
                },
              },
            },
          },
        },
        responses: { '201': { description: 'The key (`key`) and its ID' }, ...errorResponses },
      },
    },
    '/api/keys/{id}': {
      delete: {
        summary: 'Revoke a key (admin scope); it stops working at once',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9a-f]{16}$' } }],
        responses: { '204': { description: 'Revoked' }, '404': { description: 'No such key' }, ...errorResponses },
      },
    },
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
    schemas: {
      Case: {
        type: 'object',
        properties: {
          _id: { type: 'string', description: 'The ID of the reply that opened the case' },
          customerId: { type: 'string' },
          programId: { type: 'string' },
          replyIds: { type: 'array', items: { type: 'string' } },
          reasons: { type: 'array', items: { type: 'string' } },
          status: { enum: CASE_STATUSES },
          priority: { enum: ['low', 'normal', 'high', 'urgent'] },
          teamId: { type: 'string' },
          ownerId: { type: 'string' },
          mayContact: { type: 'boolean', description: 'false: the customer declined contact; internal action only' },
          escalation: { type: 'integer', description: 'Levels escalated after SLA breaches' },
          rootCause: { type: 'string' },
          openedAt: { type: 'string', format: 'date-time' },
          resolvedAt: { type: 'string', format: 'date-time' },
          closedAt: { type: 'string', format: 'date-time' },
          sla: { type: 'object', description: 'GET /api/cases/{id} only: time left or overdue, in business hours' },
          timeline: { type: 'array', description: 'GET /api/cases/{id} only', items: { type: 'object' } },
        },
      },
      Error: { type: 'object', properties: { error: { type: 'string' }, details: {} }, required: ['error'] },
      Customer: {
        type: 'object',
        required: ['id', 'email'],
        properties: {
          id: { type: 'string' },
          email: { type: 'string', format: 'email' },
          name: { type: 'string' },
          locale: { type: 'string', examples: ['en', 'de'] },
          timezone: { type: 'string', examples: ['Europe/Berlin'] },
          attributes: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
        },
      },
      EventOutcome: {
        type: 'object',
        required: ['eventId', 'status'],
        properties: {
          eventId: { type: 'string' },
          status: { enum: ['accepted', 'duplicate', 'erased'] },
          ignored: {
            type: 'array',
            items: { enum: ['customer.email', 'customer.name'] },
            description:
              "customer fields not applied: changing an existing customer's email or name needs the write scope",
          },
          reason: { type: 'string', description: 'why the `ignored` fields were not applied' },
        },
      },
      Event: {
        type: 'object',
        required: ['id', 'type', 'occurredAt', 'customer'],
        properties: {
          id: { type: 'string', description: 'Idempotency key' },
          type: { type: 'string', examples: ['purchase', 'service_call', 'installation', 'case_closed'] },
          occurredAt: { type: 'string', format: 'date-time' },
          customer: { $ref: '#/components/schemas/Customer' },
          data: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
        },
      },
    },
  },
} as const;
