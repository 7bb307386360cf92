import type { Db } from 'mongodb';
import { z } from 'zod';
import * as c from '../db/collections';
import { readRollups } from '../db/rollup-totals';
import {
  COMPARISONS,
  ZDay,
  type DashboardFilters,
  type DashboardRollup,
  type ExperienceDashboard,
  comparisonPeriod,
  defaultSegment,
  experienceDashboard,
  lastDays,
  periodDays,
  segmentInScope,
} from '../domain/dashboard';
import {
  ALL_SEGMENT,
  SEGMENT_DIMENSIONS,
  UNIT_SEGMENT_PREFIX,
  rollupDay,
  unitOfSegment,
  unitSegment,
} from '../domain/rollup';
import {
  OUT_OF_UNITS,
  type Unit,
  type UnitScope,
  childrenOf,
  segmentForUnit,
  unitScopeCondition,
} from '../domain/units';
import { AppError } from './errors';
import { type PersonalDataView, maskContactDetails } from '../domain/personal-data';
import { ZExternalId } from './schemas';
import { parseInput } from './validation';

/** Two years: a period and its comparison stay a few thousand rollups per program and segment. */
const MAX_PERIOD_DAYS = 731;
const DEFAULT_PERIOD_DAYS = 90;

const ZSegment = z
  .string()
  .max(200)
  .refine(
    (segment) =>
      segment === ALL_SEGMENT ||
      segment.startsWith(UNIT_SEGMENT_PREFIX) ||
      SEGMENT_DIMENSIONS.some((d) => segment.startsWith(`${d}:`)),
    `"${ALL_SEGMENT}", unit:<unit id> or dimension:value, where dimension is one of ${SEGMENT_DIMENSIONS.join(', ')}`,
  );

/** The organisation tree and what the person or API key reading a page sees of it (src/app/units.ts). */
export interface UnitAccess {
  units: readonly Unit[];
  scope: UnitScope;
}

export const SPLIT_METRICS = ['nps', 'csatPercent', 'cesAverage'] as const;
export type SplitMetric = (typeof SPLIT_METRICS)[number];

const blankAsAbsent = (value: unknown) => (value === '' ? undefined : value);

/** The dashboard's query string: every field optional (the last 90 days of every program by default). */
export const ZDashboardQuery = z
  .object({
    from: z.preprocess(blankAsAbsent, ZDay.optional()).describe('First day, YYYY-MM-DD (default: 89 days before `to`)'),
    to: z
      .preprocess(blankAsAbsent, ZDay.optional())
      .describe('Last day, YYYY-MM-DD (default: today, UTC); at most 731 days after `from`'),
    program: z.preprocess(blankAsAbsent, ZExternalId.optional()).describe('One program (default: all)'),
    segment: z
      .preprocess(blankAsAbsent, ZSegment.optional())
      .describe(
        '`all`, `dimension:value` (e.g. `region:EU`) or `unit:<unit id>` (default: `all`; for a key restricted to units, its first unit, and only its units are allowed)',
      ),
    compare: z
      .preprocess(blankAsAbsent, z.enum(COMPARISONS).default('previous'))
      .describe('What the period is compared with: the period before, the same period a year before, or nothing'),
    metric: z
      .preprocess(blankAsAbsent, z.enum(SPLIT_METRICS).default('nps'))
      .describe('The score the by-segment charts compare'),
  })
  .strict();

/**
 * The filters a query asks for, with the defaults filled in; a 400 names what is wrong. A person
 * responsible for some units starts on the first of them and may choose only theirs (403 otherwise).
 */
