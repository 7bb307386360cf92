import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { isDeepStrictEqual } from 'node:util';
import type { Db } from 'mongodb';
import { z } from 'zod';
import { audit } from '../db/audit';
import * as c from '../db/collections';
import { isDuplicateKeyError } from '../db/insert-once';
import { countSegment } from '../db/segments';
import { type CampaignAction, type CampaignProgress, newCampaignProgress } from '../domain/campaign';
import { LIMITS } from '../domain/limits';
import { ZSample, ZSegment } from '../domain/segment';
import { campaignControlUpdate, campaignWorkflowId, fanOutTaskQueue } from '../../workflows/definitions';
import type { CampaignInput } from '../../workflows/campaign';
import { AppError } from './errors';
import type { LoopSettings } from '../temporal/loop-client';

export const ZCampaignAction = z.enum(['pause', 'resume', 'cancel']);

export const ZCampaignPreview = z.object({ segment: ZSegment, sample: ZSample.optional() }).strict();

export const ZCampaignInput = z
  .object({
    /** Chosen by the caller (the form renders one): a repeated or double-clicked launch is the same campaign. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'a campaign ID: letters, digits, _ and - (at most 100)'),
    name: z.string().trim().min(1).max(LIMITS.name),
    programId: z.string().min(1).max(100),
    segment: ZSegment,
    sample: ZSample.optional(),
    /** Now when absent. */
    startAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type TCampaignInput = z.infer<typeof ZCampaignInput>;

export type CampaignView = c.CampaignDoc & { progress: CampaignProgress };

/** A campaign refused for its content: the program must be an active pulsed one. */
async function checkProgram(db: Db, programId: string): Promise<void> {
  const program = await c.programs(db).findOne({ _id: programId }, { projection: { kind: 1, active: 1 } });
  if (!program) throw new AppError('invalid', `invalid campaign: programId: no program ${programId}`);
  if (program.kind !== 'pulsed')
    throw new AppError('invalid', `invalid campaign: programId: ${programId} is a ${program.kind} program, not pulsed`);
  if (!program.active) throw new AppError('conflict', `program ${programId} is paused; resume it first`);
}

/**
 * Records the campaign (insert-only) and starts its workflow. Launching the same campaign again —
 * a double click, a retried request — finds it and changes nothing; the same ID with other
 * content is refused.
 */
export async function launchCampaign(
  db: Db,
  loop: LoopSettings,
  input: TCampaignInput,
  actor: string,
): Promise<{ created: boolean; campaign: CampaignView }> {
  const doc: c.CampaignDoc = {
    _id: input.id,
    name: input.name,
    programId: input.programId,
    segment: input.segment,
    ...(input.sample ? { sample: input.sample } : {}),
    startAt: input.startAt ? new Date(input.startAt) : new Date(),
    createdBy: actor,
    createdAt: new Date(),
  };
  let created = true;
  const existing = await c.campaigns(db).findOne({ _id: input.id });
  if (existing) {
    if (!sameDefinition(existing, doc))
      throw new AppError('conflict', `campaign ${input.id} exists with other settings`);
    created = false;
  } else {
    await checkProgram(db, input.programId);
    try {
      await c.campaigns(db).insertOne(doc);
      await audit(db, { actor, action: 'campaign.launch', subject: `campaign ${input.id}`, after: { ...input } });
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      created = false;
    }
  }
  const stored = existing ?? doc;
  await startCampaignWorkflow(loop, stored);
  return { created, campaign: { ...stored, progress: await progressOf(db, stored._id) } };
}

function sameDefinition(a: c.CampaignDoc, b: c.CampaignDoc): boolean {
  const definition = ({ name, programId, segment, sample }: c.CampaignDoc) => ({ name, programId, segment, sample });
  return isDeepStrictEqual(definition(a), definition(b));
}

/** Started once per campaign ID: a finished campaign is not run again. */
async function startCampaignWorkflow(loop: LoopSettings, campaign: c.CampaignDoc): Promise<void> {
  const args: [CampaignInput] = [{ campaignId: campaign._id, startAt: campaign.startAt.getTime() }];
  try {
    await loop.temporal.workflow.start('campaignWorkflow', {
      workflowId: campaignWorkflowId(campaign._id),
      taskQueue: fanOutTaskQueue(loop.taskQueue),
      args,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

export async function progressOf(db: Db, campaignId: string): Promise<CampaignProgress> {
  const saved = await c.campaignProgress(db).findOne({ _id: campaignId });
  if (!saved) return newCampaignProgress();
  const { _id, updatedAt, ...progress } = saved;
  void _id;
  void updatedAt;
  return progress;
}

export async function findCampaign(db: Db, campaignId: string): Promise<CampaignView> {
  const campaign = await c.campaigns(db).findOne({ _id: campaignId });
  if (!campaign) throw new AppError('not-found', `no campaign ${campaignId}`);
  return { ...campaign, progress: await progressOf(db, campaignId) };
}

export async function listCampaigns(db: Db, page: { limit: number; skip: number }): Promise<CampaignView[]> {
  const docs = await c.campaigns(db).find().sort({ createdAt: -1 }).skip(page.skip).limit(page.limit).toArray();
  const progress = new Map(
    (
      await c
        .campaignProgress(db)
        .find({ _id: { $in: docs.map((d) => d._id) } })
        .toArray()
    ).map((p) => [p._id, p]),
  );
  return docs.map((doc) => {
    const saved = progress.get(doc._id);
    return { ...doc, progress: saved ? { ...newCampaignProgress(), ...saved } : newCampaignProgress() };
  });
}

/** The active pulsed programs a campaign may send, by ID (their names for the launch form). */
export function listPulsedPrograms(db: Db) {
  return c
    .programs(db)
    .find({ kind: 'pulsed', active: true }, { projection: { name: 1 } })
    .sort({ _id: 1 })
    .toArray();
}

/** How many customers a segment matches now, and how many a sample would take. */
export async function previewSegment(db: Db, input: z.infer<typeof ZCampaignPreview>) {
  const { matched, sampled } = await countSegment(db, input.segment, input.sample);
  return { matched, sampled };
}

const CONTROL_DEADLINE_MS = 15_000;

/** Pause, resume or cancel, answered by the campaign's workflow once applied. */
export async function controlCampaign(
  db: Db,
  loop: LoopSettings,
  campaignId: string,
  action: CampaignAction,
  actor: string,
): Promise<CampaignProgress> {
  const campaign = await findCampaign(db, campaignId);
  let progress: CampaignProgress;
  try {
    progress = await loop.temporal.withDeadline(Date.now() + CONTROL_DEADLINE_MS, () =>
      loop.temporal.workflow.getHandle(campaignWorkflowId(campaignId)).executeUpdate(campaignControlUpdate, {
        args: [action],
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new AppError('conflict', (err.cause as { message?: string } | undefined)?.message ?? err.message);
    if (err instanceof WorkflowNotFoundError)
      throw new AppError('conflict', `the campaign is ${campaign.progress.status}`);
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      throw new AppError('unavailable', 'The campaign did not answer in time; try again.');
    throw err;
  }
  await audit(db, { actor, action: `campaign.${action}`, subject: `campaign ${campaignId}` });
  return progress;
}
