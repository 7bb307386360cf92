import { z } from 'zod';
import { ROLES, SCOPES } from '../domain/access';
import { CASE_STATUSES } from '../domain/cases';
import { GOAL_COMPARATORS, GOAL_PACES, GOAL_STATUSES } from '../domain/goals';
import { METRICS } from '../domain/statistics';
import { PRIORITIES } from '../domain/priority';
import { QUADRANTS } from '../domain/quadrants';
import { WEBHOOK_EVENTS } from '../domain/webhooks';

/**
 * The bodies the JSON API answers with, for the OpenAPI document and the contract test. Stored
 * documents are described by the fields integrations rely on and left open (`looseObject`): a new
 * field is not a breaking change. Dates arrive as ISO 8601 strings.
 */
const date = z.iso.datetime().describe('ISO 8601 date-time');
const optionalDate = date.optional();
const id = z.string().min(1);

export const ZError = z
  .object({
    error: z.string().describe('What is wrong, naming the field'),
    details: z.unknown().optional().describe('For 400: each bad field with its message'),
  })
  .describe('Every 4xx and 5xx answer');

const ZAttributeValueLists = z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])));

const ZAttributeValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

export const ZCustomer = z
  .looseObject({
    _id: id.describe('The integration’s customer ID'),
    email: z.string(),
    name: z.string().optional(),
    locale: z.string(),
    timezone: z.string().optional(),
    attributes: ZAttributeValues,
    unsubscribed: z.boolean(),
    unsubscribedAt: optionalDate,
    erasedAt: optionalDate.describe('Set when the customer was erased; personal fields are gone'),
    createdAt: date,
    updatedAt: date,
  })
  .describe('A customer as stored, with their consent state');

export const ZEventOutcome = z.object({
  eventId: z.string(),
  status: z.enum(['accepted', 'duplicate', 'erased']),
  ignored: z
    .array(z.enum(['customer.email', 'customer.name']))
    .optional()
    .describe("Customer fields not applied: changing an existing customer's email or name needs the write scope"),
  reason: z.string().optional().describe('Why the `ignored` fields were not applied'),
});

export const ZInvitation = z
  .looseObject({
    _id: id,
    programId: z.string(),
    customerId: z.string(),
    eventId: z.string(),
    status: z.string(),
    locale: z.string(),
    sendAt: date,
    sentAt: optionalDate,
    expiresAt: optionalDate,
    answeredAt: optionalDate,
    createdAt: date,
  })
  .describe('A survey invitation (never its token)');

export const ZReply = z
  .looseObject({
    _id: id,
    invitationId: z.string(),
    programId: z.string(),
    customerId: z.string(),
    answers: z.record(z.string(), z.unknown()),
    scores: z.record(z.string(), z.unknown()).optional(),
    submittedAt: date,
  })
  .describe('A survey reply with its answers and scores');

const ZContactDecision = z.looseObject({ _id: id, customerId: z.string(), programId: z.string(), decidedAt: date });

export const ZCustomerDetail = z.object({
  customer: ZCustomer,
  summary: z.looseObject({}).nullable().describe("The customer's summary score, null before a first scored reply"),
  decisions: z.array(ZContactDecision).describe('The latest 100 contact decisions, newest first'),
  invitations: z.array(ZInvitation).describe('The latest 100 invitations, newest first'),
  responses: z.array(ZReply).describe('The latest 100 replies, newest first'),
});

export const ZCustomerErased = z.looseObject({
  id: z.string(),
  erased: z.literal(true),
  invitationsCancelled: z.number().int(),
  repliesCleared: z.number().int(),
  outboxEmailsRemoved: z.number().int(),
});

export const ZStoredProgram = z
  .looseObject({
    _id: id,
    name: z.string(),
    kind: z.enum(['transactional', 'relationship', 'pulsed']),
    active: z.boolean(),
    createdAt: date,
    updatedAt: date,
  })
  .describe('A survey program as stored (its settings as validated by PUT, plus bookkeeping)');

const ZWaveSchedule = z
  .enum(['active', 'paused', 'none', 'pending'])
  .describe('The Temporal Schedule of a relationship program’s daily wave; pending: Temporal unreachable');

export const ZSavedProgram = ZStoredProgram.extend({ waveSchedule: ZWaveSchedule });
export const ZProgramDeleted = z.object({ deleted: z.string(), waveSchedule: ZWaveSchedule });

const count = z.number().int();
export const ZCampaignProgress = z
  .looseObject({
    status: z.string().describe('scheduled, selecting, sending, paused, awaiting-replies, completed or cancelled'),
    matched: count.describe('Customers in the segment when the campaign selected them'),
    sampled: count.describe('How many of them the sample takes'),
    signalled: count.describe("Handed to their customer's loop so far"),
    decided: count,
    sent: count,
    deferred: count,
    skipped: z.record(z.string(), count).describe('Skipped by rule (unsubscribed, fatigue, …), by reason'),
    answered: count,
    expired: count,
    otherwiseEnded: count.describe('Invitations failed or cancelled'),
  })
  .describe("A campaign's progress");