export function parseDashboardQuery(
  query: unknown,
  scope: UnitScope,
  today = rollupDay(Date.now()),
): { filters: DashboardFilters; metric: SplitMetric } {
  const parsed = parseInput(ZDashboardQuery, query, 'dashboard filters');
  const to = parsed.to ?? today;
  const from = parsed.from ?? lastDays(to, DEFAULT_PERIOD_DAYS).from;
  const period = { from, to };
  if (from > to) throw new AppError('invalid', 'invalid dashboard filters: from: the period starts after it ends');
  if (periodDays(period) > MAX_PERIOD_DAYS)
    throw new AppError('invalid', `invalid dashboard filters: from/to: at most ${MAX_PERIOD_DAYS} days`);
  const segment = parsed.segment ?? defaultSegment(scope);
  if (segment === null || !segmentInScope(scope, segment)) throw new AppError('forbidden', OUT_OF_UNITS);
  const filters = {
    ...period,
    segment,
    compare: parsed.compare,
    ...(parsed.program ? { programId: parsed.program } : {}),
  };
  return { filters, metric: parsed.metric };
}

/**
 * The customers of the units `access` sees, for the pages whose records name a customer but not
 * their attributes (journeys, root causes, accounts); null for the whole organisation (no read).
 * One filtered pass over the customers, their IDs only.
 */
export async function customersInScope(db: Db, access: UnitAccess): Promise<ReadonlySet<string> | null> {
  const condition = unitScopeCondition(access.units, access.scope, 'attributes.');
  if (!condition) return null;
  const customers = await c
    .customers(db)
    .find(condition, { projection: { _id: 1 } })
    .toArray();
  return new Set(customers.map((customer) => customer._id));
}

/** For a person responsible for some units: the units the comparison splits the shown unit into. */
function splitUnitsOf(access: UnitAccess, segment: string): string[] | undefined {
  if (access.scope.all) return undefined;
  const unitId = unitOfSegment(segment);
  return unitId === null ? [] : childrenOf(access.units, unitId).map((unit) => unit.id);
}

/** The segment whose rollups hold a chosen segment's figures: the root unit's are `all`'s (segmentForUnit). */
export function rollupSegmentOf(access: UnitAccess, segment: string): string {
  const unitId = unitOfSegment(segment);
  return unitId === null ? segment : segmentForUnit(access.units, unitId);
}

/**
 * Reads only the rollups' month documents, by `_id` (src/db/rollup-totals.ts): how many depends on
 * the programs, months and segments, never on the number of replies. `filters.segment` must be one
 * the access sees (parseDashboardQuery); a person responsible for some units is given only their
 * units' rollups, split by the units below the shown one.
 */
export async function loadExperienceDashboard(
  db: Db,
  filters: DashboardFilters,
  access: UnitAccess,
): Promise<ExperienceReport> {
  if (!segmentInScope(access.scope, filters.segment)) throw new AppError('forbidden', OUT_OF_UNITS);
  const comparison = comparisonPeriod(filters, filters.compare);
  const programIds = filters.programId ? [filters.programId] : (await dashboardPrograms(db)).map((p) => p.id);
  const splitUnits = splitUnitsOf(access, filters.segment);
  const segment = rollupSegmentOf(access, filters.segment);
  const docs = await readRollups(db, {
    programIds,
    periods: comparison ? [filters, comparison] : [filters],
    segment,
    split: filters,
    ...(splitUnits ? { splitSegments: splitUnits.map(unitSegment) } : {}),
  });
  const visible = docs.filter((doc) => segmentInScope(access.scope, doc.segment));
  const dashboard = {
    ...experienceDashboard({ ...filters, segment }, visible as DashboardRollup[], splitUnits),
    filters,
  };
  const examples = await exampleComments(
    db,
    dashboard.themes.flatMap((t) => t.exampleIds),
  );
  return {
    ...dashboard,
    themes: dashboard.themes.map(({ exampleIds, ...theme }) => ({
      ...theme,
      examples: exampleIds.flatMap((id) => examples.get(id) ?? []),
    })),
  };
}

/** A reply quoted as an example of its theme (IDs empty when anonymised, src/web/personal-data.ts). */
export interface ThemeExample {
  replyId: string;
  customerId: string;
  submittedAt: Date;
  comment: string;
}

export type ExperienceReport = Omit<ExperienceDashboard, 'themes'> & {
  themes: (Omit<ExperienceDashboard['themes'][number], 'exampleIds'> & { examples: ThemeExample[] })[];
};

