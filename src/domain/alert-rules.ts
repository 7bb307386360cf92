/**
 * The rules around the alert checks (src/domain/alerts.ts): which figures of a unit are checked,
 * the windows, the IDs that make an episode alert once, who is told, and the alert in plain words.
 */
import { z } from 'zod';
import type { Period } from './dashboard';
import { ALERT_ALPHA, ALERT_MIN_REPLIES, type AlertMetric, type ChangeCheck } from './alerts';
import { type Unit, ancestry } from './units';

/** The recent window (the last week up to the day checked) and its baseline (the four weeks before). */
export const ALERT_WINDOW_DAYS = { recentDays: 7, baselineDays: 28 } as const;

/** A unit's most mentioned themes of the recent window that are checked for a rising share. */
export const ALERT_THEMES_CHECKED = 5;

/** What is watched: a score (`nps`, `csat`) or a theme's share of replies (`theme:<theme>`). */
export type AlertCheckKey = AlertMetric | `theme:${string}`;

export const themeCheckKey = (theme: string): AlertCheckKey => `theme:${theme}`;

/** The theme of a theme check, or null for a score. */
export const themeOfCheck = (check: AlertCheckKey): string | null =>
  check.startsWith('theme:') ? check.slice('theme:'.length) : null;

/** One (unit, check) pair's episode state document: `unit|check`. */
export const alertStateId = (unitId: string, check: AlertCheckKey) => `${unitId}|${check}`;

/**
 * An episode's alert: `unit|check|day the episode opened`. Inserted once, so that a re-run of the
 * same check, on any worker, cannot open (and tell) the same episode twice.
 */
export const alertId = (unitId: string, check: AlertCheckKey, since: string) => `${unitId}|${check}|${since}`;

/**
 * The themes of a unit checked on a day: its ALERT_THEMES_CHECKED most mentioned ones of the recent
 * window (most first, ties by name), and those whose episode is under way, so that it can end.
 */
export function themesToCheck(recentMentions: Record<string, number>, underWay: readonly string[]): string[] {
  const top = Object.entries(recentMentions)
    .filter(([, count]) => count > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, ALERT_THEMES_CHECKED)
    .map(([theme]) => theme);
  return [...new Set([...top, ...underWay])];
}

/**
 * Who is told of a unit's alert: its manager; a unit without one is its nearest managed unit's
 * above it, so that an alert always reaches someone responsible. Managers higher up are not told of
 * every unit below them (they see them on the alerts page): they would be told of everything.
 */
export function alertRecipients(units: readonly Unit[], unitId: string): string[] {
  const path = ancestry(units, unitId);
  for (const id of path.reverse()) {
    const manager = units.find((unit) => unit.id === id)?.manager;
    if (manager) return [manager];
  }
  return [];
}

/** The figures of an alert as stored and shown. */
export interface AlertFigures {
  check: AlertCheckKey;
  unitName: string;
  recent: number;
  baseline: number;
  change: number;
  pValue: number;
  recentReplies: number;
  baselineReplies: number;
  windows: { recent: Period; baseline: Period };
}

/** The figures of a significant check (every field is set once a check is testable). */
export function figuresOf(
  check: AlertCheckKey,
  unitName: string,
  result: ChangeCheck,
  replies: { recent: number; baseline: number },
  windows: { recent: Period; baseline: Period },
): AlertFigures {
  return {
    check,
    unitName,
    recent: result.recent ?? 0,
    baseline: result.baseline ?? 0,
    change: result.change ?? 0,
    pValue: result.pValue ?? 1,
    recentReplies: replies.recent,
    baselineReplies: replies.baseline,
    windows,
  };
}

const oneDecimal = (value: number) => (Math.round(value * 10) / 10).toFixed(1).replace(/\.0$/, '');

/** A p-value as people read it: three significant digits, tiny ones as "< 0.0001". */
export const pValueText = (p: number) => (p < 0.0001 ? '< 0.0001' : String(Number(p.toPrecision(2))));

/** What a check watches, in words. */
export function figureName(check: AlertCheckKey): string {
  const theme = themeOfCheck(check);
  if (theme !== null) return `Share of replies mentioning “${theme}”`;
  return check === 'nps' ? 'NPS' : 'CSAT (% satisfied)';
}

/** The unit of a check's figure: NPS points, or percentage points of a share. */
const unitOfChange = (check: AlertCheckKey) => (check === 'nps' ? 'points' : 'percentage points');
const withUnit = (check: AlertCheckKey, value: number) =>
  check === 'nps' ? oneDecimal(value) : `${oneDecimal(value)} %`;

