import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { readRollups } from '../db/rollup-totals';
import { revenueOf } from '../domain/quadrants';
import {
  CASE_METRICS_SINCE,
  type CaseGroupRow,
  type CaseMetrics,
  type CaseRollup,
  caseMetrics,
} from '../domain/case-metrics';
import { roundTo } from '../domain/scoring';
import { FOLLOW_UP_PROGRAM_ID } from '../domain/case-schemas';
import { type DashboardFilters, comparisonPeriod, segmentInScope } from '../domain/dashboard';
import { OUT_OF_UNITS } from '../domain/units';
import { ALL_SEGMENT, rollupDay, summarizeRollups } from '../domain/rollup';
import { type UnitAccess, customersInScope, dashboardPrograms, rollupSegmentOf } from './insight';
import { AppError } from './errors';
import { quadrantCutoffs } from './quadrants';

/** An account's cases against its value. */
export interface AccountCases {
  customerId: string;
  name?: string;
  cases: number;
  revenue: number | null;
}

export type CaseMetricsReport = CaseMetrics & {
  /** CSAT of the follow-up surveys sent after resolutions, in the period and the comparison. */
  postResolutionCsat: { current: number | null; previous: number | null; replies: number };
  /** The accounts with most cases (all time), with their revenue. */
  accounts: AccountCases[];
};

/** Accounts listed: most cases first. */
const TOP_ACCOUNTS = 20;

/**
 * The case metrics: the period's figures from the rollups' month documents read by `_id` (as the
 * experience dashboard), the backlog from every month since the first case change counted, and
 * the accounts from the customers' documents. For the whole organisation the `all` segment; for a
 * person responsible for some units the unit of `filters.segment` (one of theirs,
 * parseDashboardQuery), and the accounts of their units.
 */
export async function loadCaseMetrics(
  db: Db,
  filters: DashboardFilters,
  access: UnitAccess,
): Promise<CaseMetricsReport> {
  if (!segmentInScope(access.scope, filters.segment)) throw new AppError('forbidden', OUT_OF_UNITS);
  const segment = access.scope.all ? ALL_SEGMENT : rollupSegmentOf(access, filters.segment);
  const comparison = comparisonPeriod(filters, filters.compare);
  const programs = await dashboardPrograms(db);
  const programIds = filters.programId ? [filters.programId] : programs.map((p) => p.id);
  const since = (await c.settings(db).findOne({ _id: CASE_METRICS_SINCE }))?.value;
  const periods = comparison ? [filters, comparison] : [filters];
  const [docs, allTime, followUps, accounts] = await Promise.all([
    readRollups(db, { programIds, periods, segment }),
    since ? readRollups(db, { programIds, periods: [{ from: since, to: rollupDay(Date.now()) }], segment }) : [],
    readRollups(db, { programIds: await followUpPrograms(db, filters.programId), periods, segment }),
    topAccounts(db, access),
  ]);
  // readRollups also gives the `all` segment, which a person responsible for some units does not see.
  const inSegment = (rollups: typeof docs) => rollups.filter((doc) => doc.segment === segment);
  const metrics = caseMetrics(
    { ...filters, segment },
    inSegment(docs) as CaseRollup[],
    inSegment(allTime) as CaseRollup[],
  );
  const inPeriod = (period: { from: string; to: string }) =>
    inSegment(followUps).filter((doc) => doc.day >= period.from && doc.day <= period.to);
  const current = summarizeRollups(inPeriod(filters));
  return {
    ...metrics,
    postResolutionCsat: {
      current: current.csatPercent,
      previous: comparison ? summarizeRollups(inPeriod(comparison)).csatPercent : null,
      replies: current.responses,
    },
    accounts,
  };
}

/** The programs that ask after a resolution whether the problem is solved (of one program, or of all). */
export async function followUpPrograms(db: Db, programId?: string): Promise<string[]> {
  const named = await c
    .programs(db)
    .find(programId ? { _id: programId } : {}, { projection: { caseHandling: 1 } })
    .toArray();
  if (programId) return [named[0]?.caseHandling?.followUpProgram ?? FOLLOW_UP_PROGRAM_ID];
  return [...new Set([FOLLOW_UP_PROGRAM_ID, ...named.flatMap((p) => p.caseHandling?.followUpProgram ?? [])])];
}

/**
 * The accounts with most cases, of the units `access` sees, and their revenue (the attribute the
 * quadrants use). Reads every customer's score document: grows with customers, not with replies
 * or cases (and, for a person responsible for some units, one filtered pass over the customers).
 */
