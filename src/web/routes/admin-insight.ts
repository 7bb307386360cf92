import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import type { ExperienceDashboard, SeriesPoint } from '../../domain/dashboard';
import { METRIC_SCALES } from '../../domain/scoring';
import { allowRoles } from '../access';
import { barChart, lineChart } from '../charts';
import { sendRowsCsv } from '../exports';
import {
  DASHBOARD_TABLES,
  type SplitMetric,
  dashboardChoices,
  dashboardTable,
  dashboardTableOf,
  loadExperienceDashboard,
  parseDashboardQuery,
} from '../insight-service';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>) => void;

/** The three scores, each charted on its whole scale so that a small change does not look like a big one. */
const METRICS: { key: SplitMetric; label: string; unit: string; scale: { min: number; max: number } }[] = [
  { key: 'nps', label: 'NPS', unit: '', scale: { min: -100, max: 100 } },
  { key: 'csatPercent', label: 'CSAT', unit: ' %', scale: { min: 0, max: 100 } },
  { key: 'cesAverage', label: 'CES', unit: '', scale: { min: METRIC_SCALES.ces.min, max: METRIC_SCALES.ces.max } },
];

const COMPARE_LABELS = { previous: 'the previous period', year: 'the same period a year earlier', none: 'nothing' };

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function headline(dashboard: ExperienceDashboard) {
  const { current, previous } = dashboard;
  const figure = (label: string, unit: string, now: number | null, before: number | null | undefined) => ({
    label,
    unit,
    value: now,
    previous: before ?? null,
    change:
      now !== null && before !== null && before !== undefined ? signed(Math.round((now - before) * 10) / 10) : null,
  });
  return [
    figure('Replies', '', current.responses, previous?.responses),
    ...METRICS.map((m) => figure(m.label, m.unit, current[m.key], previous?.[m.key])),
  ];
}

function overTime(dashboard: ExperienceDashboard) {
  const buckets = dashboard.series.map((p) => p.bucket);
  return METRICS.map(({ key, label, unit, scale }) => ({
    label,
    unit,
    svg: lineChart(
      `${label} by ${dashboard.bucket}`,
      buckets,
      [{ name: label, values: dashboard.series.map((p: SeriesPoint) => p[key]) }],
      scale,
    ),
    rows: dashboard.series.map((p) => ({ bucket: p.bucket, value: p[key], responses: p.responses })),
  }));
}

function bySegment(dashboard: ExperienceDashboard, metric: SplitMetric) {
  const { label, unit } = METRICS.find((m) => m.key === metric)!;
  return dashboard.split.map(({ dimension, rows }) => ({
    dimension,
    svg: barChart(
      `${label} by ${dimension}`,
      rows.map((r) => r.value),
      rows.map((r) => r[metric]),
      unit,
    ),
    rows,
  }));
}

/** The experience dashboard for every signed-in role, and its tables as CSV. */
export function insightRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  router.get('/dashboard', allowRoles(...roles), async (req, res) => {
    const { filters, metric } = parseDashboardQuery(req.query);
    const [dashboard, choices] = await Promise.all([loadExperienceDashboard(db, filters), dashboardChoices(db)]);
    const query = new URLSearchParams(req.query as Record<string, string>).toString();
    send(req, res, 'dashboard', {
      title: 'Experience dashboard',
      filters,
      metric,
      metrics: METRICS,
      choices,
      comparison: dashboard.comparison,
      compareLabel: COMPARE_LABELS[filters.compare],
      headline: headline(dashboard),
      overTime: overTime(dashboard),
      bySegment: bySegment(dashboard, metric),
      themes: dashboard.themes,
      bucket: dashboard.bucket,
      csv: Object.fromEntries(DASHBOARD_TABLES.map((t) => [t, `/admin/dashboard/${t}.csv${query ? `?${query}` : ''}`])),
    });
  });

  router.get('/dashboard/:table.csv', allowRoles(...roles), async (req: Request<{ table: string }>, res) => {
    const table = dashboardTableOf(req.params.table);
    const { filters } = parseDashboardQuery(req.query);
    const { columns, rows } = dashboardTable(await loadExperienceDashboard(db, filters), table);
    await sendRowsCsv(res, `${table}-${filters.from}-${filters.to}.csv`, columns, rows);
  });
}
