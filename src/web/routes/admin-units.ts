import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import { type Role, roleGrants } from '../../domain/access';
import { GOAL_COMPARATORS, GOAL_PACE_LABELS, GOAL_STATUS_LABELS, ZGoalPeriod, describeGoal } from '../../domain/goals';
import { roundTo } from '../../domain/scoring';
import {
  DEFAULT_MIN_REPLIES,
  type Interval,
  METRICS,
  METRIC_DECIMALS,
  METRIC_LABELS,
  type Metric,
} from '../../domain/statistics';
import { type Unit, ZUnit, ancestry, parseRuleText, ruleText } from '../../domain/units';
import { AppError } from '../../app/errors';
import { dashboardPrograms } from '../../app/insight';
import { listUsers } from '../../app/people';
import { type UnitComparisonReport, compareUnits, deleteGoal, maySetGoals, setGoal } from '../../app/unit-comparison';
import { deleteUnit, putUnit, unitAccessOf, unitsOverview } from '../../app/units';
import { allowRoles } from '../access';
import type { SignedInUser } from '../auth';
import { HttpError, statusOf } from '../errors';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

/** What the unit form sends, as typed: shown again with the errors. */
interface UnitForm {
  id: string;
  name: string;
  parentId: string;
  manager: string;
  rule: string;
  version: string;
}

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');

function formOf(body: Record<string, unknown> | undefined, id?: string): UnitForm {
  return {
    id: id ?? text(body?.id, 100).trim(),
    name: text(body?.name, 300),
    parentId: text(body?.parentId, 100),
    manager: text(body?.manager, 300).trim(),
    rule: text(body?.rule, 20_000),
    version: text(body?.version, 20),
  };
}

const formFrom = (unit: Unit, version: number): UnitForm => ({
  id: unit.id,
  name: unit.name,
  parentId: unit.parentId ?? '',
  manager: unit.manager ?? '',
  rule: ruleText(unit.match),
  version: String(version),
});

/** The form as a unit, or the errors next to its fields. */
function unitOf(
  form: UnitForm,
  isRoot: boolean,
): { unit: unknown; version: number } | { errors: Record<string, string> } {
  const rule = parseRuleText(form.rule);
  const version = Number(form.version);
  const errors: Record<string, string> = {};
  if ('problem' in rule) errors.rule = rule.problem;
  if (!form.version || !Number.isSafeInteger(version) || version < 0)
    errors.form = 'the form lacks the version of the units it was made from: reload the page';
  const unit = {
    id: form.id,
    name: form.name,
    parentId: isRoot ? null : form.parentId,
    manager: form.manager || null,
    match: 'match' in rule ? rule.match : {},
  };
  const parsed = ZUnit.safeParse(unit);
  if (!parsed.success)
    for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? 'form')] ??= issue.message;
  return Object.keys(errors).length ? { errors } : { unit, version };
}

