import { randomUUID } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { Db } from 'mongodb';
import type { Role } from '../../domain/access';
import { type CampaignProgress, NOT_ELIGIBLE } from '../../domain/campaign';
import { QUADRANTS } from '../../domain/quadrants';
import { allowRoles } from '../access';
import {
  type CampaignView,
  ZCampaignAction,
  ZCampaignInput,
  controlCampaign,
  findCampaign,
  launchCampaign,
  listCampaigns,
  listPulsedPrograms,
  previewSegment,
} from '../../app/campaigns';
import { AppError } from '../../app/errors';
import { statusOf } from '../errors';
import type { LoopSettings } from '../../temporal/loop-client';
import { parseInput } from '../../app/validation';

type Send = (req: Request, res: Response, name: string, context: Record<string, unknown>, status?: number) => void;
type FormBody = Record<string, string | string[] | undefined>;

/** Attribute rows the segment builder offers. */
const ATTRIBUTE_ROWS = 3;

const one = (value: string | string[] | undefined): string => (Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
const many = (value: string | string[] | undefined): string[] => (value === undefined ? [] : [value].flat());
const numberOrUndefined = (value: string) => (value.trim() === '' ? undefined : Number(value));
/** A date field (YYYY-MM-DD) as the start of that day, UTC. */
const dayStart = (value: string) => (value ? `${value}T00:00:00Z` : undefined);

/**
 * A value typed into the segment builder: numbers and true/false also match attributes stored as
 * such (an import stores text, an integration may send numbers).
 */
function attributeValues(text: string): (string | number | boolean)[] {
  return text
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
    .flatMap((v): (string | number | boolean)[] => {
      if (/^-?\d+(\.\d+)?$/.test(v)) return [v, Number(v)];
      if (v === 'true' || v === 'false') return [v, v === 'true'];
      return [v];
    });
}

/** The campaign form as the API's input, for the same schema to judge it. */
export function campaignFromForm(body: FormBody) {
  const attributes = Object.fromEntries(
    Array.from({ length: ATTRIBUTE_ROWS }, (_, i) => [one(body[`attr${i}Name`]).trim(), one(body[`attr${i}Values`])])
      .filter(([name]) => name)
      .map(([name, values]) => [name, attributeValues(values!)]),
  );
  const [scoreMin, scoreMax] = [numberOrUndefined(one(body.scoreMin)), numberOrUndefined(one(body.scoreMax))];
  const quadrants = many(body.quadrants);
  const sampleKind = one(body.sampleKind);
  const sampleValue = Number(one(body.sampleValue));
  const seed = one(body.sampleSeed).trim() || one(body.id);
  const startAt = one(body.startAt);
  const optional = (key: string, value: unknown) => (value === undefined ? {} : { [key]: value });
  return {
    id: one(body.id),
    name: one(body.name),
    programId: one(body.programId),
    segment: {
      attributes,
      ...(scoreMin !== undefined || scoreMax !== undefined
        ? { score: { ...optional('min', scoreMin), ...optional('max', scoreMax) } }
        : {}),
      ...(quadrants.length
        ? {
            quadrants,
            cutoffs: {
              ...optional('score', numberOrUndefined(one(body.cutoffScore))),
              ...optional('revenue', numberOrUndefined(one(body.cutoffRevenue))),
            },
          }
        : {}),
      ...optional('contactedSince', dayStart(one(body.contactedSince))),
      ...optional('notContactedSince', dayStart(one(body.notContactedSince))),
      ...optional('respondedSince', dayStart(one(body.respondedSince))),
      ...optional('notRespondedSince', dayStart(one(body.notRespondedSince))),
    },
    ...(sampleKind === 'count' ? { sample: { count: sampleValue, seed } } : {}),
    ...(sampleKind === 'percent' ? { sample: { percent: sampleValue, seed } } : {}),
    // datetime-local has no zone: the form says it is UTC.
    ...(startAt ? { startAt: `${startAt.length === 16 ? `${startAt}:00` : startAt}Z` } : {}),
  };
}

/** Form errors next to their fields: the schema's paths, named as the form names them. */
function campaignFieldErrors(issues: { path: PropertyKey[]; message: string }[]): Record<string, string> {
  const field = (path: PropertyKey[]) => {
    const [first, second] = path.map(String);
    if (first === 'segment') return second === 'cutoffs' ? 'quadrants' : (second ?? 'segment');
    return first ?? 'form';
  };
  return Object.fromEntries(issues.map((i) => [field(i.path), i.message]));
}

/** The campaign form prefilled from a link: known quadrants and a name, anything else ignored. */
export function prefill(query: Record<string, unknown>): { values?: FormBody } {
  const quadrants = many(query.quadrants as FormBody[string]).filter((q) =>
    (QUADRANTS as readonly string[]).includes(q),
  );
  const name = typeof query.name === 'string' ? query.name.slice(0, 200) : undefined;
  if (!quadrants.length && !name) return {};
  return { values: { id: randomUUID(), sampleKind: 'all', quadrants, ...(name ? { name } : {}) } };
}

/** Progress as the page shows it: the bar counts customers handed over and decided. */
export function progressView(progress: CampaignProgress) {
  const total = progress.sampled || progress.matched;
  const skipped = Object.entries(progress.skipped).map(([rule, count]) => ({
    rule: rule === NOT_ELIGIBLE ? 'no longer eligible' : rule.replaceAll('_', ' '),
    count,
  }));
  return {
    ...progress,
    total,
    skippedTotal: skipped.reduce((sum, s) => sum + s.count, 0),
    skippedList: skipped,
    canPause: ['scheduled', 'selecting', 'sending'].includes(progress.status),
    canResume: progress.status === 'paused',
    canCancel: !['completed', 'cancelled'].includes(progress.status),
  };
}

const campaignJson = (campaign: CampaignView) => ({ id: campaign._id, progress: progressView(campaign.progress) });

/** The campaigns page (list, segment builder with its match count, launch) and each campaign's live progress. */
export function campaignRoutes(
  router: Router,
  { db, loop, send, roles }: { db: Db; loop: LoopSettings; send: Send; roles: Role[] },
): void {
  const campaignsPage = async (req: Request, res: Response, form: Record<string, unknown>, status = 200) => {
    const values = (form.values as FormBody | undefined) ?? { id: randomUUID(), sampleKind: 'all' };
    send(
      req,
      res,
      'campaigns',
      {
        title: 'Campaigns',
        campaigns: (await listCampaigns(db, { limit: 50, skip: 0 })).map((campaign) => ({
          ...campaign,
          progress: progressView(campaign.progress),
        })),
        programs: await listPulsedPrograms(db),
        quadrants: QUADRANTS.map((q) => ({ value: q, checked: many(values.quadrants).includes(q) })),
        attributeRows: Array.from({ length: ATTRIBUTE_ROWS }, (_, i) => ({
          index: i,
          name: one(values[`attr${i}Name`]),
          values: one(values[`attr${i}Values`]),
        })),
        ...form,
        values,
      },
      status,
    );
  };

  // `?quadrants=…&name=…` (the quadrants page's "Survey these") prefills the form; nothing else is taken.
  router.get('/campaigns', allowRoles(...roles), (req, res) => campaignsPage(req, res, prefill(req.query)));

  // One form, two buttons: count the matches (shown with the form as filled in), or launch.
  router.post('/campaigns', allowRoles(...roles), async (req, res) => {
    const body = req.body as FormBody;
    const parsed = ZCampaignInput.safeParse(campaignFromForm(body));
    if (!parsed.success)
      return campaignsPage(req, res, { errors: campaignFieldErrors(parsed.error.issues), values: body }, 422);
    if (one(body.intent) === 'count') {
      const count = await previewSegment(db, parsed.data);
      return campaignsPage(req, res, { count, values: body });
    }
    const actor = res.locals.user.email as string;
    try {
      await launchCampaign(db, loop, parsed.data, actor);
    } catch (err) {
      if (!(err instanceof AppError) || err.kind === 'unavailable') throw err;
      return campaignsPage(req, res, { errors: { form: err.message }, values: body }, statusOf(err.kind));
    }
    res.redirect(303, `/admin/campaigns/${encodeURIComponent(parsed.data.id)}`);
  });

  router.get('/campaigns/:id', allowRoles(...roles), async (req: Request<{ id: string }>, res) => {
    const campaign = await findCampaign(db, req.params.id);
    send(req, res, 'campaign', {
      title: campaign.name,
      campaign,
      segment: JSON.stringify(campaign.segment, null, 2),
      progress: progressView(campaign.progress),
    });
  });

  // Read by the page every second or two while the campaign runs.
  router.get('/campaigns/:id/progress', allowRoles(...roles), async (req: Request<{ id: string }>, res) => {
    res.json(campaignJson(await findCampaign(db, req.params.id)));
  });

  router.post(
    '/campaigns/:id/:action',
    allowRoles(...roles),
    async (req: Request<{ id: string; action: string }>, res) => {
      const action = parseInput(ZCampaignAction, req.params.action, 'campaign action');
      await controlCampaign(db, loop, req.params.id, action, res.locals.user.email as string);
      res.redirect(303, `/admin/campaigns/${encodeURIComponent(req.params.id)}`);
    },
  );
}
