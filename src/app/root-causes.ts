import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { audit } from '../db/audit';
import { insertManyOnce } from '../db/insert-once';
import { loadRouting } from '../db/routing';
import { customersWithRootCause } from '../db/segments';
import { DEFAULT_ROOT_CAUSES } from '../domain/case-schemas';
import { type FixEffect, type TFixInput, fixCampaignId, fixEffect, fixProgram, fixProgramId } from '../domain/fixes';
import { ZProgram } from '../domain/program';
import { ZSegment } from '../domain/segment';
import { type CampaignView, findCampaign, launchCampaign } from './campaigns';
import { followUpPrograms } from './case-metrics';
import { AppError } from './errors';
import { type UnitAccess, customersInScope } from './insight';
import type { LoopSettings } from '../temporal/loop-client';
import { storeProgram } from './programs';

/** The organisation's root causes (the routing's list); a 404 names them for an unknown one. */
export async function knownRootCause(db: Db, name: string): Promise<string> {
  const causes = (await loadRouting(db))?.rootCauses ?? DEFAULT_ROOT_CAUSES;
  if (!causes.includes(name))
    throw new AppError('not-found', `No root cause "${name}"; the root causes are ${causes.join(', ')}.`);
  return name;
}

/** The segment of a fix: customers whose case was resolved with the root cause on the fix's days. */
function fixSegment(rootCause: string, fix: { from: string; to: string }) {
  return ZSegment.parse({
    rootCause: { name: rootCause, from: `${fix.from}T00:00:00.000Z`, to: `${fix.to}T23:59:59.999Z` },
  });
}

/**
 * Marks a root cause fixed: the fix's program and record, then its campaign (which respects
 * unsubscribes and contact rules, and surveys nobody twice). The same fix ID again is the same
 * fix: a retried request or a double click launches nothing new.
 */
export async function markFixed(
  db: Db,
  loop: LoopSettings,
  rootCause: string,
  fix: TFixInput,
  actor: string,
): Promise<{ fix: c.RootCauseFixDoc; campaign: CampaignView; created: boolean }> {
  await knownRootCause(db, rootCause);
  const existing = await c.rootCauseFixes(db).findOne({ _id: fix.id });
  if (existing && existing.rootCause !== rootCause)
    throw new AppError('conflict', `fix ${fix.id} belongs to the root cause "${existing.rootCause}"`);
  const programId = fixProgramId(fix.id);
  if (!(await c.programs(db).findOne({ _id: programId }, { projection: { _id: 1 } })))
    await storeProgram(db, ZProgram.parse(fixProgram(rootCause, fix)));
  const doc: c.RootCauseFixDoc = {
    _id: fix.id,
    rootCause,
    note: fix.note,
    from: fix.from,
    to: fix.to,
    resurvey: fix.resurvey,
    programId,
    campaignId: fixCampaignId(fix.id),
    by: actor,
    at: new Date(),
  };
  const [created] = await insertManyOnce(c.rootCauseFixes(db), [doc]);
  const stored = (await c.rootCauseFixes(db).findOne({ _id: fix.id }))!;
  if (created)
    await audit(db, { actor, action: 'root-cause.fixed', subject: `root cause ${rootCause}`, after: { ...fix } });
  const { campaign } = await launchCampaign(
    db,
    loop,
    {
      id: stored.campaignId,
      name: `We fixed it: ${rootCause}`.slice(0, 200),
      programId,
      segment: fixSegment(rootCause, stored),
    },
    actor,
  );
  return { fix: stored, campaign, created: created! };
}

export interface RootCauseReport {
  rootCause: string;
  fixes: (c.RootCauseFixDoc & { campaign: CampaignView; effect: FixEffect })[];
}

/**
 * A root cause's fixes, newest first, each with its campaign's progress and its effect: the
 * affected customers' scores before and after the fix (their latest reply before, their first
 * after: the fix's own question, or any later survey). Reads the root cause's cases and those
 * customers' replies with a filter (a one-off page; on FerretDB a pass over each collection). The
 * effect counts the customers of the units `access` sees (cases name their customer only: for a
 * person responsible for some units, one more filtered pass, over the customers).
 */
export async function loadRootCause(db: Db, rootCause: string, access: UnitAccess): Promise<RootCauseReport> {
  await knownRootCause(db, rootCause);
  const fixes = await c.rootCauseFixes(db).find({ rootCause }).sort({ at: -1 }).toArray();
  const [followUps, inScope] = await Promise.all([followUpPrograms(db), customersInScope(db, access)]);
  return {
    rootCause,
    fixes: await Promise.all(
      fixes.map(async (fix) => {
        const affected = await customersWithRootCause(db, fixSegment(rootCause, fix).rootCause!);
        const customers = inScope ? new Set([...affected].filter((id) => inScope.has(id))) : affected;
        const replies = await c
          .responses(db)
          .find(
            { customerId: { $in: [...customers] } },
            { projection: { customerId: 1, programId: 1, submittedAt: 1, 'scores.summary': 1 } },
          )
          .toArray();
        // Follow-up surveys rate the case's handling, not the customer's experience: left out.
        const scored = replies.flatMap((r) =>
          typeof r.scores?.summary === 'number' && !followUps.includes(r.programId)
            ? [{ customerId: r.customerId, at: r.submittedAt.getTime(), score: r.scores.summary }]
            : [],
        );
        return {
          ...fix,
          campaign: await findCampaign(db, fix.campaignId),
          effect: fixEffect(scored, fix.at.getTime(), customers),
        };
      }),
    ),
  };
}

export const FIX_COLUMNS = [
  'fixId',
  'fixedAt',
  'by',
  'casesFrom',
  'casesTo',
  'resurvey',
  'campaignStatus',
  'matched',
  'sent',
  'answered',
  'customersBeforeAndAfter',
  'scoreBefore',
  'scoreAfter',
  'improved',
];

/** The root cause page's table of fixes as CSV rows. */
export function fixRows(report: RootCauseReport): (string | number | boolean | null)[][] {
  return report.fixes.map((fix) => [
    fix._id,
    fix.at.toISOString(),
    fix.by,
    fix.from,
    fix.to,
    fix.resurvey,
    fix.campaign.progress.status,
    fix.campaign.progress.matched,
    fix.campaign.progress.sent,
    fix.campaign.progress.answered,
    fix.effect.customers,
    fix.effect.before,
    fix.effect.after,
    fix.effect.improved,
  ]);
}
