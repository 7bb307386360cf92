import { z } from 'zod';
import {
  ALL_SEGMENT,
  type Funnel,
  type RollupDoc,
  type RollupSummary,
  type SegmentDimension,
  THEME_EXAMPLES,
  UNIT_SEGMENT_PREFIX,
  summarizeRollups,
  unitOfSegment,
  unitSegment,
} from './rollup';
import type { UnitScope } from './units';

const DAY_MS = 86_400_000;

/** A calendar day, `YYYY-MM-DD` (2026-02-30 is refused). */
export const ZDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine(
    (day) =>
      !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day),
    'not a calendar date',
  );

/** The dimensions the experience dashboard splits by, side by side. */
export const SPLIT_DIMENSIONS: readonly SegmentDimension[] = [
  'region',
  'location',
  'platform',
  'channel',
  'vertical',
  'product',
];

export const COMPARISONS = ['previous', 'year', 'none'] as const;
export type Comparison = (typeof COMPARISONS)[number];

/** Calendar days `YYYY-MM-DD`, both ends included. */
export interface Period {
  from: string;
  to: string;
}

export interface DashboardFilters extends Period {
  programId?: string;
  /** `all`, `dimension:value` or `unit:<unit id>`. */
  segment: string;
  compare: Comparison;
}

/** A rollup's counters and where it belongs. */
export type DashboardRollup = RollupDoc & { programId: string; day: string; segment: string };

export type Bucket = 'day' | 'week' | 'month';

const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;
const dayOf = (n: number) => new Date(n * DAY_MS).toISOString().slice(0, 10);

/** Days in a period, both ends counted. */
export function periodDays({ from, to }: Period): number {
  return dayNumber(to) - dayNumber(from) + 1;
}

/** The last `days` days up to `today`. */
export function lastDays(today: string, days: number): Period {
  return { from: dayOf(dayNumber(today) - days + 1), to: today };
}

/**
 * The period a dashboard compares with: the same number of days just before, or the same dates a
 * year earlier (a 29 February with no counterpart becomes the 28th).
 */
export function comparisonPeriod(period: Period, compare: Comparison): Period | null {
  if (compare === 'none') return null;
  if (compare === 'previous') {
    const days = periodDays(period);
    return { from: dayOf(dayNumber(period.from) - days), to: dayOf(dayNumber(period.from) - 1) };
  }
  const yearEarlier = (day: string) => {
    const [y, m, d] = day.split('-').map(Number) as [number, number, number];
    const lastOfMonth = new Date(Date.UTC(y - 1, m, 0)).getUTCDate();
    return dayOf(Date.UTC(y - 1, m - 1, Math.min(d, lastOfMonth)) / DAY_MS);
  };
  return { from: yearEarlier(period.from), to: yearEarlier(period.to) };
}

/** Charts over a month show days, over half a year weeks, beyond that months. */
export function bucketFor(period: Period): Bucket {
  const days = periodDays(period);
  return days <= 31 ? 'day' : days <= 183 ? 'week' : 'month';
}

/** The bucket a day falls in, named by its first day (weeks start on Monday, ISO 8601) or `YYYY-MM`. */
export function bucketOf(day: string, bucket: Bucket): string {
  if (bucket === 'day') return day;
  if (bucket === 'month') return day.slice(0, 7);
  const n = dayNumber(day);
  // 1970-01-01 was a Thursday: day n is a Monday when (n + 3) % 7 === 0.
  return dayOf(n - ((((n + 3) % 7) + 7) % 7));
}

/** Every bucket of a period in order, including the ones no reply fell in. */
export function bucketsOf(period: Period, bucket: Bucket): string[] {
  const buckets: string[] = [];
  for (let n = dayNumber(period.from); n <= dayNumber(period.to); n += 1) {
    const name = bucketOf(dayOf(n), bucket);
    if (buckets.at(-1) !== name) buckets.push(name);
  }
  return buckets;
}

/** Map.groupBy, which Node 20 lacks. */
function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}

const within = (period: Period) => (doc: DashboardRollup) => doc.day >= period.from && doc.day <= period.to;

export interface SeriesPoint {
  bucket: string;
  responses: number;
  nps: number | null;
  csatPercent: number | null;
  cesAverage: number | null;
}

export interface SplitRow {
  value: string;
  responses: number;
  nps: number | null;
  csatPercent: number | null;
  cesAverage: number | null;
}

export interface ThemeTrend {
  theme: string;
  count: number;
  /** In the comparison period; null without one. */
  previous: number | null;
  /** The latest replies in the period that mention it, newest first (at most THEME_EXAMPLES). */
  exampleIds: string[];
}

/** The reply funnel's stages in the order a customer goes through them. */
export const FUNNEL_STAGES = ['invited', 'reminded', 'answered', 'expired', 'unsubscribed'] as const;

export interface FunnelStage {
  stage: (typeof FUNNEL_STAGES)[number];
  count: number;
  /** Of the invitations sent in the period, in percent (one decimal); null when none were. */
  percentOfInvited: number | null;
  previous: number | null;
}

/** What the by-segment comparison splits by: the attribute dimensions, or units (their segments). */
export type SplitDimension = SegmentDimension | 'unit';