export const ZCampaign = z
  .looseObject({
    _id: id,
    name: z.string(),
    programId: z.string(),
    segment: z.looseObject({}),
    startAt: date,
    createdAt: date,
    progress: ZCampaignProgress,
  })
  .describe('A pulsed campaign with its progress');

export const ZCampaignPreviewResult = z.object({
  matched: z.number().int().describe('Customers the segment matches now'),
  sampled: z.number().int().describe('How many of them the sample takes'),
});

export const ZImport = z
  .looseObject({
    id: z.string(),
    status: z.string(),
    rows: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    failed: z.number().int(),
  })
  .describe('A CSV import with its counts');

export const ZOutboxMessage = z.looseObject({
  id: z.string(),
  to: z.array(z.string()),
  subject: z.string(),
  text: z.string().optional(),
  html: z.string().optional(),
  headers: z.record(z.string(), z.unknown()),
  receivedAt: date,
});

export const ZRoutingView = z
  .looseObject({
    teams: z.array(z.looseObject({ id: z.string(), name: z.string() })),
    fallbackTeam: z.string(),
  })
  .describe('Teams in rule order, the fallback team, escalation managers and root causes');

export const ZUnitTree = z
  .object({
    units: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        parentId: z.string().nullable().describe('null: the root'),
        manager: z.string().nullable().describe('The general manager’s email'),
        match: ZAttributeValueLists.describe('The attributes a customer of the parent needs to belong here'),
      }),
    ),
    version: z.number().int().describe('Send it back with PUT; 0 before any save'),
  })
  .describe('The organisation units; `parentId` makes the tree');

const ZInterval = z.object({ low: z.number(), high: z.number() }).describe('The 95 % confidence interval');

const ZMetricCell = z.object({
  replies: z.number().int(),
  estimate: z
    .looseObject({
      value: z.number(),
      interval: ZInterval,
      standardError: z.number(),
      replies: z.number().int(),
      conservative: z.boolean().describe('The spread was not counted: the widest interval the scale allows'),
    })
    .nullable()
    .describe('null without replies'),
  ranked: z.boolean().describe('At least 30 replies: compared and ranked; below, greyed'),
});

const ZGoalFields = {
  metric: z.enum(METRICS),
  comparator: z.enum(GOAL_COMPARATORS),
  target: z.number(),
  period: z.string().describe('2027, 2027-Q1 or 2027-03'),
};

const ZGoalProgress = z.object({
  value: z.number().nullable(),
  interval: ZInterval.nullable(),
  replies: z.number().int(),
  margin: z.number().nullable().describe('How far the value is on the goal’s side of the target (≥ 0: met)'),
  status: z.enum(GOAL_STATUSES),
  pace: z
    .enum(GOAL_PACES)
    .nullable()
    .describe('Where a running period is heading, judged with the share of it elapsed; null once it is over'),
});

export const ZStoredGoal = z.looseObject({ unit: z.string(), ...ZGoalFields, setBy: z.string(), setAt: date });

export const ZGoalView = ZStoredGoal.extend({ progress: ZGoalProgress });

const ZUnitRef = z.looseObject({ id: z.string(), name: z.string() });

export const ZUnitComparison = z
  .looseObject({
    unit: ZUnitRef,
    period: z.string(),
    from: z.string(),
    to: z.string(),
    rows: z.array(
      z.looseObject({
        unit: ZUnitRef,
        whole: z.boolean().describe('The chosen unit itself; the units below it follow'),
        rank: z.number().int().nullable(),
        metrics: z.record(z.enum(METRICS), ZMetricCell),
        goals: z.array(
          z.object({ goal: z.object(ZGoalFields), setBy: z.string(), setAt: date, progress: ZGoalProgress }),
        ),
      }),
    ),
    choices: z.array(ZUnitRef).describe('The units the key may compare'),
  })
  .describe('A unit and the units below it side by side over a period, with their goals');

const ZSlaClock = z.looseObject({});

export const ZCase = z
  .looseObject({
    _id: id.describe('The ID of the reply that opened the case'),
    customerId: z.string(),
    programId: z.string(),
    status: z.enum(CASE_STATUSES),
    priority: z.enum(PRIORITIES),
    teamId: z.string(),
    ownerId: z.string(),
    mayContact: z.boolean().describe('false: the customer declined contact; internal action only'),
    escalation: z.number().int().describe('Levels escalated after SLA breaches'),
    rootCause: z.string().optional(),
    openedAt: date,
    resolvedAt: optionalDate,
    closedAt: optionalDate,
  })
  .describe('A case opened by a reply');

