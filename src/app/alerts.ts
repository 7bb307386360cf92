import type { Db } from 'mongodb';
import {
  ALERT_WINDOW_DAYS,
  type AlertCheckKey,
  type AlertSettings,
  ZAlertSettings,
  alertId,
  alertStateId,
  figuresOf,
  redactedWebhookUrl,
  themeCheckKey,
  themeOfCheck,
  themesToCheck,
} from '../domain/alert-rules';
import {
  type AlertMetric,
  type ChangeCheck,
  NO_EPISODE,
  alertWindows,
  nextAlertState,
  scoreDropCheck,
  themeRiseCheck,
} from '../domain/alerts';
import type { Period } from '../domain/dashboard';
import { ALL_SEGMENT } from '../domain/rollup';
import { type MetricCounters, metricReplies, totalCounters } from '../domain/statistics';
import { segmentForUnit } from '../domain/units';
import type { AllowList } from '../domain/webhook-destination';
import * as a from '../db/alerts';
import { audit } from '../db/audit';
import type { RollupTotalsDoc } from '../db/collections';
import { insertOnce } from '../db/insert-once';
import { readRollups } from '../db/rollup-totals';
import { loadUnits } from '../db/units';
import { AppError } from './errors';
import { type UnitAccess, dashboardPrograms } from './insight';
import { parseInput } from './validation';
import { destinationRefusal } from './webhooks';

/** One window's counters of a unit: the scores and every theme's mentions among its replies. */
interface WindowCounters {
  counters: MetricCounters;
  replies: number;
  themes: Record<string, number>;
}

function windowCounters(docs: readonly RollupTotalsDoc[], period: Period): WindowCounters {
  const within = docs.filter((doc) => doc.day >= period.from && doc.day <= period.to);
  const themes: Record<string, number> = {};
  for (const doc of within)
    for (const [theme, count] of Object.entries(doc.themes ?? {})) themes[theme] = (themes[theme] ?? 0) + count;
  return {
    counters: totalCounters(within as MetricCounters[]),
    replies: within.reduce((sum, doc) => sum + (doc.responses ?? 0), 0),
    themes,
  };
}

/** One check of a unit's two windows, with the replies each window had for the figure. */
function testWindows(
  check: AlertCheckKey,
  { recent, baseline }: { recent: WindowCounters; baseline: WindowCounters },
): { result: ChangeCheck; replies: { recent: number; baseline: number } } {
  const theme = themeOfCheck(check);
  if (theme === null) {
    const metric = check as AlertMetric;
    return {
      result: scoreDropCheck(metric, recent.counters, baseline.counters),
      replies: { recent: metricReplies(recent.counters, metric), baseline: metricReplies(baseline.counters, metric) },
    };
  }
  return {
    result: themeRiseCheck(
      { mentions: recent.themes[theme] ?? 0, replies: recent.replies },
      { mentions: baseline.themes[theme] ?? 0, replies: baseline.replies },
    ),
    replies: { recent: recent.replies, baseline: baseline.replies },
  };
}

export interface AlertCheckRun {
  /** Unit and check pairs tested. */
  checked: number;
  /** Alerts to deliver: opened now, or opened earlier and not yet delivered. */
  toDeliver: string[];
  /** Episodes that ended. */
  recovered: number;
}

/**
 * Runs the day's checks for every unit: NPS and CSAT falling, and its most mentioned themes rising,
 * over the last ALERT_WINDOW_DAYS against the weeks before, read from the rollups by `_id`. Advances
 * each unit and check's episode (nextAlertState); an episode that opens inserts its alert, once.
 * The single writer of the episode states (see AlertStateDoc).
 */
export async function runAlertChecks(db: Db, day: string): Promise<AlertCheckRun> {
  const windows = alertWindows(day, ALERT_WINDOW_DAYS);
  const units = await loadUnits(db);
  const programIds = (await dashboardPrograms(db)).map((p) => p.id);
  const whole = { from: windows.baseline.from, to: windows.recent.to };
  const segments = units.map((unit) => segmentForUnit(units, unit.id));
  const docs = programIds.length
    ? await readRollups(db, {
        programIds,
        periods: [whole],
        segment: ALL_SEGMENT,
        split: whole,
        splitSegments: segments,
      })
    : [];
  const underWay = await a
    .alertStates(db)
    .find({ since: { $ne: null } })
    .toArray();
  const run: AlertCheckRun = { checked: 0, toDeliver: [], recovered: 0 };
  for (const unit of units) {
    const segment = segmentForUnit(units, unit.id);
    const unitDocs = docs.filter((doc) => doc.segment === segment);
    const windowsOfUnit = {
      recent: windowCounters(unitDocs, windows.recent),
      baseline: windowCounters(unitDocs, windows.baseline),
    };
    const states = new Map(
      underWay.filter((state) => state.unitId === unit.id).map((state) => [state._id, { since: state.since }]),
    );
    const openThemes = [...states.keys()].flatMap(
      (stateId) => themeOfCheck(stateId.slice(unit.id.length + 1) as AlertCheckKey) ?? [],
    );
    const checks: AlertCheckKey[] = [
      'nps',
      'csat',
      ...themesToCheck(windowsOfUnit.recent.themes, openThemes).map(themeCheckKey),
    ];
    for (const check of checks) {
      const tested = testWindows(check, windowsOfUnit);
      if (!tested.result.testable) continue;
      run.checked++;
      const stateId = alertStateId(unit.id, check);
      const step = nextAlertState(states.get(stateId) ?? NO_EPISODE, tested.result, day);
      if (step.event === 'alert') {
        await insertOnce(a.alerts(db), {
          _id: alertId(unit.id, check, day),
          unitId: unit.id,
          day,
          openedAt: new Date(),
          ...figuresOf(check, unit.name, tested.result, tested.replies, windows),
        });
        await a
          .alertStates(db)
          .replaceOne({ _id: stateId }, { unitId: unit.id, since: day, updatedAt: new Date() }, { upsert: true });
      } else if (step.event === 'recovered') {
        run.recovered++;
        await a
          .alertStates(db)
          .replaceOne(
            { _id: stateId },
            { unitId: unit.id, since: null, recoveredOn: day, updatedAt: new Date() },
            { upsert: true },
          );
      }
    }
  }
  run.toDeliver = await undelivered(db);
  return run;
}