/** An alert in plain words: the lines of its email and of its webhook message. */
export interface AlertWording {
  headline: string;
  figure: string;
  baseline: string;
  change: string;
  significance: string;
  falseAlarms: string;
}

const GERMAN_FIGURES = { nps: 'NPS', csat: 'CSAT (% zufrieden)' } as const;

/** The alert's sentences in English or German (`de`); the email templates frame them. */
export function alertWording(figures: AlertFigures, locale = 'en'): AlertWording {
  const { check, unitName, windows } = figures;
  const theme = themeOfCheck(check);
  const value = (v: number) => withUnit(check, v);
  const change = `${figures.change > 0 ? '+' : ''}${oneDecimal(figures.change)}`;
  const alpha = ALERT_ALPHA * 100;
  if (locale === 'de') {
    const name = theme === null ? GERMAN_FIGURES[check as AlertMetric] : `Anteil der Antworten mit „${theme}“`;
    return {
      headline: `${unitName}: ${name} ${theme === null ? 'deutlich gesunken' : 'deutlich gestiegen'}`,
      figure: `${name}, ${windows.recent.from} bis ${windows.recent.to}: ${value(figures.recent)} (${figures.recentReplies} Antworten)`,
      baseline: `Vergleichszeitraum, ${windows.baseline.from} bis ${windows.baseline.to}: ${value(figures.baseline)} (${figures.baselineReplies} Antworten)`,
      change: `Veränderung: ${change} ${check === 'nps' ? 'Punkte' : 'Prozentpunkte'}`,
      significance: `p-Wert ${pValueText(figures.pValue)}: So wahrscheinlich wäre eine mindestens so große Veränderung, wenn sich nichts geändert hätte.`,
      falseAlarms: `Alarm gibt es bei p ≤ ${ALERT_ALPHA} und mindestens ${ALERT_MIN_REPLIES} Antworten je Zeitraum: Wo sich nichts geändert hat, schlägt etwa ${alpha} von ${Math.round(1 / ALERT_ALPHA)} Prüfungen zufällig an (die Fehlalarmrate). Sie erhalten einen Alarm je Episode; der nächste kommt erst, nachdem sich der Wert erholt hat.`,
    };
  }
  const name = figureName(check);
  return {
    headline: `${unitName}: ${name} ${theme === null ? 'fell' : 'rose'} significantly`,
    figure: `${name}, ${windows.recent.from} to ${windows.recent.to}: ${value(figures.recent)} (${figures.recentReplies} replies)`,
    baseline: `Baseline, ${windows.baseline.from} to ${windows.baseline.to}: ${value(figures.baseline)} (${figures.baselineReplies} replies)`,
    change: `Change: ${change} ${unitOfChange(check)}`,
    significance: `p-value ${pValueText(figures.pValue)}: if nothing had changed, a ${theme === null ? 'fall' : 'rise'} at least this large would be seen with this probability.`,
    falseAlarms: `Alerts are sent when p ≤ ${ALERT_ALPHA} and each window has at least ${ALERT_MIN_REPLIES} replies: where nothing changed, about ${alpha} check in ${Math.round(1 / ALERT_ALPHA)} alerts by chance (the false-alarm rate). You are told once per episode; the next alert comes only after the figure has recovered.`,
  };
}

/** The incoming-webhook message (Slack's `{"text": …}` form, which Mattermost, Teams and others take too). */
export function alertWebhookText(figures: AlertFigures, dashboardUrl: string): string {
  const words = alertWording(figures);
  return [
    `*${words.headline}*`,
    words.figure,
    words.baseline,
    words.change,
    words.significance,
    `False-alarm rate ${ALERT_ALPHA * 100} % per check.`,
    dashboardUrl,
  ].join('\n');
}

/** The longest webhook URL accepted (Slack's are about 80 characters). */
export const MAX_WEBHOOK_URL = 2000;

/** The admins' alert settings: where the webhook message goes (none: email only) and the emails' language. */
export const ZAlertSettings = z
  .object({
    webhookUrl: z
      .union([
        z.literal(''),
        z.url({ protocol: /^https?$/, error: 'an http or https URL' }).max(MAX_WEBHOOK_URL, 'at most 2000 characters'),
      ])
      .default(''),
    locale: z.enum(['en', 'de']).default('en'),
  })
  .strict();
export type AlertSettings = z.infer<typeof ZAlertSettings>;

/**
 * A webhook URL as it may be shown or logged: its origin alone. An incoming webhook's path is its
 * secret (whoever has it may post to the channel).
 */
export function redactedWebhookUrl(url: string): string {
  if (!url) return '';
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}