/** The organisation units: admins and operations see the tree, admins change it one unit at a time. */
export function unitRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  const canEdit = (res: Response) => roleGrants((res.locals.user as SignedInUser).role, ['admin']);
  const actor = (res: Response) => (res.locals.user as SignedInUser).id;

  /** The parent and manager choices of a form. */
  const choices = async (units: readonly Unit[], form: UnitForm) => {
    const people = await listUsers(db, { limit: 500, skip: 0 });
    return {
      parents: units
        // A unit cannot sit below itself or its own units.
        .filter((u) => !form.id || !ancestry(units, u.id).includes(form.id))
        .map((u) => ({ id: u.id, label: ancestry(units, u.id).join(' › '), selected: u.id === form.parentId })),
      managers: people
        .filter((p) => !p.disabled || p._id === form.manager)
        .map((p) => ({ id: p._id, label: `${p.name} (${p.email})`, selected: p._id === form.manager })),
    };
  };

  const unitsPage = async (
    req: Request,
    res: Response,
    extra: { form?: UnitForm } & Record<string, unknown> = {},
    status = 200,
  ) => {
    const { units, version, rows } = await unitsOverview(db);
    const root = units.find((u) => u.parentId === null)!;
    // A form shown again carries the version of the tree now on the page: a refused stale
    // change can be sent again after a look at the fresh tree.
    const form = extra.form
      ? { ...extra.form, version: String(version) }
      : { ...formFrom({ ...root, id: '', name: '', manager: null }, version), parentId: root.id };
    send(
      req,
      res,
      'units',
      {
        title: 'Organisation units',
        canEdit: canEdit(res),
        rows: rows.map(({ unit, depth, people }) => ({
          ...unit,
          indent: '\u00a0\u00a0\u00a0\u00a0'.repeat(Math.max(depth - 1, 0)) + (depth ? '└\u00a0' : ''),
          rule: ruleText(unit.match).replace(/\n/g, '; '),
          people,
          isRoot: unit.parentId === null,
        })),
        version,
        values: form,
        formAction: '/admin/units',
        submitLabel: 'Add unit',
        isNew: true,
        ...(canEdit(res) ? await choices(units, form) : {}),
        ...extra,
      },
      status,
    );
  };

  const editPage = async (
    req: Request,
    res: Response,
    form: UnitForm,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const { units, version } = await unitsOverview(db);
    const unit = units.find((u) => u.id === form.id);
    if (!unit) throw new HttpError(404, `There is no unit ${form.id}.`);
    send(
      req,
      res,
      'unit-edit',
      {
        title: `Edit ${unit.name}`,
        unit,
        isRoot: unit.parentId === null,
        values: { ...form, version: String(version) },
        formAction: `/admin/units/${encodeURIComponent(unit.id)}`,
        submitLabel: 'Save unit',
        ...(await choices(units, form)),
        ...extra,
      },
      status,
    );
  };

  /** A refusal of the use case shown on the form it came from; anything else is not a form mistake. */
  const refusal = (err: unknown) => {
    if (!(err instanceof AppError) || !['invalid', 'conflict', 'not-found'].includes(err.kind)) throw err;
    return { error: err.message, status: statusOf(err.kind) };
  };

  router.get('/units', allowRoles(...roles), (req, res) => unitsPage(req, res));

  router.post('/units', allowRoles('admin'), async (req, res) => {
    const form = formOf(req.body);
    const parsed = unitOf(form, false);
    if ('errors' in parsed) return unitsPage(req, res, { form, errors: parsed.errors }, 422);
    try {
      await putUnit(db, parsed.unit, { version: parsed.version, add: true }, actor(res));
    } catch (err) {
      const { error, status } = refusal(err);
      return unitsPage(req, res, { form, errors: { form: error } }, status);
    }
    await unitsPage(req, res, { notice: `Unit ${form.id} added.` });
  });

  router.get('/units/:id/edit', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    const { units, version } = await unitsOverview(db);
    const unit = units.find((u) => u.id === req.params.id);
    if (!unit) throw new HttpError(404, `There is no unit ${req.params.id}.`);
    await editPage(req, res, formFrom(unit, version));
  });

  router.post('/units/:id', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    const form = formOf(req.body, req.params.id);
    const { units } = await unitsOverview(db);
    const current = units.find((u) => u.id === form.id);
    if (!current) throw new HttpError(404, `There is no unit ${form.id}.`);
    const parsed = unitOf(form, current.parentId === null);
    if ('errors' in parsed) return editPage(req, res, form, { errors: parsed.errors }, 422);
    try {
      await putUnit(db, parsed.unit, { version: parsed.version, add: false }, actor(res));
    } catch (err) {
      const { error, status } = refusal(err);
      return editPage(req, res, form, { errors: { form: error } }, status);
    }
    await unitsPage(req, res, { notice: `Unit ${form.id} saved.` });
  });

  router.post('/units/:id/delete', allowRoles('admin'), async (req: Request<{ id: string }>, res) => {
    const version = Number(text(req.body?.version, 20) || NaN);
    try {
      if (!Number.isSafeInteger(version) || version < 0)
        throw new AppError('invalid', 'the form lacks the version of the units: reload the page');
      await deleteUnit(db, req.params.id, version, actor(res));
    } catch (err) {
      const { error, status } = refusal(err);
      return unitsPage(req, res, { error }, status);
    }
    await unitsPage(req, res, { notice: `Unit ${req.params.id} deleted.` });
  });
}

const round = (value: number, metric: Metric) => roundTo(value, METRIC_DECIMALS[metric]);

/** A figure as the table shows it: value and 95 % interval, or a dash without replies. */
function estimateText(
  estimate: { value: number | null; interval: Interval | null } | null,
  metric: Metric,
): { value: string; interval: string } {
  if (estimate?.value == null || !estimate.interval) return { value: '–', interval: '' };
  return {
    value: String(round(estimate.value, metric)),
    interval: `${round(estimate.interval.low, metric)} to ${round(estimate.interval.high, metric)}`,
  };
}