/**
 * The alerts of episodes under way not yet delivered: those opened now, and those a run that
 * stopped between opening and delivering left behind. Read by `_id` from the states.
 */
async function undelivered(db: Db): Promise<string[]> {
  const open = await a
    .alertStates(db)
    .find({ since: { $ne: null } })
    .toArray();
  const ids = open.map((state) => `${state._id}|${state.since}`);
  if (!ids.length) return [];
  const doneIds = new Set(
    (
      await a
        .alertDeliveries(db)
        .find({ _id: { $in: ids.map(a.deliveredMarker) } }, { projection: { _id: 1 } })
        .toArray()
    ).map((d) => d._id),
  );
  const done = new Set(ids.filter((id) => doneIds.has(a.deliveredMarker(id))));
  return ids.filter((id) => !done.has(id)).sort();
}

/** An alert as the alerts page lists it. */
export type AlertView = a.AlertDoc & { ongoing: boolean; recoveredOn?: string };

/** The most recent alerts of the units the person sees, newest first, each with whether its episode lasts. */
export async function listAlerts(db: Db, access: UnitAccess, limit = 200): Promise<AlertView[]> {
  const filter = access.scope.all ? {} : { unitId: { $in: [...access.scope.unitIds] } };
  const docs = await a.alerts(db).find(filter).sort({ openedAt: -1 }).limit(limit).toArray();
  const states = new Map(
    (
      await a
        .alertStates(db)
        .find({ _id: { $in: [...new Set(docs.map((doc) => alertStateId(doc.unitId, doc.check)))] } })
        .toArray()
    ).map((state) => [state._id, state]),
  );
  return docs.map((doc) => {
    const state = states.get(alertStateId(doc.unitId, doc.check));
    const ongoing = state?.since === doc.day;
    return { ...doc, ongoing, ...(!ongoing && state?.recoveredOn ? { recoveredOn: state.recoveredOn } : {}) };
  });
}

/** The settings as an admin sees them: the webhook URL's origin only (its path is a secret). */
export async function alertSettingsView(db: Db): Promise<{ webhook: string; locale: string }> {
  const settings = await a.loadAlertSettings(db);
  return { webhook: redactedWebhookUrl(settings.webhookUrl), locale: settings.locale };
}

/**
 * Saves the alert settings. `keepWebhook`: the form left the URL field empty to keep the one
 * stored (it is never shown again); `clearWebhook` removes it. A URL inside the network is refused
 * unless allow-listed, as for webhooks. Audited, the URL by its origin alone.
 */
export async function saveAlertSettings(
  db: Db,
  input: { webhookUrl: string; locale: string; clearWebhook: boolean },
  actor: string,
  allow: AllowList,
): Promise<AlertSettings> {
  const before = await a.loadAlertSettings(db);
  const webhookUrl = input.clearWebhook ? '' : input.webhookUrl.trim() || before.webhookUrl;
  const settings = parseInput(ZAlertSettings, { webhookUrl, locale: input.locale }, 'alert settings');
  if (settings.webhookUrl && settings.webhookUrl !== before.webhookUrl) {
    const refusal = await destinationRefusal(settings.webhookUrl, allow);
    if (refusal) throw new AppError('invalid', `webhook URL: ${refusal}`, { webhookUrl: refusal });
  }
  await a
    .alertSettings(db)
    .replaceOne({ _id: 'alerts' }, { ...settings, updatedAt: new Date(), updatedBy: actor }, { upsert: true });
  await audit(db, {
    actor,
    action: 'alerts.settings',
    subject: 'alert settings',
    before: { webhook: redactedWebhookUrl(before.webhookUrl), locale: before.locale },
    after: { webhook: redactedWebhookUrl(settings.webhookUrl), locale: settings.locale },
  });
  return settings;
}
