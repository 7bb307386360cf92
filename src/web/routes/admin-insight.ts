import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import { type Role, roleGrants } from '../../domain/access';
import { QUADRANTS, type Quadrant, ZQuadrantCutoffs } from '../../domain/quadrants';
import type { SeriesPoint } from '../../domain/dashboard';
import { ALL_SEGMENT, unitOfSegment, unitSegment } from '../../domain/rollup';
import type { Unit } from '../../domain/units';
import { METRIC_SCALES } from '../../domain/scoring';
import { allowRoles } from '../access';
import { barChart, lineChart, scatterChart } from '../charts';
import { loadQuadrants, openCaseOf, saveQuadrantCutoffs, sinceMonth } from '../../app/quadrants';
import { sendTable } from '../exports';
import { dashboardExport, quadrantAccountsExport } from '../../app/table-exports';
import { personalDataViewFor } from '../personal-data';
import { ROLES_SEEING_ALL_CUSTOMERS } from '../../domain/personal-data';
import {
  DASHBOARD_TABLES,
  type ExperienceReport,
  type SplitMetric,
  dashboardFor,
  dashboardPrograms,
  dashboardTableOf,
  loadExperienceDashboard,
  parseDashboardQuery,
  type UnitAccess,
} from '../../app/insight';
import { unitAccessOf } from '../../app/units';
import type { SignedInUser } from '../auth';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

/** The three scores, each charted on its whole scale so that a small change does not look like a big one. */
const METRICS: { key: SplitMetric; label: string; unit: string; scale: { min: number; max: number } }[] = [
  { key: 'nps', label: 'NPS', unit: '', scale: { min: -100, max: 100 } },
  { key: 'csatPercent', label: 'CSAT', unit: ' %', scale: { min: 0, max: 100 } },
  { key: 'cesAverage', label: 'CES', unit: '', scale: { min: METRIC_SCALES.ces.min, max: METRIC_SCALES.ces.max } },
];

/** What the filters' comparison means, for the sentence above the figures. */
export const COMPARE_LABELS = {
  previous: 'the previous period',
  year: 'the same period a year earlier',
  none: 'nothing',
};

