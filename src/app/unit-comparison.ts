import type { Db } from 'mongodb';
import { z } from 'zod';
import type { Role } from '../domain/access';
import {
  type Goal,
  type GoalPeriod,
  type GoalProgress,
  ZGoal,
  ZGoalPeriod,
  goalProgress,
  periodElapsed,
  periodRange,
} from '../domain/goals';
import { rollupDay, unitSegment } from '../domain/rollup';
import {
  DEFAULT_MIN_REPLIES,
  METRICS,
  METRIC_LABELS,
  type Metric,
  type MetricCounters,
  type UnitComparison,
  comparableUnits,
  totalCounters,
} from '../domain/statistics';
import { OUT_OF_UNITS, type Unit, ZUnitId, ancestry, childrenOf } from '../domain/units';
import * as c from '../db/collections';
import { audit } from '../db/audit';
import { readRollups } from '../db/rollup-totals';
import { AppError } from './errors';
import { type UnitAccess, dashboardPrograms } from './insight';
import { ZExternalId } from './schemas';
import { parseInput } from './validation';

const blankAsAbsent = (value: unknown) => (value === '' ? undefined : value);

/** The comparison's query: every field optional (the person's first unit, this quarter, every program). */
export const ZUnitComparisonQuery = z
  .object({
    unit: z.preprocess(blankAsAbsent, ZUnitId.optional()).describe('The unit whose units below are compared'),
    period: z
      .preprocess(blankAsAbsent, ZGoalPeriod.optional())
      .describe('A year (2027), quarter (2027-Q1) or month (2027-03); default: this quarter (UTC)'),
    program: z.preprocess(blankAsAbsent, ZExternalId.optional()).describe('One program (default: all)'),
  })
  .strict();

/** The quarter a day (YYYY-MM-DD) is in, e.g. `2027-Q1`. */
export const quarterOf = (day: string): GoalPeriod =>
  `${day.slice(0, 4)}-Q${Math.floor((Number(day.slice(5, 7)) - 1) / 3) + 1}`;

export interface ComparedUnit extends UnitComparison<Unit> {
  /** The chosen unit's own row (its children follow it). */
  whole: boolean;
  /** The unit's goals for the period, by metric, with where each stands. */
  goals: { goal: Goal; setBy: string; setAt: Date; progress: GoalProgress }[];
}

export interface UnitComparisonReport {
  unit: Unit;
  period: GoalPeriod;
  from: string;
  to: string;
  programId?: string;
  /** The chosen unit first, then the units below it. */
  rows: ComparedUnit[];
  /** The units the person may choose, root first. */
  choices: Unit[];
}

/** The unit a person starts on: the root for the whole organisation, else the first unit they were given. */
function defaultUnit(access: UnitAccess): string {
  if (access.scope.all) return access.units.find((unit) => unit.parentId === null)!.id;
  const first = access.scope.top[0];
  if (first === undefined) throw new AppError('forbidden', OUT_OF_UNITS);
  return first;
}

const inScope = (access: UnitAccess, unitId: string) => access.scope.all || access.scope.unitIds.includes(unitId);

export const goalId = (unitId: string, metric: Metric, period: GoalPeriod) => `${unitId}|${metric}|${period}`;

/**
 * A unit's units side by side over a period: replies and every metric with its 95 % interval, greyed
 * below the minimum of replies, with the goals set for the period. Reads the period's rollup months
 * of the unit and its children by `_id` and the goals by `_id`: no scan.
 */
export async function compareUnits(
  db: Db,
  access: UnitAccess,
  query: unknown,
  today = rollupDay(Date.now()),
): Promise<UnitComparisonReport> {
  const parsed = parseInput(ZUnitComparisonQuery, query, 'comparison');
  const unitId = parsed.unit ?? defaultUnit(access);
  const unit = access.units.find((u) => u.id === unitId);
  if (!unit) throw new AppError('not-found', `There is no unit ${unitId}.`);
  if (!inScope(access, unitId)) throw new AppError('forbidden', OUT_OF_UNITS);
  const period = parsed.period ?? quarterOf(today);
  const range = periodRange(period);
  const shown = [unit, ...childrenOf(access.units, unitId)];
  const programIds = parsed.program ? [parsed.program] : (await dashboardPrograms(db)).map((p) => p.id);
  const [docs, goals] = await Promise.all([
    readRollups(db, {
      programIds,
      periods: [range],
      segment: unitSegment(unitId),
      split: range,
      splitSegments: shown.map((u) => unitSegment(u.id)),
    }),
    c
      .goals(db)
      .find({ _id: { $in: shown.flatMap((u) => METRICS.map((metric) => goalId(u.id, metric, period))) } })
      .toArray(),
  ]);
  const counters = (id: string): MetricCounters =>
    totalCounters(docs.filter((doc) => doc.segment === unitSegment(id)) as MetricCounters[]);
  const compared = comparableUnits(shown.map((u) => ({ unit: u, counters: counters(u.id) })));
  const elapsed = periodElapsed(period, today);
  const rows = compared.map((row, index) => ({
    ...row,
    whole: index === 0,
    goals: METRICS.flatMap((metric) =>
      goals
        .filter((g) => g._id === goalId(row.unit.id, metric, period))
        .map(({ metric, comparator, target, period, setBy, setAt }) => {
          const goal = { metric, comparator, target, period };
          return {
            goal,
            setBy,
            setAt,
            progress: goalProgress(goal, counters(row.unit.id), DEFAULT_MIN_REPLIES, elapsed),
          };
        }),
    ),
  }));
  return {
    unit,
    period,
    ...range,
    ...(parsed.program ? { programId: parsed.program } : {}),
    rows,
    choices: access.units.filter((u) => inScope(access, u.id)),
  };
}