async function topAccounts(db: Db, access: UnitAccess): Promise<AccountCases[]> {
  const [withCases, inScope] = await Promise.all([
    c
      .customerScores(db)
      .find({ cases: { $gt: 0 } }, { projection: { cases: 1 } })
      .toArray(),
    customersInScope(db, access),
  ]);
  const top = withCases
    .filter((doc) => !inScope || inScope.has(doc._id))
    .sort((a, b) => (b.cases ?? 0) - (a.cases ?? 0) || (a._id < b._id ? -1 : 1))
    .slice(0, TOP_ACCOUNTS);
  const cutoffs = await quadrantCutoffs(db);
  const customers = await Promise.all(
    top.map((doc) =>
      c.customers(db).findOne({ _id: doc._id }, { projection: { name: 1, attributes: 1, erasedAt: 1 } }),
    ),
  );
  return top.map((doc, i) => {
    const customer = customers[i];
    return {
      customerId: doc._id,
      ...(customer?.name && !customer.erasedAt ? { name: customer.name } : {}),
      cases: doc.cases ?? 0,
      revenue: revenueOf(customer?.attributes ?? {}, cutoffs),
    };
  });
}

export const CASE_TABLES = [
  'figures',
  'over-time',
  'root-causes',
  'backlog',
  'accounts',
  'by-owner',
  'by-root-cause',
] as const;
export type CaseTable = (typeof CASE_TABLES)[number];

type Cell = string | number | null;

const GROUP_COLUMNS = [
  'resolved',
  'medianResolutionHours',
  'p90ResolutionHours',
  'postResolutionCsat',
  'postResolutionCsatLow',
  'postResolutionCsatHigh',
  'followUps',
];

/** A per-owner or per-root-cause row as CSV cells, the CSAT and its interval to one decimal. */
const groupCells = (row: CaseGroupRow): Cell[] => [
  row.id,
  row.resolved,
  row.medianResolutionHours,
  row.p90ResolutionHours,
  oneDecimal(row.postResolutionCsat),
  oneDecimal(row.postResolutionCsatInterval?.low ?? null),
  oneDecimal(row.postResolutionCsatInterval?.high ?? null),
  row.followUps,
];

const oneDecimal = (value: number | null) => (value === null ? null : roundTo(value, 1));

/** Each table of the case-metrics page as columns and rows, for its CSV download. */
export function caseTable(report: CaseMetricsReport, table: CaseTable): { columns: string[]; rows: Cell[][] } {
  switch (table) {
    case 'figures': {
      const keys = Object.keys(report.current) as (keyof CaseMetricsReport['current'])[];
      return {
        columns: ['figure', 'value', 'previous'],
        rows: [
          ...keys.map((key) => [key, report.current[key], report.previous?.[key] ?? null]),
          ['postResolutionCsat', report.postResolutionCsat.current, report.postResolutionCsat.previous],
        ],
      };
    }
    case 'over-time':
      return {
        columns: [report.bucket, 'opened', 'resolved'],
        rows: report.series.map((p) => [p.bucket, p.opened, p.resolved]),
      };
    case 'root-causes':
      return {
        columns: ['rootCause', 'count', 'previousCount'],
        rows: report.rootCauses.map((r) => [r.rootCause, r.count, r.previous]),
      };
    case 'backlog':
      return {
        columns: ['kind', 'id', 'open'],
        rows: [
          ...report.backlog.teams.map((t) => ['team', t.id, t.open]),
          ...report.backlog.owners.map((o) => ['owner', o.id, o.open]),
        ],
      };
    case 'accounts':
      return {
        columns: ['customerId', 'name', 'cases', 'revenue'],
        rows: report.accounts.map((a) => [a.customerId, a.name ?? '', a.cases, a.revenue]),
      };
    case 'by-owner':
      return { columns: ['ownerId', ...GROUP_COLUMNS], rows: report.byOwner.map(groupCells) };
    case 'by-root-cause':
      return { columns: ['rootCause', ...GROUP_COLUMNS], rows: report.byRootCause.map(groupCells) };
  }
}

/** A table's name from the path; a 404 lists the tables. */
export function caseTableOf(name: string): CaseTable {
  if (!(CASE_TABLES as readonly string[]).includes(name))
    throw new AppError('not-found', `No case-metrics table ${name}; the tables are ${CASE_TABLES.join(', ')}.`);
  return name as CaseTable;
}
