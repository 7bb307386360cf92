import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import { type Role, roleGrants } from '../../domain/access';
import { ALERT_WINDOW_DAYS, figureName, pValueText } from '../../domain/alert-rules';
import { ALERT_ALPHA, ALERT_MIN_REPLIES } from '../../domain/alerts';
import { unitSegment } from '../../domain/rollup';
import { type Unit, segmentForUnit } from '../../domain/units';
import type { AllowList } from '../../domain/webhook-destination';
import { type AlertView, alertSettingsView, listAlerts, saveAlertSettings } from '../../app/alerts';
import { AppError } from '../../app/errors';
import { unitAccessOf } from '../../app/units';
import { allowRoles } from '../access';
import type { SignedInUser } from '../auth';
import { statusOf } from '../errors';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;

const LOCALES = [
  { value: 'en', label: 'English' },
  { value: 'de', label: 'Deutsch' },
];

const text = (value: unknown, max: number) => (typeof value === 'string' ? value.slice(0, max) : '');
const shown = (check: string, value: number) =>
  `${(Math.round(value * 10) / 10).toString()}${check === 'nps' ? '' : ' %'}`;

function alertRow(alert: AlertView, units: readonly Unit[]) {
  const segment = units.some((u) => u.id === alert.unitId)
    ? segmentForUnit(units, alert.unitId)
    : unitSegment(alert.unitId);
  return {
    id: alert._id,
    unitId: alert.unitId,
    unitName: units.find((u) => u.id === alert.unitId)?.name ?? alert.unitName,
    day: alert.day,
    figure: figureName(alert.check),
    recent: shown(alert.check, alert.recent),
    baseline: shown(alert.check, alert.baseline),
    change: `${alert.change > 0 ? '+' : ''}${shown(alert.check, alert.change)}`,
    recentReplies: alert.recentReplies,
    baselineReplies: alert.baselineReplies,
    pValue: pValueText(alert.pValue),
    ongoing: alert.ongoing,
    recoveredOn: alert.recoveredOn,
    dashboardUrl: `/admin/dashboard?${new URLSearchParams({ segment, from: alert.windows.baseline.from, to: alert.windows.recent.to }).toString()}`,
  };
}

/** Recent alerts of the units the person sees; admins set where the chat message goes. */
export function alertRoutes(
  router: Router,
  { db, send, roles, webhookAllowList }: { db: Db; send: Send; roles: Role[]; webhookAllowList: AllowList },
) {
  const page = async (req: Request, res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = res.locals.user as SignedInUser;
    const access = await unitAccessOf(db, user);
    const canConfigure = roleGrants(user.role, ['admin']);
    const settings = canConfigure ? await alertSettingsView(db) : undefined;
    send(
      req,
      res,
      'alerts',
      {
        title: 'Alerts',
        alerts: (await listAlerts(db, access)).map((alert) => alertRow(alert, access.units)),
        scoped: !access.scope.all,
        ...ALERT_WINDOW_DAYS,
        alphaPercent: ALERT_ALPHA * 100,
        minReplies: ALERT_MIN_REPLIES,
        canConfigure,
        settings,
        locales: LOCALES.map((l) => ({ ...l, selected: l.value === settings?.locale })),
        ...extra,
      },
      status,
    );
  };

  router.get('/alerts', allowRoles(...roles), (req, res) => page(req, res));

  router.post('/alerts/settings', allowRoles('admin'), async (req, res) => {
    const input = {
      webhookUrl: text(req.body?.webhookUrl, 2001),
      locale: text(req.body?.locale, 10),
      clearWebhook: text(req.body?.clearWebhook, 5) === '1',
    };
    try {
      await saveAlertSettings(db, input, (res.locals.user as SignedInUser).id, webhookAllowList);
    } catch (err) {
      if (!(err instanceof AppError) || err.kind !== 'invalid') throw err;
      return page(req, res, { error: err.message, errors: { webhookUrl: err.message } }, statusOf(err.kind));
    }
    await page(req, res, { notice: 'Alert settings saved.' });
  });
}
