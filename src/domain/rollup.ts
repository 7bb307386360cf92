import { cesAverage, csatPercent, npsCategory, npsScore, summaryAverage, type ReplyScores } from './scoring';
import type { Polarity } from './themes';

export const SEGMENT_DIMENSIONS = [
  'region',
  'location',
  'vertical',
  'platform',
  'channel',
  'product',
  'journey',
] as const;
export type SegmentDimension = (typeof SEGMENT_DIMENSIONS)[number];

/** The segment every reply belongs to. */
export const ALL_SEGMENT = 'all';

/**
 * A value usable inside a MongoDB `_id` and as a field name: MongoDB reads `.` as a path and a leading `$` as an
 * operator, and rejects NUL. Empty when nothing usable is left.
 */
export function sanitizeKey(value: string): string {
  return value.trim().replace(/[.\0]/g, '_').replace(/^\$/, '_');
}

function segmentValue(value: unknown): string {
  if (typeof value === 'string') return sanitizeKey(value);
  return typeof value === 'number' && Number.isFinite(value) ? sanitizeKey(String(value)) : '';
}

/** The segments a reply counts in: `all`, and `dimension:value` for each dimension the customer or event has. */
export function rollupSegments(attributes: Record<string, unknown>): string[] {
  const segments = SEGMENT_DIMENSIONS.map((dimension) => {
    const value = Object.hasOwn(attributes, dimension) ? segmentValue(attributes[dimension]) : '';
    return value === '' ? '' : `${dimension}:${value}`;
  });
  return [ALL_SEGMENT, ...segments.filter(Boolean)];
}

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function rollupDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export function rollupId(programId: string, day: string, segment: string): string {
  return `${programId}|${day}|${segment}`;
}

const NPS_COUNTERS = { promoter: 'promoters', passive: 'passives', detractor: 'detractors' } as const;

/** The MongoDB `$inc` of one reply, as flat dotted paths; metrics the reply has no answer for are left out. */
export function rollupIncrement(scores: ReplyScores): Record<string, number> {
  const inc: Record<string, number> = { responses: 1 };
  if (scores.nps !== undefined) {
    inc['nps.count'] = 1;
    inc['nps.sum'] = scores.nps;
    inc[`nps.${NPS_COUNTERS[scores.npsCategory ?? npsCategory(scores.nps)]}`] = 1;
  }
  if (scores.csat !== undefined) {
    inc['csat.count'] = 1;
    inc['csat.sum'] = scores.csat;
    if (scores.csatSatisfied) inc['csat.satisfied'] = 1;
  }
  if (scores.ces !== undefined) {
    inc['ces.count'] = 1;
    inc['ces.sum'] = scores.ces;
  }
  if (scores.summary !== null) {
    inc['summary.count'] = 1;
    inc['summary.sum'] = scores.summary;
  }
  for (const theme of scores.themes.map(sanitizeKey).filter(Boolean)) inc[`themes.${theme}`] = 1;
  inc[`sentiment.${scores.sentiment}`] = 1;
  return inc;
}

interface SumCount {
  count?: number;
  sum?: number;
}

export interface RollupDoc {
  responses?: number;
  nps?: SumCount & { promoters?: number; passives?: number; detractors?: number };
  csat?: SumCount & { satisfied?: number };
  ces?: SumCount;
  summary?: SumCount;
  themes?: Record<string, number>;
  sentiment?: Partial<Record<Polarity, number>>;
}

export interface RollupSummary {
  responses: number;
  nps: number | null;
  npsCounts: { promoters: number; passives: number; detractors: number };
  csatPercent: number | null;
  cesAverage: number | null;
  summary: number | null;
  /** Most frequent first; ties by name. */
  themes: { theme: string; count: number }[];
  sentiment: Record<Polarity, number>;
}

function total(docs: RollupDoc[], counter: (doc: RollupDoc) => number | undefined): number {
  return docs.reduce((sum, doc) => sum + (counter(doc) ?? 0), 0);
}

function themeCounts(docs: RollupDoc[]): { theme: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const doc of docs)
    for (const [theme, count] of Object.entries(doc.themes ?? {})) counts.set(theme, (counts.get(theme) ?? 0) + count);
  return [...counts]
    .map(([theme, count]) => ({ theme, count }))
    .sort((a, b) => b.count - a.count || (a.theme < b.theme ? -1 : a.theme > b.theme ? 1 : 0));
}

/** Dashboard figures for a set of rollup documents, e.g. one segment over a date range. */
export function summarizeRollups(docs: RollupDoc[]): RollupSummary {
  const npsCounts = {
    promoters: total(docs, (doc) => doc.nps?.promoters),
    passives: total(docs, (doc) => doc.nps?.passives),
    detractors: total(docs, (doc) => doc.nps?.detractors),
  };
  return {
    responses: total(docs, (doc) => doc.responses),
    nps: npsScore(npsCounts),
    npsCounts,
    csatPercent: csatPercent({
      satisfied: total(docs, (doc) => doc.csat?.satisfied),
      count: total(docs, (doc) => doc.csat?.count),
    }),
    cesAverage: cesAverage({ sum: total(docs, (doc) => doc.ces?.sum), count: total(docs, (doc) => doc.ces?.count) }),
    summary: summaryAverage({
      sum: total(docs, (doc) => doc.summary?.sum),
      count: total(docs, (doc) => doc.summary?.count),
    }),
    themes: themeCounts(docs),
    sentiment: {
      positive: total(docs, (doc) => doc.sentiment?.positive),
      negative: total(docs, (doc) => doc.sentiment?.negative),
      neutral: total(docs, (doc) => doc.sentiment?.neutral),
    },
  };
}
