import type { Db } from 'mongodb';
import * as c from './collections';
import { cachedSetting } from './settings-cache';

/**
 * Cancelled campaigns survey nobody more: not the customers not yet decided, nor those deferred.
 * Asked for each customer of a campaign, so kept like a setting (SETTINGS_CACHE_TTL): a cancel
 * reaches the other processes' loops within it, this process's at once.
 */
export function campaignCancelled(db: Db, campaignId: string): Promise<boolean> {
  return cachedSetting(db, 'campaign_progress', campaignId, async () => {
    const progress = await c.campaignProgress(db).findOne({ _id: campaignId }, { projection: { status: 1 } });
    return progress?.status === 'cancelled';
  });
}