export const ZCaseDetail = ZCase.extend({
  sla: z.looseObject({}).describe('Time left or overdue, in business hours'),
  timeline: z.array(z.looseObject({})).describe('What happened to the case, oldest first'),
});

export const ZCaseState = z
  .looseObject({
    status: z.enum(CASE_STATUSES),
    priority: z.enum(PRIORITIES),
    ownerId: z.string(),
    teamId: z.string(),
    mayContact: z.boolean(),
    escalation: z.number().int(),
    firstResponse: ZSlaClock,
    resolution: ZSlaClock,
    rootCause: z.string().optional(),
  })
  .describe("The case's state after the action, as its workflow holds it");

export const ZUser = z
  .looseObject({
    _id: z.string().describe('The email, lower case'),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    units: z.array(z.string()).optional().describe('The organisation units; absent: recorded before units (the root)'),
    frontlineId: z.string().optional().describe('The ID events name the person by (`data.agent`); absent: none'),
    disabled: z.boolean().optional(),
    createdAt: date,
  })
  .describe('A person who signs in to the admin UI (never the password hash)');

export const ZWebhook = z.looseObject({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  description: z.string().optional(),
  attempts: z.array(z.looseObject({})).describe('The latest delivery attempts'),
});

export const ZWebhookCreated = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  secret: z.string().describe('The signing secret, shown this once'),
});

export const ZApiKeyView = z.object({
  id: z.string().regex(/^[0-9a-f]{16}$/),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  teams: z.array(z.string()).nullable().describe('null: every team'),
  units: z.array(z.string()).nullable().describe('null: every unit'),
  expiresAt: date.nullable(),
  revokedAt: date.nullable(),
  createdBy: z.string().nullable(),
  createdAt: date,
});

export const ZApiKeyCreated = ZApiKeyView.extend({ key: z.string().describe('The key, shown this once') });

export const ZExperienceReport = z
  .looseObject({
    themes: z.array(z.looseObject({ examples: z.array(z.looseObject({})) })),
  })
  .describe(
    'Headline scores for the period and its comparison, NPS/CSAT/CES per time bucket, the split by segment, the response funnel and the top themes with example comments',
  );

const ZCaseGroupRow = z.object({
  id: z.string(),
  resolved: z.number().int(),
  medianResolutionHours: z.number().nullable(),
  p90ResolutionHours: z.number().nullable(),
  followUps: z.number().int().describe('Follow-up answers with a CSAT after these resolutions: the CSAT’s n'),
  postResolutionCsat: z.number().nullable().describe('% satisfied (4–5); null without answers'),
  postResolutionCsatInterval: ZInterval.nullable().describe('Its 95 % Wilson interval'),
});

export const ZCaseMetricsReport = z
  .looseObject({
    postResolutionCsat: z.object({
      current: z.number().nullable(),
      previous: z.number().nullable(),
      replies: z.number().int(),
    }),
    accounts: z.array(z.looseObject({})),
    byOwner: z.array(ZCaseGroupRow).describe('The period’s resolutions per owner who resolved them'),
    byRootCause: z.array(ZCaseGroupRow).describe('The period’s resolutions per root cause'),
  })
  .describe(
    'Figures for the period and its comparison, cases over time, root causes, backlog, accounts, and resolution times and post-resolution CSAT per owner and root cause',
  );

export const ZJourney = z
  .looseObject({ programId: z.string(), program: z.string(), touchPoints: z.array(z.string()) })
  .describe("A program's journey: per touch point the customers, scores and the shares satisfied so far");

export const ZQuadrantCutoffsView = z
  .looseObject({ score: z.number(), revenue: z.number(), revenueAttribute: z.string() })
  .describe('The cut-offs in force, with who set them and when');

export const ZQuadrantReport = z.object({
  cutoffs: ZQuadrantCutoffsView,
  since: z.string().regex(/^\d{4}-\d{2}$/),
  accounts: z.array(z.looseObject({ quadrant: z.enum(QUADRANTS) })),
  counts: z.record(z.enum(QUADRANTS), z.number().int()),
  movement: z.array(z.object({ from: z.enum([...QUADRANTS, 'new']), to: z.enum(QUADRANTS), count: z.number().int() })),
  atRisk: z.array(z.looseObject({})),
});

export const ZRootCauseReport = z.object({
  rootCause: z.string(),
  fixes: z.array(z.looseObject({ campaign: z.looseObject({}), effect: z.looseObject({}) })),
});

export const ZFixOutcome = z
  .looseObject({ created: z.boolean() })
  .describe('The fix and its campaign; `created` false when this fix ID was launched before');

/** A page of a list: `limit` and `offset` as applied. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), limit: z.number().int(), offset: z.number().int() });