/** Long comments are cut here, on the dashboard and in the API alike. */
const EXAMPLE_LENGTH = 280;

/** The comments of the example replies, by `_id` (a few dozen at most); erased replies have none and are left out. */
async function exampleComments(db: Db, replyIds: string[]): Promise<Map<string, ThemeExample>> {
  const replies = await Promise.all(
    [...new Set(replyIds)].map((id) =>
      c.responses(db).findOne({ _id: id }, { projection: { customerId: 1, submittedAt: 1, 'scores.verbatim': 1 } }),
    ),
  );
  const examples = replies.flatMap((reply) => {
    const comment = reply?.scores?.verbatim?.trim();
    if (!reply || !comment) return [];
    const cut = comment.length > EXAMPLE_LENGTH ? `${comment.slice(0, EXAMPLE_LENGTH - 1)}…` : comment;
    return [{ replyId: reply._id, customerId: reply.customerId, submittedAt: reply.submittedAt, comment: cut }];
  });
  return new Map(examples.map((example) => [example.replyId, example]));
}

/** The programs the filter offers (the segments come with the dashboard: those with replies in the period). */
export async function dashboardPrograms(db: Db) {
  const programs = await c
    .programs(db)
    .find({}, { projection: { name: 1 } })
    .sort({ _id: 1 })
    .toArray();
  return programs.map((p) => ({ id: p._id, name: p.name }));
}

export const DASHBOARD_TABLES = ['over-time', 'by-segment', 'funnel', 'themes'] as const;
export type DashboardTable = (typeof DASHBOARD_TABLES)[number];

type Cell = string | number | null;

/** Each of the dashboard's tables as columns and rows, for its CSV download. */
export function dashboardTable(
  dashboard: ExperienceReport,
  table: DashboardTable,
): { columns: string[]; rows: Cell[][] } {
  switch (table) {
    case 'over-time':
      return {
        columns: [dashboard.bucket, 'responses', 'nps', 'csatPercent', 'cesAverage'],
        rows: dashboard.series.map((p) => [p.bucket, p.responses, p.nps, p.csatPercent, p.cesAverage]),
      };
    case 'by-segment':
      return {
        columns: ['dimension', 'value', 'responses', 'nps', 'csatPercent', 'cesAverage'],
        rows: dashboard.split.flatMap(({ dimension, rows }) =>
          rows.map((r) => [dimension, r.value, r.responses, r.nps, r.csatPercent, r.cesAverage]),
        ),
      };
    case 'funnel':
      return {
        columns: ['stage', 'count', 'percentOfInvited', 'previousCount'],
        rows: dashboard.funnel.map((f) => [f.stage, f.count, f.percentOfInvited, f.previous]),
      };
    case 'themes':
      return {
        columns: ['theme', 'count', 'previousCount', 'exampleReplyIds'],
        rows: dashboard.themes.map((t) => [
          t.theme,
          t.count,
          t.previous,
          t.examples
            .map((e) => e.replyId)
            .filter(Boolean)
            .join(' '),
        ]),
      };
  }
}

/** A table's name from the path; a 404 lists the tables. */
export function dashboardTableOf(name: string): DashboardTable {
  if (!(DASHBOARD_TABLES as readonly string[]).includes(name))
    throw new AppError('not-found', `No dashboard table ${name}; the tables are ${DASHBOARD_TABLES.join(', ')}.`);
  return name as DashboardTable;
}

/**
 * The experience dashboard as the person may read it: anonymised example comments lose their
 * reply, their customer and the contact details typed into them.
 */
export function dashboardFor(view: PersonalDataView, report: ExperienceReport): ExperienceReport {
  if (view.comments === 'as-written') return report;
  return {
    ...report,
    themes: report.themes.map((theme) => ({
      ...theme,
      examples: theme.examples.map((e) => ({
        replyId: '',
        customerId: '',
        submittedAt: e.submittedAt,
        comment: maskContactDetails(e.comment),
      })),
    })),
  };
}
