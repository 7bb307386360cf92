/**
 * The digest a signed-in person receives by email: what happened in their scope over the last day or
 * ISO week (UTC). Pure: the app reads the rows, this decides what is said and whether anything is.
 */
import { z } from 'zod';
import type { Role } from './access';
import type { FixEffect } from './fixes';
import type { GoalStatus } from './goals';
import { type SentFrequency, digestPeriodRange } from './digest-period';

export const DIGEST_FREQUENCIES = ['daily', 'weekly', 'none'] as const;
export type DigestFrequency = (typeof DIGEST_FREQUENCIES)[number];

/** The languages the digest templates ship in. */
export const DIGEST_LOCALES = ['en', 'de'] as const;
export type DigestLocale = (typeof DIGEST_LOCALES)[number];

export const ZDigestPreference = z
  .object({
    frequency: z.enum(DIGEST_FREQUENCIES, 'daily, weekly or none'),
    locale: z.enum(DIGEST_LOCALES, 'en or de'),
  })
  .strict();
export type DigestPreference = z.infer<typeof ZDigestPreference>;

/**
 * Until a person chooses: case owners work cases every day, so they hear daily; everyone else
 * (managers, viewers, operations, admins, any newer role) weekly, in English.
 */
export function defaultDigestPreference(role: Role | string): DigestPreference {
  return { frequency: role === 'case_owner' ? 'daily' : 'weekly', locale: 'en' };
}

/** A digest period: a UTC day `2027-03-04` or an ISO week `2027-W09`. */
export const ZDigestPeriod = z
  .string()
  .max(10)
  .refine((period) => {
    try {
      return digestPeriodRange(period).period === period;
    } catch {
      return false;
    }
  }, 'a day (2027-03-04) or an ISO week (2027-W09)');

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** How many verbatims and cases a digest lists; the rest are counted. */
export const DIGEST_LIST_LIMIT = 10;
/** A theme "rose" when it was mentioned at least this many more times than in the period before. */
export const MIN_THEME_RISE = 2;

export interface DigestReply {
  customer: string;
  at: Date;
  verbatim: string;
  themes: readonly string[];
  /** NPS 0–10 when asked. */
  nps?: number;
  npsCategory?: 'detractor' | 'passive' | 'promoter';
  /** For follow-up answers: CSAT and whether it counts as satisfied. */
  csat?: number;
  csatSatisfied?: boolean;
}

export interface DigestCase {
  id: string;
  priority: string;
  /** The SLA clock that is closest to breaking, as the case pages label it. */
  sla: { state: 'ok' | 'due-soon' | 'overdue' | 'paused' | 'met'; label: string };
}

export interface DigestInput {
  period: string;
  /** The units the person sees, by name (empty: the whole organisation). */
  scope: readonly string[];
  /** Scored replies in the period and in the period before (follow-up surveys left out). */
  replies: readonly DigestReply[];
  previousReplies: readonly DigestReply[];
  /** Answers to the case follow-up survey in the period. */
  followUps: readonly DigestReply[];
  /** The person's open cases. */
  openCases: readonly DigestCase[];
  /** Cases resolved in the period. */
  resolved: number;
  goals: readonly { unit: string; goal: string; status: GoalStatus; value: number | null; replies: number }[];
  /** Fixes of the last months, with their effect so far. */
  fixes: readonly { rootCause: string; at: Date; effect: FixEffect }[];
}

export interface Digest {
  period: string;
  frequency: SentFrequency;
  from: string;
  to: string;
  scope: readonly string[];
  detractors: { count: number; shown: { customer: string; at: string; nps: number; verbatim: string }[]; more: number };
  sla: { overdue: number; dueSoon: number; shown: DigestCase[]; more: number };
  resolved: number;
  followUps: { count: number; satisfied: number; verbatims: string[] };
  themes: { theme: string; count: number; previous: number }[];
  goals: DigestInput['goals'];
  fixes: { rootCause: string; at: string; isNew: boolean; effect: FixEffect }[];
  /** Nothing happened worth an email: none is sent. Goals alone are standing, not news. */
  empty: boolean;
}

const themeCounts = (replies: readonly DigestReply[]) => {
  const counts = new Map<string, number>();
  for (const reply of replies)
    for (const theme of new Set(reply.themes)) counts.set(theme, (counts.get(theme) ?? 0) + 1);
  return counts;
};

/** Themes mentioned at least MIN_THEME_RISE times more than in the period before, most risen first. */
export function risenThemes(current: readonly DigestReply[], previous: readonly DigestReply[]): Digest['themes'] {
  const before = themeCounts(previous);
  return [...themeCounts(current)]
    .map(([theme, count]) => ({ theme, count, previous: before.get(theme) ?? 0 }))
    .filter((row) => row.count - row.previous >= MIN_THEME_RISE)
    .sort((a, b) => b.count - b.previous - (a.count - a.previous) || a.theme.localeCompare(b.theme));
}

const SLA_ORDER = { overdue: 0, 'due-soon': 1 } as const;

/** The digest of one period from what the app read; `empty` when there is nothing to say. */
export function buildDigest(input: DigestInput): Digest {
  const range = digestPeriodRange(input.period);
  const detractors = input.replies
    .filter((reply) => reply.npsCategory === 'detractor')
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const atRisk = input.openCases
    .filter((c) => c.sla.state === 'overdue' || c.sla.state === 'due-soon')
    .sort(
      (a, b) =>
        SLA_ORDER[a.sla.state as keyof typeof SLA_ORDER] - SLA_ORDER[b.sla.state as keyof typeof SLA_ORDER] ||
        a.id.localeCompare(b.id),
    );
  const themes = risenThemes(input.replies, input.previousReplies);
  const fixes = input.fixes.map((fix) => ({
    rootCause: fix.rootCause,
    at: dayOf(fix.at.getTime()),
    isNew: fix.at.getTime() >= range.start && fix.at.getTime() < range.end,
    effect: fix.effect,
  }));
  const digest: Digest = {
    period: range.period,
    frequency: range.frequency,
    from: range.from,
    to: range.to,
    scope: input.scope,
    detractors: {
      count: detractors.length,
      shown: detractors.slice(0, DIGEST_LIST_LIMIT).map((reply) => ({
        customer: reply.customer,
        at: reply.at.toISOString().slice(0, 16).replace('T', ' '),
        nps: reply.nps ?? 0,
        verbatim: reply.verbatim,
      })),
      more: Math.max(0, detractors.length - DIGEST_LIST_LIMIT),
    },
    sla: {
      overdue: atRisk.filter((c) => c.sla.state === 'overdue').length,
      dueSoon: atRisk.filter((c) => c.sla.state === 'due-soon').length,
      shown: atRisk.slice(0, DIGEST_LIST_LIMIT),
      more: Math.max(0, atRisk.length - DIGEST_LIST_LIMIT),
    },
    resolved: input.resolved,
    followUps: {
      count: input.followUps.length,
      satisfied: input.followUps.filter((reply) => reply.csatSatisfied).length,
      verbatims: input.followUps
        .map((reply) => reply.verbatim)
        .filter(Boolean)
        .slice(0, DIGEST_LIST_LIMIT),
    },
    themes,
    goals: input.goals,
    fixes,
    empty: false,
  };
  digest.empty =
    !digest.detractors.count &&
    !atRisk.length &&
    !digest.resolved &&
    !digest.followUps.count &&
    !themes.length &&
    !fixes.some((fix) => fix.isNew);
  return digest;
}
