import type { Db } from 'mongodb';
import * as c from './collections';

/** Cancelled campaigns survey nobody more: not the customers not yet decided, nor those deferred. */
export async function campaignCancelled(db: Db, campaignId: string): Promise<boolean> {
  const progress = await c.campaignProgress(db).findOne({ _id: campaignId }, { projection: { status: 1 } });
  return progress?.status === 'cancelled';
}
