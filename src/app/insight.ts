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
  experienceDashboard,
  lastDays,
  periodDays,
} from '../domain/dashboard';
import { ALL_SEGMENT, SEGMENT_DIMENSIONS, rollupDay } from '../domain/rollup';
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
    (segment) => segment === ALL_SEGMENT || SEGMENT_DIMENSIONS.some((d) => segment.startsWith(`${d}:`)),
    `"${ALL_SEGMENT}" or dimension:value, where dimension is one of ${SEGMENT_DIMENSIONS.join(', ')}`,
  );

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
      .preprocess(blankAsAbsent, ZSegment.default(ALL_SEGMENT))
      .describe('`all` or `dimension:value`, e.g. `region:EU`'),
    compare: z
      .preprocess(blankAsAbsent, z.enum(COMPARISONS).default('previous'))
      .describe('What the period is compared with: the period before, the same period a year before, or nothing'),
    metric: z
      .preprocess(blankAsAbsent, z.enum(SPLIT_METRICS).default('nps'))
      .describe('The score the by-segment charts compare'),
  })
  .strict();

/** The filters a query asks for, with the defaults filled in; a 400 names what is wrong. */
export function parseDashboardQuery(
  query: unknown,
  today = rollupDay(Date.now()),
): { filters: DashboardFilters; metric: SplitMetric } {
  const parsed = parseInput(ZDashboardQuery, query, 'dashboard filters');
  const to = parsed.to ?? today;
  const from = parsed.from ?? lastDays(to, DEFAULT_PERIOD_DAYS).from;
  const period = { from, to };
  if (from > to) throw new AppError('invalid', 'invalid dashboard filters: from: the period starts after it ends');
  if (periodDays(period) > MAX_PERIOD_DAYS)
    throw new AppError('invalid', `invalid dashboard filters: from/to: at most ${MAX_PERIOD_DAYS} days`);
  const filters = {
    ...period,
    segment: parsed.segment,
    compare: parsed.compare,
    ...(parsed.program ? { programId: parsed.program } : {}),
  };
  return { filters, metric: parsed.metric };
}

/**
 * Reads only the rollups' month documents, by `_id` (src/db/rollup-totals.ts): how many depends on
 * the programs, months and segments, never on the number of replies.
 */
export async function loadExperienceDashboard(db: Db, filters: DashboardFilters): Promise<ExperienceReport> {
  const comparison = comparisonPeriod(filters, filters.compare);
  const programIds = filters.programId ? [filters.programId] : (await dashboardPrograms(db)).map((p) => p.id);
  const docs = await readRollups(db, {
    programIds,
    periods: comparison ? [filters, comparison] : [filters],
    segment: filters.segment,
    split: filters,
  });
  const dashboard = experienceDashboard(filters, docs as DashboardRollup[]);
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