/** A page's CSV download per table, with the page's own filters. */
export function tableLinks(base: string, tables: readonly string[], query: unknown): Record<string, string> {
  const search = new URLSearchParams(query as Record<string, string>).toString();
  return Object.fromEntries(tables.map((t) => [t, `${base}/${t}.csv${search ? `?${search}` : ''}`]));
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function headline(dashboard: ExperienceReport) {
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

function overTime(dashboard: ExperienceReport) {
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

/** A unit's name for the page, its ID when the tree no longer has it. */
const unitName = (units: readonly Unit[], id: string) => units.find((u) => u.id === id)?.name ?? id;

function bySegment(dashboard: ExperienceReport, metric: SplitMetric, units: readonly Unit[]) {
  const { label, unit } = METRICS.find((m) => m.key === metric)!;
  return dashboard.split.map(({ dimension, rows: split }) => {
    const rows = dimension === 'unit' ? split.map((r) => ({ ...r, value: unitName(units, r.value) })) : split;
    return {
      dimension,
      svg: barChart(
        `${label} by ${dimension}`,
        rows.map((r) => r.value),
        rows.map((r) => r[metric]),
        unit,
      ),
      rows,
    };
  });
}

const segmentLabel = (units: readonly Unit[], segment: string) => {
  const unitId = unitOfSegment(segment);
  return segment === ALL_SEGMENT ? 'Everyone' : unitId === null ? segment : `Unit: ${unitName(units, unitId)}`;
};

/** The units a person responsible for some units may pick (none for the whole organisation). */
export function unitChoices(access: UnitAccess): { value: string; label: string }[] {
  if (access.scope.all) return [];
  return access.scope.unitIds.map(unitSegment).map((value) => ({ value, label: segmentLabel(access.units, value) }));
}

/**
 * The segments the filter offers: for the whole organisation everyone and the segments with replies
 * (the chosen one even without), for a person responsible for some units those units alone.
 */
function segmentChoices(access: UnitAccess, dashboard: ExperienceReport, chosen: string) {
  if (!access.scope.all) return unitChoices(access);
  const segments = [...new Set([...dashboard.segments, chosen])].filter((s) => s !== ALL_SEGMENT).sort();
  return [ALL_SEGMENT, ...segments].map((value) => ({ value, label: segmentLabel(access.units, value) }));
}

const FUNNEL_LABELS = {
  invited: 'Invited',
  reminded: 'Reminded',
  answered: 'Answered',
  expired: 'Expired',
  unsubscribed: 'Unsubscribed',
};

function funnel(dashboard: ExperienceReport) {
  const stages = dashboard.funnel.map((f) => ({ ...f, label: FUNNEL_LABELS[f.stage] }));
  return {
    svg: barChart(
      'Response funnel',
      stages.map((f) => f.label),
      stages.map((f) => f.count),
      '',
    ),
    stages,
  };
}

/** The experience dashboard for every signed-in role, and its tables as CSV. */
export function insightRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  router.get('/dashboard', allowRoles(...roles), async (req, res) => {
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    const { filters, metric } = parseDashboardQuery(req.query, access.scope);
    const view = personalDataViewFor(res);
    const [report, programs] = await Promise.all([loadExperienceDashboard(db, filters, access), dashboardPrograms(db)]);
    const dashboard = dashboardFor(view, report);
    send(req, res, 'dashboard', {
      title: 'Experience dashboard',
      filters,
      metric,
      metrics: METRICS,
      choices: { programs, segments: segmentChoices(access, dashboard, filters.segment) },
      byUnits: !access.scope.all,
      comparison: dashboard.comparison,
      compareLabel: COMPARE_LABELS[filters.compare],
      headline: headline(dashboard),
      overTime: overTime(dashboard),
      bySegment: bySegment(dashboard, metric, access.units),
      funnel: funnel(dashboard),
      themes: dashboard.themes,
      // Example comments link to the customer's replies for those who read them as written.
      linkReplies: view.comments === 'as-written',
      bucket: dashboard.bucket,
      csv: tableLinks('/admin/dashboard', DASHBOARD_TABLES, req.query),
    });
  });

  router.get('/dashboard/:table.csv', allowRoles(...roles), async (req: Request<{ table: string }>, res) => {
    const table = dashboardTableOf(req.params.table);
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    await sendTable(res, db, await dashboardExport(db, table, req.query, access, personalDataViewFor(res)));
  });
}

const QUADRANT_LABELS: Record<Quadrant, string> = {
  model: 'Model (high score, high revenue)',
  growth: 'Growth (high score, low revenue)',
  'at-risk': 'At-Risk (low score, high revenue)',
  dangling: 'Dangling (low score, low revenue)',
};
/** The At-Risk rows a page shows; the CSV has every account. */
const AT_RISK_ROWS = 100;

/** The form's fields as the cut-offs schema reads them (numbers from text; blank = default). */
function cutoffsFromForm(body: Record<string, unknown>) {
  const number = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : undefined);
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  return { score: number(body.score), revenue: number(body.revenue), revenueAttribute: text(body.revenueAttribute) };
}

/** Customer quadrants for every signed-in role; the cut-offs for `editors`. */
export function quadrantRoutes(
  router: Router,
  {
    db,
    send,
    roles,
    editors,
    campaigners,
  }: { db: Db; send: Send; roles: Role[]; editors: Role[]; campaigners: Role[] },
) {
  const page = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const since = sinceMonth(req.method === 'GET' ? req.query : {});
    const report = await loadQuadrants(db, since, await unitAccessOf(db, res.locals.user as SignedInUser));
    // Names and revenue of accounts: the counts, movement and chart are for everyone, the list is not.
    const seesAccounts = personalDataViewFor(res).customers === 'all';
    const atRisk = seesAccounts ? report.atRisk.slice(0, AT_RISK_ROWS) : [];
    const openCases = await openCaseOf(
      db,
      atRisk.map((a) => a.id),
    );
    const { cutoffs } = report;
    send(
      req,
      res,
      'quadrants',
      {
        title: 'Customer quadrants',
        since,
        cutoffs,
        canEdit: roleGrants(res.locals.user.role, editors),
        chart: scatterChart(
          'Accounts by summary score and revenue',
          QUADRANTS.map((q) => ({
            name: QUADRANT_LABELS[q].split(' (')[0]!,
            points: report.accounts.filter((a) => a.quadrant === q).map((a) => [a.revenue ?? 0, a.score]),
          })),
          { x: `revenue (${cutoffs.revenueAttribute})`, y: 'score', yMax: 100 },
          { x: cutoffs.revenue, y: cutoffs.score },
        ),
        counts: QUADRANTS.map((q) => ({
          quadrant: q,
          label: QUADRANT_LABELS[q],
          count: report.counts[q],
          // A campaign to the quadrant, prefilled (nothing is launched until the form is sent).
          survey: roleGrants(res.locals.user.role, campaigners)
            ? `/admin/campaigns?${new URLSearchParams({ quadrants: q, name: `${QUADRANT_LABELS[q].split(' (')[0]} customers` })}`
            : null,
        })),
        movement: report.movement,
        seesAccounts,
        atRisk: atRisk.map((a) => ({ ...a, caseId: openCases.get(a.id) })),
        moreAtRisk: seesAccounts ? report.atRisk.length - atRisk.length : 0,
        ...extra,
      },
      status,
    );
  };

  router.get('/quadrants', allowRoles(...roles), (req, res) => page(req, res));

  router.post('/quadrants/cutoffs', allowRoles(...editors), async (req, res) => {
    const parsed = ZQuadrantCutoffs.safeParse(cutoffsFromForm(req.body as Record<string, unknown>));
    if (!parsed.success) {
      const errors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? 'form'), i.message]));
      return page(req, res, { errors, values: req.body }, 422);
    }
    await saveQuadrantCutoffs(db, parsed.data, res.locals.user.email as string);
    res.redirect(303, '/admin/quadrants');
  });

  // Names and revenue of every account: for the roles that see every customer.
  router.get('/quadrants/accounts.csv', allowRoles(...ROLES_SEEING_ALL_CUSTOMERS), async (req, res) => {
    const access = await unitAccessOf(db, res.locals.user as SignedInUser);
    await sendTable(res, db, await quadrantAccountsExport(db, req.query, access));
  });
}
