import type { Db } from 'mongodb';
import type { AlertFigures, AlertSettings } from '../domain/alert-rules';

/**
 * An episode's alert (`_id` = unit|check|day it opened, src/domain/alert-rules.ts), insert-only: the
 * insert is what makes an episode alert once, whichever worker runs the check, however often.
 */
export type AlertDoc = AlertFigures & { _id: string; unitId: string; day: string; openedAt: Date };

/**
 * The episode state of one unit and check (`_id` = unit|check): the day the episode under way
 * opened, or null. Written only by the alert check run (one at a time per deployment: its schedule
 * skips a run while the previous one lasts), after the alert it opens is inserted.
 */
export interface AlertStateDoc {
  _id: string;
  unitId: string;
  since: string | null;
  /** The day the last episode ended, for the alerts page. */
  recoveredOn?: string;
  updatedAt: Date;
}

/**
 * What an alert's delivery did, insert-only: `<alert>|webhook` once the webhook took the message
 * (or refused its destination for good), `<alert>|done` once every channel is through.
 */
export interface AlertDeliveryDoc {
  _id: string;
  alertId: string;
  at: Date;
  status?: number;
  refused?: string;
}

/** The delivery record that says an alert is through (every channel done). */
export const deliveredMarker = (alertId: string) => `${alertId}|done`;

/** The one settings document (`_id: 'alerts'`), replaced whole by admins. */
export type AlertSettingsDoc = AlertSettings & { _id: 'alerts'; updatedAt: Date; updatedBy: string };

export const alerts = (db: Db) => db.collection<AlertDoc>('alerts');
export const alertStates = (db: Db) => db.collection<AlertStateDoc>('alert_states');
export const alertDeliveries = (db: Db) => db.collection<AlertDeliveryDoc>('alert_deliveries');
export const alertSettings = (db: Db) => db.collection<AlertSettingsDoc>('alert_settings');

/** The settings, or the defaults (no webhook, English) before an admin saved any. */
export async function loadAlertSettings(db: Db): Promise<AlertSettings> {
  const doc = await alertSettings(db).findOne({ _id: 'alerts' });
  return { webhookUrl: doc?.webhookUrl ?? '', locale: doc?.locale ?? 'en' };
}
