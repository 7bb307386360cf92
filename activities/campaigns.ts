import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import {
  type FactSources,
  type SegmentCount,
  type SegmentCustomer,
  countSegment,
  customersInOrder,
  inSegment,
  loadFactSources,
} from '../src/db/segments';
import type { CampaignProgress } from '../src/domain/campaign';
import { sampleDraw } from '../src/domain/segment';
import type { LoopDefaults, LoopSettings } from '../src/temporal/loop-client';
import { handEventsToLoops } from './hand-over';
import { whileBeating } from './heartbeat';
import { loopTaskQueue } from '../workflows/definitions';

/** Customers per audience page, handed over per activity: the granularity of pause and cancel. */
const PAGE_SIZE = 1000;

/** One event per campaign and customer: a relaunch or a retried page surveys nobody twice. */
export const campaignEventId = (campaignId: string, customerId: string) => `camp:${campaignId}:${customerId}`;

export interface FanOutPage {
  /** The last customer scanned; the next page starts after it. */
  after?: string;
  /** Customers of this page handed to their loop (a retried page hands over the same ones, once each). */
  handedOver: number;
  done: boolean;
}

export function createCampaignActivities(db: Db, { loopIdleTimeout, customerKeySecret }: LoopDefaults) {
  const campaignOf = async (campaignId: string) => {
    const campaign = await c.campaigns(db).findOne({ _id: campaignId });
    if (!campaign) throw ApplicationFailure.nonRetryable(`campaign ${campaignId} is not recorded`);
    return campaign;
  };

  return {
    /**
     * Selects the campaign's audience now: counts the segment, draws the sample, and writes the
     * chosen customers as pages (see CampaignAudiencePageDoc), so a page costs one read by `_id`
     * however many customers there are. A retry writes the whole chain again from the first page.
     */
    async selectCampaignAudience({ campaignId }: { campaignId: string }): Promise<SegmentCount> {
      return whileBeating(async () => {
        const campaign = await campaignOf(campaignId);
        const sources = await loadFactSources(db, campaign.segment);
        const count = await countSegment(db, campaign.segment, campaign.sample, sources);
        await writeAudiencePages(db, campaign, sources, count.cutoff);
        return count;
      });
    },

    /**
     * Hands the campaign's next page of customers (the page after `after`) to their loops: an
     * event per customer (insert-only, keyed by campaign and customer), then a signal for each
     * event not yet decided.
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
        let page = await audiencePage(db, campaignId, after);
        if (!page) {
          // Selected by a version that wrote no pages: select the rest of the audience now.
          await writeAudiencePages(db, campaign, await loadFactSources(db, campaign.segment), cutoff, after);
          page = (await audiencePage(db, campaignId, after))!;
        }
        const loop: LoopSettings = {
          temporal: context.client,
          taskQueue: loopTaskQueue(context.info.taskQueue),
          loopIdleTimeout,
          customerKeySecret,
          log: (msg) => context.log.warn(msg),
        };
        await handOver(db, loop, campaign, page.customerIds);
        return { after: page.last, handedOver: page.customerIds.length, done: page.final };
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

/**
 * The chosen customers after `after` (all when undefined) in `_id` order, in pages of `pageSize`,
 * each keyed by the customer before it.
 */
export async function writeAudiencePages(
  db: Db,
  campaign: c.CampaignDoc,
  sources: FactSources,
  cutoff: number | null,
  after?: string,
  pageSize = PAGE_SIZE,
): Promise<void> {
  let [before, customerIds] = [after ?? '', [] as string[]];
  const write = async (final: boolean) => {
    const last = customerIds.at(-1) ?? before;
    await c
      .campaignAudience(db)
      .replaceOne(
        { _id: c.campaignAudienceKey(campaign._id, before) },
        { campaignId: campaign._id, customerIds, last, final },
        { upsert: true },
      );
    [before, customerIds] = [last, []];
  };
  for await (const customer of customersInOrder(db, after)) {
    if (!chosenFor(campaign, sources, cutoff, customer)) continue;
    customerIds.push(customer._id);
    if (customerIds.length === pageSize) await write(false);
  }
  await write(true);
}

/** The audience page after customer `after` (the first page when undefined), if selection wrote one. */
export const audiencePage = (db: Db, campaignId: string, after: string | undefined) =>
  c.campaignAudience(db).findOne({ _id: c.campaignAudienceKey(campaignId, after) });

function chosenFor(campaign: c.CampaignDoc, sources: FactSources, cutoff: number | null, customer: SegmentCustomer) {
  const sampled = cutoff === null || sampleDraw(campaign.sample!.seed, customer._id) <= cutoff;
  return sampled && inSegment(campaign.segment, sources, customer);
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
