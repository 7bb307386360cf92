import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import type { CaseGroupRow } from '../../domain/case-metrics';
import { roundTo } from '../../domain/scoring';
import { allowRoles } from '../access';
import { barChart, lineChart } from '../charts';
import { sendTable } from '../exports';
import { caseMetricsExport } from '../../app/table-exports';
import { CASE_TABLES, type CaseMetricsReport, caseTableOf, loadCaseMetrics } from '../../app/case-metrics';
import { dashboardPrograms, parseDashboardQuery } from '../../app/insight';
import { COMPARE_LABELS, tableLinks, unitChoices } from './admin-insight';
import { ensureSeesAllCustomers, personalDataViewFor } from '../personal-data';
import { unitAccessOf } from '../../app/units';
import type { SignedInUser } from '../auth';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

/** The headline figures, each with its value in the comparison period. */
function figures(report: CaseMetricsReport) {
  const { current, previous } = report;
  const figure = (label: string, unit: string, key: keyof CaseMetricsReport['current']) => ({
    label,
    unit,
    value: current[key],
    previous: previous ? previous[key] : null,
  });
  return [
    figure('Opened', '', 'opened'),
    figure('Resolved', '', 'resolved'),
    figure('Median resolution (business hours)', ' h', 'medianResolutionHours'),
    figure('90th percentile resolution (business hours)', ' h', 'p90ResolutionHours'),
    figure('First-contact resolution', ' %', 'firstContactRate'),
    figure('SLA breach rate', ' %', 'slaBreachRate'),
    figure('Escalations', '', 'escalations'),
    figure('Reopen rate', ' %', 'reopenRate'),
    {
      label: 'Post-resolution CSAT',
      unit: ' %',
      value: report.postResolutionCsat.current,
      previous: report.postResolutionCsat.previous,
    },
  ];
}

/** A per-owner or per-root-cause row as the page shows it: the CSAT with its interval and n. */
function groupRow(row: CaseGroupRow) {
  const tenth = (value: number) => roundTo(value, 1);
  return {
    ...row,
    csat: row.postResolutionCsat === null ? '–' : `${tenth(row.postResolutionCsat)} %`,
    interval: row.postResolutionCsatInterval
      ? `${tenth(row.postResolutionCsatInterval.low)} to ${tenth(row.postResolutionCsatInterval.high)}`
      : '',
  };
}

function charts(report: CaseMetricsReport) {
  const most = Math.max(1, ...report.series.flatMap((p) => [p.opened, p.resolved]));
  return {
    overTime: lineChart(
      `Cases opened and resolved by ${report.bucket}`,
      report.series.map((p) => p.bucket),
      [
        { name: 'Opened', values: report.series.map((p) => p.opened) },
        { name: 'Resolved', values: report.series.map((p) => p.resolved) },
      ],
      { min: 0, max: Math.ceil(most * 1.1) },
    ),
    rootCauses: barChart(
      'Root causes of resolutions',
      report.rootCauses.map((r) => r.rootCause),
      report.rootCauses.map((r) => r.count),
    ),
    backlog: barChart(
      'Open cases per team',
      report.backlog.teams.map((t) => t.id),
      report.backlog.teams.map((t) => t.open),
    ),
  };
}

/** The case-metrics page for every signed-in role, and its tables as CSV. */
export function caseMetricsRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  router.get('/case-metrics', allowRoles(...roles), async (req, res) => {
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    const { filters } = parseDashboardQuery(req.query, access.scope);
    // Names and revenue of accounts: only for the roles that see every customer.
    const seesAccounts = personalDataViewFor(res).customers === 'all';
    const [report, programs] = await Promise.all([loadCaseMetrics(db, filters, access), dashboardPrograms(db)]);
    send(req, res, 'case-metrics', {
      title: 'Case metrics',
      filters,
      programs,
      units: unitChoices(access),
      // Each root cause links to its page (fixes, the outer loop).
      report: {
        ...report,
        accounts: seesAccounts ? report.accounts : [],
        rootCauses: report.rootCauses.map((r) => ({ ...r, path: encodeURIComponent(r.rootCause) })),
      },
      byOwner: report.byOwner.map(groupRow),
      byRootCause: report.byRootCause.map((row) => ({ ...groupRow(row), path: encodeURIComponent(row.id) })),
      seesAccounts,
      compareLabel: COMPARE_LABELS[filters.compare],
      figures: figures(report),
      charts: charts(report),
      csv: tableLinks('/admin/case-metrics', CASE_TABLES, req.query),
    });
  });

  router.get('/case-metrics/:table.csv', allowRoles(...roles), async (req: Request<{ table: string }>, res) => {
    const table = caseTableOf(req.params.table);
    if (table === 'accounts') ensureSeesAllCustomers(res, 'The accounts table');
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    await sendTable(res, db, await caseMetricsExport(db, table, req.query, access));
  });
}
