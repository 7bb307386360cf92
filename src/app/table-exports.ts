import type { Db } from 'mongodb';
import type { PersonalDataView } from '../domain/personal-data';
import { type CaseTable, caseTable, loadCaseMetrics } from './case-metrics';
import {
  type DashboardTable,
  dashboardFor,
  dashboardTable,
  loadExperienceDashboard,
  parseDashboardQuery,
  type UnitAccess,
} from './insight';
import { JOURNEY_COLUMNS, journeyRows, journeySince, loadJourney } from './journeys';
import { QUADRANT_COLUMNS, loadQuadrants, quadrantRows, sinceMonth } from './quadrants';
import { FIX_COLUMNS, fixRows, loadRootCause } from './root-causes';

/** A value in a downloaded table. */
export type Cell = string | number | boolean | Date | null | undefined;

/**
 * A report's table as a download: its file name, its columns and rows, and what the audit log
 * records of it (the table and its filters). The admin pages and the API serve the same ones.
 */
export interface TableExport {
  filename: string;
  columns: string[];
  rows: Cell[][];
  table: string;
  filters: object;
}

/**
 * A table of the experience dashboard, of the units `access` sees and as `view` may read it (the
 * API reads every comment as written).
 */
export async function dashboardExport(
  db: Db,
  table: DashboardTable,
  query: unknown,
  access: UnitAccess,
  view?: PersonalDataView,
): Promise<TableExport> {
  const { filters } = parseDashboardQuery(query, access.scope);
  const report = await loadExperienceDashboard(db, filters, access);
  const shown = view ? dashboardFor(view, report) : report;
  return {
    filename: `${table}-${filters.from}-${filters.to}.csv`,
    ...dashboardTable(shown, table),
    table: `dashboard-${table}`,
    filters,
  };
}

export async function caseMetricsExport(
  db: Db,
  table: CaseTable,
  query: unknown,
  access: UnitAccess,
): Promise<TableExport> {
  const { filters } = parseDashboardQuery(query, access.scope);
  return {
    filename: `cases-${table}-${filters.from}-${filters.to}.csv`,
    ...caseTable(await loadCaseMetrics(db, filters, access), table),
    table: `case-metrics-${table}`,
    filters,
  };
}

export async function journeyExport(
  db: Db,
  programId: string,
  query: unknown,
  access: UnitAccess,
): Promise<TableExport> {
  const since = journeySince(query);
  const journey = await loadJourney(db, programId, since, access);
  return {
    filename: `journey-${journey.programId}.csv`,
    columns: JOURNEY_COLUMNS,
    rows: journeyRows(journey),
    table: 'journey',
    filters: { programId: journey.programId, since },
  };
}

export async function rootCauseFixesExport(db: Db, rootCause: string, access: UnitAccess): Promise<TableExport> {
  const report = await loadRootCause(db, rootCause, access);
  return {
    filename: `fixes-${report.rootCause}.csv`,
    columns: FIX_COLUMNS,
    rows: fixRows(report),
    table: 'root-cause-fixes',
    filters: { rootCause: report.rootCause },
  };
}

export async function quadrantAccountsExport(db: Db, query: unknown, access: UnitAccess): Promise<TableExport> {
  const report = await loadQuadrants(db, sinceMonth(query), access);
  return {
    filename: `quadrants-${report.since}.csv`,
    columns: QUADRANT_COLUMNS,
    rows: quadrantRows(report),
    table: 'quadrant-accounts',
    filters: { since: report.since },
  };
}