/**
 * The segment a person sees when they choose none: everyone, or for a person responsible for some
 * units the first of them; null when they are responsible for none.
 */
export function defaultSegment(scope: UnitScope): string | null {
  if (scope.all) return ALL_SEGMENT;
  return scope.top[0] === undefined ? null : unitSegment(scope.top[0]);
}

/** Whether a person may see a segment: any for the whole organisation, else their units' segments only. */
export function segmentInScope(scope: UnitScope, segment: string): boolean {
  if (scope.all) return true;
  const unitId = unitOfSegment(segment);
  return unitId !== null && scope.unitIds.includes(unitId);
}

export interface ExperienceDashboard {
  filters: DashboardFilters;
  comparison: Period | null;
  bucket: Bucket;
  current: RollupSummary;
  previous: RollupSummary | null;
  series: SeriesPoint[];
  /** The segments (`dimension:value`) with replies in the period, for the filter to offer. */
  segments: string[];
  /**
   * Per dimension, its values with most replies first. Not narrowed by the segment filter, except
   * when split by units (the units below the segment's unit, for a person responsible for it).
   */
  split: { dimension: SplitDimension; rows: SplitRow[] }[];
  themes: ThemeTrend[];
  funnel: FunnelStage[];
}

const figures = (summary: RollupSummary) => ({
  responses: summary.responses,
  nps: summary.nps,
  csatPercent: summary.csatPercent,
  cesAverage: summary.cesAverage,
});

/** Themes shown on the dashboard, most frequent first. */
const TOP_THEMES = 10;

/** One dimension's rows: the period's rollups of each `prefix` segment (of `values` only, when given). */
function splitRows(inPeriod: DashboardRollup[], prefix: string, values?: readonly string[]): SplitRow[] {
  const byValue = groupBy(
    inPeriod.filter(
      (doc) => doc.segment.startsWith(prefix) && (!values || values.includes(doc.segment.slice(prefix.length))),
    ),
    (doc) => doc.segment.slice(prefix.length),
  );
  return [...byValue]
    .map(([value, list]) => ({ value, ...figures(summarizeRollups(list)) }))
    .sort((a, b) => b.responses - a.responses || a.value.localeCompare(b.value));
}

/**
 * The experience dashboard's figures from the rollups of the period and of the comparison period
 * (any program and segment among them; the filters pick). With `splitUnits` (a person responsible
 * for some units) the by-segment comparison is of those units instead of the attribute dimensions.
 */
export function experienceDashboard(
  filters: DashboardFilters,
  docs: DashboardRollup[],
  splitUnits?: readonly string[],
): ExperienceDashboard {
  const ofProgram = docs.filter((doc) => !filters.programId || doc.programId === filters.programId);
  const comparison = comparisonPeriod(filters, filters.compare);
  const inSegment = ofProgram.filter((doc) => doc.segment === filters.segment);
  const currentDocs = inSegment.filter(within(filters));
  const current = summarizeRollups(currentDocs);
  const previous = comparison ? summarizeRollups(inSegment.filter(within(comparison))) : null;

  const bucket = bucketFor(filters);
  const byBucket = groupBy(currentDocs, (doc) => bucketOf(doc.day, bucket));
  const series = bucketsOf(filters, bucket).map((name) => ({
    bucket: name,
    ...figures(summarizeRollups(byBucket.get(name) ?? [])),
  }));

  const inPeriod = ofProgram.filter(within(filters));
  const split = (
    splitUnits
      ? [{ dimension: 'unit' as const, rows: splitRows(inPeriod, UNIT_SEGMENT_PREFIX, splitUnits) }]
      : SPLIT_DIMENSIONS.map((dimension) => ({ dimension, rows: splitRows(inPeriod, `${dimension}:`) }))
  ).filter((split) => split.rows.length > 0);

  const previousThemes = new Map(previous?.themes.map((t) => [t.theme, t.count]));
  const themes = current.themes
    .filter(({ count }) => count > 0)
    .slice(0, TOP_THEMES)
    .map(({ theme, count }) => ({
      theme,
      count,
      previous: previous ? (previousThemes.get(theme) ?? 0) : null,
      exampleIds: latestExampleIds(currentDocs, theme),
    }));
  const segments = [...new Set(inPeriod.map((doc) => doc.segment))].filter((s) => s !== ALL_SEGMENT).sort();
  const funnel = funnelStages(current.funnel, previous?.funnel ?? null);
  return { filters, comparison, bucket, current, previous, series, segments, split, themes, funnel };
}

/** A theme's examples from the latest days first (each day keeps its latest few, newest last). */
function latestExampleIds(docs: DashboardRollup[], theme: string): string[] {
  const newestFirst = [...docs].sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
  const ids = newestFirst.flatMap((doc) => [...(doc.examples?.[theme] ?? [])].reverse());
  return [...new Set(ids)].slice(0, THEME_EXAMPLES);
}

/** The funnel's stages with each one's share of the invitations sent in the period. */
export function funnelStages(current: Funnel, previous: Funnel | null): FunnelStage[] {
  return FUNNEL_STAGES.map((stage) => ({
    stage,
    count: current[stage],
    percentOfInvited: current.invited > 0 ? Math.round((current[stage] / current.invited) * 1000) / 10 : null,
    previous: previous ? previous[stage] : null,
  }));
}
