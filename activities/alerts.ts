import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import { type AlertCheckRun, runAlertChecks } from '../src/app/alerts';
import * as a from '../src/db/alerts';
import * as c from '../src/db/collections';
import { insertOnce } from '../src/db/insert-once';
import { loadUnits } from '../src/db/units';
import { alertRecipients, alertWebhookText, alertWording, redactedWebhookUrl } from '../src/domain/alert-rules';
import { unitSegment } from '../src/domain/rollup';
import { segmentForUnit } from '../src/domain/units';
import { EMPTY_ALLOW_LIST, hostVerdict } from '../src/domain/webhook-destination';
import type { Mailer } from '../src/mail/mailer';
import { type Templates, format } from '../src/mail/templates';
import { sendOnce } from './email-once';
import { whileBeating } from './heartbeat';
import { DestinationRefused, type WebhookDestinations, checkedLookup, resolveWithSystem, send } from './webhooks';

export interface AlertDeps {
  db: Db;
  mailer: Mailer;
  templates: Templates;
  publicBaseUrl: string;
  mailFrom: string;
  webhookDestinations?: WebhookDestinations;
}

/** The checks behind alerts and the delivery of each alert, by email and to the incoming webhook. */
export function createAlertActivities({
  db,
  mailer,
  templates,
  publicBaseUrl,
  mailFrom,
  webhookDestinations,
}: AlertDeps) {
  const allow = webhookDestinations?.allowList ?? EMPTY_ALLOW_LIST;
  const lookup = checkedLookup(allow, webhookDestinations?.resolve ?? resolveWithSystem);

  /** The unit's dashboard over the alert's two windows, the recent one compared with the period before. */
  const dashboardUrl = (alert: a.AlertDoc, segment: string) =>
    `${publicBaseUrl}/admin/dashboard?${new URLSearchParams({
      segment,
      from: alert.windows.baseline.from,
      to: alert.windows.recent.to,
    }).toString()}`;

  /** POSTs the message once per alert: a delivery recorded as done (or refused for good) is not repeated. */
  async function postToWebhook(alert: a.AlertDoc, url: string, text: string): Promise<'sent' | 'skipped' | 'refused'> {
    const deliveryId = `${alert._id}|webhook`;
    if (await a.alertDeliveries(db).findOne({ _id: deliveryId })) return 'skipped';
    const target = new URL(url);
    const verdict = hostVerdict(target.hostname, allow);
    const refuse = async (reason: string) => {
      await insertOnce(a.alertDeliveries(db), { _id: deliveryId, alertId: alert._id, at: new Date(), refused: reason });
      return 'refused' as const;
    };
    if (verdict.kind === 'refused') return refuse(verdict.reason);
    let status: number;
    try {
      status = await send(
        target,
        { 'content-type': 'application/json', 'user-agent': 'cxloop-alerts' },
        JSON.stringify({ text }),
        lookup,
      );
    } catch (err) {
      if (err instanceof DestinationRefused) return refuse(err.message);
      // The URL's path is its secret: only its origin is named.
      throw ApplicationFailure.retryable(
        `alert webhook ${redactedWebhookUrl(url)} failed: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    if (status < 200 || status >= 300)
      throw ApplicationFailure.retryable(`alert webhook ${redactedWebhookUrl(url)} answered ${status}`);
    await insertOnce(a.alertDeliveries(db), { _id: deliveryId, alertId: alert._id, at: new Date(), status });
    return 'sent';
  }

  /** The alert, the tree and settings, and the link to the unit's dashboard. */
  async function load(alertId: string) {
    const alert = await a.alerts(db).findOne({ _id: alertId });
    if (!alert) throw ApplicationFailure.nonRetryable(`no alert ${alertId}`);
    const [units, settings] = await Promise.all([loadUnits(db), a.loadAlertSettings(db)]);
    // A unit deleted since still has its segment's figures.
    const segment = units.some((u) => u.id === alert.unitId)
      ? segmentForUnit(units, alert.unitId)
      : unitSegment(alert.unitId);
    return { alert, units, settings, link: dashboardUrl(alert, segment) };
  }

  return {
    /** The day's checks of every unit; answers the alerts to deliver (IDs only). */
    async checkAlerts({ day }: { day: string }): Promise<AlertCheckRun> {
      return whileBeating(() => runAlertChecks(db, day));
    },

    /** Emails the unit's responsible person, once per alert and person (`alert:<alert>:<user>`). */
    async emailAlert({ alertId }: { alertId: string }): Promise<{ emails: number }> {
      return whileBeating(async () => {
        const { alert, units, settings, link } = await load(alertId);
        const wording = alertWording(alert, settings.locale);
        const people = await c
          .users(db)
          .find({ _id: { $in: alertRecipients(units, alert.unitId) } })
          .toArray();
        let emails = 0;
        for (const person of people.filter((p) => !p.disabled)) {
          const rendered = templates.email('alert', settings.locale, 'en', {
            name: person.name,
            ...wording,
            dashboardUrl: link,
          });
          const outcome = await sendOnce(db, mailer, {
            idempotencyKey: `alert:${alertId}:${person._id}`,
            kind: 'alert',
            to: person.email,
            from: mailFrom,
            subject: format(templates.strings(settings.locale).alertSubject, { headline: wording.headline }),
            ...rendered,
            headers: { 'X-Cxloop-Alert': alertId },
          });
          if (outcome.status === 'sent') emails++;
        }
        return { emails };
      });
    },

    /** Posts the alert to the incoming webhook where one is configured; a failure throws (retried, then given up). */
    async postAlertWebhook({
      alertId,
    }: {
      alertId: string;
    }): Promise<{ webhook: 'none' | 'sent' | 'skipped' | 'refused' }> {
      const { alert, settings, link } = await load(alertId);
      if (!settings.webhookUrl) return { webhook: 'none' };
      return { webhook: await postToWebhook(alert, settings.webhookUrl, alertWebhookText(alert, link)) };
    },

    /** Records the alert as delivered: the next check run does not hand it over again. */
    async markAlertDelivered({ alertId }: { alertId: string }): Promise<void> {
      await insertOnce(a.alertDeliveries(db), { _id: a.deliveredMarker(alertId), alertId, at: new Date() });
    },
  };
}