/** The comparison's rows and goals as the page shows them. */
function comparisonView(report: UnitComparisonReport, user: SignedInUser, units: readonly Unit[]) {
  return {
    metrics: METRICS.map((key) => ({ key, label: METRIC_LABELS[key] })),
    rows: report.rows.map((row) => ({
      id: row.unit.id,
      name: row.unit.name,
      whole: row.whole,
      rank: row.rank,
      replies: row.metrics.summary.replies,
      comparable: row.metrics.summary.ranked,
      // `key`, not `metric`: a template helper has that name.
      cells: METRICS.map((metric) => ({
        key: metric,
        replies: row.metrics[metric].replies,
        ranked: row.metrics[metric].ranked,
        ...estimateText(row.metrics[metric].estimate, metric),
      })),
    })),
    goals: report.rows.flatMap((row) =>
      row.goals.map(({ goal, setBy, progress }) => ({
        unit: row.unit.name,
        unitId: row.unit.id,
        // `metricKey`, not `metric`: a template helper has that name.
        metricKey: goal.metric,
        period: goal.period,
        goal: describeGoal(goal),
        setBy,
        replies: progress.replies,
        status: progress.status,
        statusLabel: GOAL_STATUS_LABELS[progress.status],
        pace: progress.pace,
        paceLabel: progress.pace ? GOAL_PACE_LABELS[progress.pace] : '',
        mayDelete: maySetGoals(units, user, row.unit.id),
        ...estimateText(progress, goal.metric),
      })),
    ),
    goalUnits: report.rows
      .filter((row) => maySetGoals(units, user, row.unit.id))
      .map((row) => ({ id: row.unit.id, name: row.unit.name })),
  };
}

/**
 * Units compared side by side, with their goals: for every role that sees insight, within the
 * units they see; goals are set by a unit's managers and admins.
 */
export function unitComparisonRoutes(router: Router, { db, send, roles }: { db: Db; send: Send; roles: Role[] }) {
  const page = async (
    req: Request,
    res: Response,
    query: unknown,
    extra: Record<string, unknown> = {},
    status = 200,
  ) => {
    const user = res.locals.user as SignedInUser;
    const access = await unitAccessOf(db, user);
    const report = await compareUnits(db, access, query);
    send(
      req,
      res,
      'unit-comparison',
      {
        title: `Compare units: ${report.unit.name}`,
        report,
        ...comparisonView(report, user, access.units),
        minReplies: DEFAULT_MIN_REPLIES,
        programs: await dashboardPrograms(db),
        unitChoices: report.choices.map((u) => ({
          id: u.id,
          label: ancestry(access.units, u.id).join(' › '),
          selected: u.id === report.unit.id,
        })),
        comparators: GOAL_COMPARATORS,
        ...extra,
      },
      status,
    );
  };

  router.get('/units/compare', allowRoles(...roles), (req, res) => page(req, res, req.query));

  router.post('/units/:id/goals', allowRoles(...roles), async (req: Request<{ id: string }>, res) => {
    const user = res.locals.user as SignedInUser;
    const target = text(req.body?.target, 30).trim();
    const goal = {
      metric: text(req.body?.metric, 20),
      comparator: text(req.body?.comparator, 5),
      target: target === '' ? undefined : Number(target),
      period: text(req.body?.period, 20).trim(),
    };
    const back = { unit: text(req.body?.back, 100) || req.params.id, period: goal.period };
    const { units } = await unitAccessOf(db, user);
    try {
      const setter = { actor: user.id, may: (id: string) => maySetGoals(units, user, id) };
      const saved = await setGoal(db, units, setter, req.params.id, goal);
      await page(req, res, back, { notice: `Goal set for ${req.params.id}: ${describeGoal(saved)}.` });
    } catch (err) {
      if (!(err instanceof AppError) || err.kind !== 'invalid') throw err;
      // The goal's own period may be the unreadable field: the page falls back to this quarter.
      const shown = ZGoalPeriod.safeParse(goal.period).success ? back : { unit: back.unit };
      await page(req, res, shown, { error: err.message }, statusOf(err.kind));
    }
  });

  router.post('/units/:id/goals/delete', allowRoles(...roles), async (req: Request<{ id: string }>, res) => {
    const user = res.locals.user as SignedInUser;
    const key = { unit: req.params.id, metric: text(req.body?.metric, 20), period: text(req.body?.period, 20).trim() };
    const back = ZGoalPeriod.safeParse(key.period).success
      ? { unit: text(req.body?.back, 100) || req.params.id, period: key.period }
      : { unit: text(req.body?.back, 100) || req.params.id };
    const { units } = await unitAccessOf(db, user);
    try {
      const setter = { actor: user.id, may: (id: string) => maySetGoals(units, user, id) };
      const deleted = await deleteGoal(db, units, setter, key);
      await page(req, res, back, { notice: `Goal deleted for ${req.params.id}: ${describeGoal(deleted)}.` });
    } catch (err) {
      if (!(err instanceof AppError) || err.kind !== 'invalid') throw err;
      await page(req, res, back, { error: err.message }, statusOf(err.kind));
    }
  });
}