/** Whether the person may set a unit's goals: admins, and the manager of the unit or of a unit above it. */
export function maySetGoals(units: readonly Unit[], user: { id: string; role: Role }, unitId: string): boolean {
  if (user.role === 'admin') return true;
  return ancestry(units, unitId).some((id) => units.find((u) => u.id === id)?.manager === user.id);
}

/** Whether an admin key may set a unit's goals: within the units it was restricted to. */
export const keyMaySetGoals = (access: UnitAccess, unitId: string) => inScope(access, unitId);

const GOAL_SETTERS =
  'Goals are set by the unit’s manager, the manager of a unit above it, or an admin: ask one of them.';

/** A goal as the API sets it: the unit beside the goal (setGoal checks the target's range with ZGoal). */
export const ZUnitGoalInput = z.object({ unit: ZUnitId.describe('The unit the goal is for'), ...ZGoal.shape }).strict();

export type StoredGoal = Goal & { unit: string; setBy: string; setAt: Date };

/**
 * Sets a unit's goal for a metric and period, replacing the one there was (one document per unit,
 * metric and period, written whole by its `_id`), if `may` lets the actor set the unit's goals. Audited.
 */
export async function setGoal(
  db: Db,
  units: readonly Unit[],
  { actor, may }: { actor: string; may: (unitId: string) => boolean },
  unitId: string,
  input: unknown,
  now = new Date(),
): Promise<StoredGoal> {
  const unit = parseInput(ZUnitId, unitId, 'goal unit');
  if (!units.some((u) => u.id === unit)) throw new AppError('not-found', `There is no unit ${unit}.`);
  if (!may(unit)) throw new AppError('forbidden', GOAL_SETTERS);
  const goal = parseInput(ZGoal, input, 'goal');
  const _id = goalId(unit, goal.metric, goal.period);
  const before = await c.goals(db).findOne({ _id });
  const doc = { _id, unitId: unit, ...goal, setBy: actor, setAt: now };
  await c.goals(db).replaceOne({ _id }, doc, { upsert: true });
  await audit(db, {
    actor,
    action: 'goal.set',
    subject: _id,
    ...(before ? { before: { ...before } } : {}),
    after: { ...doc },
  });
  return { unit, ...goal, setBy: actor, setAt: now };
}

/** Which goal to delete: the unit, metric and period that name it. */
export const ZGoalKey = z
  .object({
    unit: ZUnitId.describe('The unit the goal is for'),
    metric: z.enum(METRICS),
    period: ZGoalPeriod,
  })
  .strict();

/**
 * Deletes a unit's goal for a metric and period, if `may` lets the actor set the unit's goals (the
 * same people who set it). Audited; `not-found` when there is no such unit or goal.
 */
export async function deleteGoal(
  db: Db,
  units: readonly Unit[],
  { actor, may }: { actor: string; may: (unitId: string) => boolean },
  input: unknown,
): Promise<StoredGoal> {
  const { unit, metric, period } = parseInput(ZGoalKey, input, 'goal');
  if (!units.some((u) => u.id === unit)) throw new AppError('not-found', `There is no unit ${unit}.`);
  if (!may(unit)) throw new AppError('forbidden', GOAL_SETTERS);
  const _id = goalId(unit, metric, period);
  const before = await c.goals(db).findOne({ _id });
  if (!before) throw new AppError('not-found', `There is no ${METRIC_LABELS[metric]} goal for ${unit} in ${period}.`);
  await c.goals(db).deleteOne({ _id });
  await audit(db, { actor, action: 'goal.delete', subject: _id, before: { ...before } });
  const { comparator, target, setBy, setAt } = before;
  return { unit, metric, comparator, target, period, setBy, setAt };
}

/** Deletes a goal with an admin key: of the units the key sees. */
export async function deleteGoalWithKey(
  db: Db,
  access: UnitAccess,
  actor: string,
  input: unknown,
): Promise<StoredGoal> {
  return deleteGoal(db, access.units, { actor, may: (id) => keyMaySetGoals(access, id) }, input);
}

/** A goal as the API sends it, with where it stands. */
export type GoalView = StoredGoal & { progress: GoalProgress };

/** The goals of a unit and of the units below it for a period, with where each stands. */
export async function unitGoals(db: Db, access: UnitAccess, query: unknown): Promise<GoalView[]> {
  const report = await compareUnits(db, access, query);
  return report.rows.flatMap((row) =>
    row.goals.map(({ goal, setBy, setAt, progress }) => ({ unit: row.unit.id, ...goal, setBy, setAt, progress })),
  );
}

/** Sets a goal with an admin key: for the units the key sees. */
export async function setGoalWithKey(db: Db, access: UnitAccess, actor: string, input: unknown): Promise<StoredGoal> {
  const { unit, ...goal } = parseInput(ZUnitGoalInput, input, 'goal');
  return setGoal(db, access.units, { actor, may: (id) => keyMaySetGoals(access, id) }, unit, goal);
}
