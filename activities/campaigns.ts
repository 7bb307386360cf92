import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { type SegmentCount, countSegment, customersInOrder, inSegment, loadFactSources } from '../src/db/segments';
import type { CampaignProgress } from '../src/domain/campaign';
import { sampleDraw } from '../src/domain/segment';
import type { LoopSettings } from '../src/web/events-service';
import { handEventsToLoops } from './hand-over';
import { whileBeating } from './heartbeat';
import { loopTaskQueue } from '../workflows/definitions';

/** Customers handed over per activity, and scanned at most: the granularity of pause and cancel. */
const HAND_OVER_LIMIT = 1000;
const SCAN_LIMIT = 20_000;

/** One event per campaign and customer: a relaunch or a retried page surveys nobody twice. */
export const campaignEventId = (campaignId: string, customerId: string) => `camp:${campaignId}:${customerId}`;

export interface FanOutPage {
  /** The last customer scanned; the next page starts after it. */
  after?: string;
  /** Customers of this page handed to their loop (a retried page hands over the same ones, once each). */
  handedOver: number;
  done: boolean;
}

export function createCampaignActivities(db: Db, loopIdleTimeout: string) {
  const campaignOf = async (campaignId: string) => {
    const campaign = await c.campaigns(db).findOne({ _id: campaignId });
    if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${campaignId} is not recorded`);
    return campaign;
  };

  return {
    /** How many customers the campaign's segment matches now, and the sample's cutoff. */
    async selectCampaignAudience({ campaignId }: { campaignId: string }): Promise<SegmentCount> {
      return whileBeating(async () => {
        const campaign = await campaignOf(campaignId);
        return countSegment(db, campaign.segment, campaign.sample);
      });
    },

    /**
     * Hands the next customers of the campaign (in `_id` order, after `after`) to their loops: an
     * event per customer (insert-only, keyed by campaign and customer), then a signal for each
     * event not yet decided. Stops after HAND_OVER_LIMIT customers or SCAN_LIMIT scanned, so the
     * campaign can pause or cancel between pages.
     */
    async fanOutCampaign({
      campaignId,
      after,
      cutoff,
    }: {
      campaignId: string;
      after?: string;
      cutoff: number | null;
    }): Promise<FanOutPage> {
      return whileBeating(async () => {
        const campaign = await campaignOf(campaignId);
        const context = Context.current();
        const sources = await loadFactSources(db, campaign.segment);
        const chosen: string[] = [];
        let [scanned, last] = [0, after];
        const cursor = customersInOrder(db, after);
        try {
          for await (const customer of cursor) {
            last = customer._id;
            scanned++;
            const sampled = cutoff === null || sampleDraw(campaign.sample!.seed, customer._id) <= cutoff;
            if (sampled && inSegment(campaign.segment, sources, customer)) chosen.push(customer._id);
            if (chosen.length >= HAND_OVER_LIMIT || scanned >= SCAN_LIMIT) break;
          }
        } finally {
          await cursor.close();
        }
        const loop: LoopSettings = {
          temporal: context.client,
          taskQueue: loopTaskQueue(context.info.taskQueue),
          loopIdleTimeout,
          log: (msg) => context.log.warn(msg),
        };
        await handOver(db, loop, campaign, chosen);
        const done = chosen.length < HAND_OVER_LIMIT && scanned < SCAN_LIMIT;
        return { after: last, handedOver: chosen.length, done };
      });
    },

    /** The campaign's workflow is the only writer of its progress document. */
    async saveCampaignProgress({
      campaignId,
      progress,
    }: {
      campaignId: string;
      progress: CampaignProgress;
    }): Promise<void> {
      await c
        .campaignProgress(db)
        .replaceOne({ _id: campaignId }, { ...progress, updatedAt: new Date() }, { upsert: true });
    },
  };
}

/** The customers' campaign events, handed to their loops. */
async function handOver(db: Db, loop: LoopSettings, campaign: c.CampaignDoc, customerIds: string[]): Promise<void> {
  const now = new Date();
  const events: c.EventDoc[] = customerIds.map((customerId) => ({
    _id: campaignEventId(campaign._id, customerId),
    type: 'campaign',
    programId: campaign.programId,
    campaignId: campaign._id,
    occurredAt: now,
    customerId,
    data: {},
    receivedAt: now,
  }));
  await handEventsToLoops(db, loop, events);
}
