import type { Db } from 'mongodb';
import * as c from '../db/collections';
import { audit } from '../db/audit';
import { type DigestPreferenceDoc, digestLinks, digestPreferences } from '../db/digests';
import { hashSurveyToken, isWellFormedToken, surveyTokenFor } from '../db/survey-tokens';
import type { Role } from '../domain/access';
import { caseScopeCondition } from '../domain/case-access';
import {
  type Digest,
  type DigestCase,
  type DigestFrequency,
  type DigestInput,
  type DigestPreference,
  type DigestReply,
  ZDigestPreference,
  buildDigest,
  defaultDigestPreference,
} from '../domain/digest';
import { digestPeriodRange } from '../domain/digest-period';
import { describeGoal } from '../domain/goals';
import { syncDigestSchedule } from '../temporal/digest-schedules';
import type { LoopSettings } from '../temporal/loop-client';
import { followUpPrograms } from './case-metrics';
import { caseAccessOf, slaOf } from './cases';
import { type UnitAccess, customersInScope } from './insight';
import { loadRootCause } from './root-causes';
import { compareUnits, quarterOf } from './unit-comparison';
import { parseInput } from './validation';

type Person = { id: string; role: Role | string };

/** A person's digest choice, or their role's default until they choose. */
export async function digestPreferenceOf(db: Db, person: Person): Promise<DigestPreference & { chosen: boolean }> {
  const doc = await digestPreferences(db).findOne({ _id: person.id });
  return doc
    ? { frequency: doc.frequency, locale: doc.locale, chosen: true }
    : { ...defaultDigestPreference(person.role), chosen: false };
}

/** What became of the person's schedule: its frequency, or pending when Temporal was not reached. */
export type DigestScheduleOutcome = DigestFrequency | 'pending';

/**
 * Stores a person's digest frequency and language (audited like other changes to people) and makes
 * their Temporal schedule match; a schedule Temporal could not take is made at the worker's next start.
 */
export async function setDigestPreference(
  db: Db,
  loop: LoopSettings,
  person: Person,
  input: unknown,
  actor: string,
): Promise<{ preference: DigestPreference; schedule: DigestScheduleOutcome }> {
  const preference = parseInput(ZDigestPreference, input, 'digest preference');
  const before = await digestPreferenceOf(db, person);
  const doc: DigestPreferenceDoc = { _id: person.id, ...preference, updatedAt: new Date(), updatedBy: actor };
  await digestPreferences(db).replaceOne({ _id: person.id }, doc, { upsert: true });
  await audit(db, {
    actor,
    action: 'user.digest',
    subject: `user ${person.id}`,
    before: { frequency: before.frequency, locale: before.locale, chosen: before.chosen },
    after: { ...preference },
  });
  return { preference, schedule: await updateSchedule(loop, person.id, preference.frequency) };
}

async function updateSchedule(
  loop: LoopSettings,
  userId: string,
  frequency: DigestFrequency,
): Promise<DigestScheduleOutcome> {
  try {
    return await syncDigestSchedule(loop.temporal, loop.taskQueue, userId, frequency);
  } catch (err) {
    loop.log(
      `digest schedule of ${userId} is left to the next worker start (Temporal unreachable): ${(err as Error).message}`,
    );
    return 'pending';
  }
}

/** The changes to a person that change their digest schedule: a new role's default, or (no longer) disabled. */
export const CHANGES_DIGEST_SCHEDULE: readonly string[] = ['role', 'disable', 'enable'];

/**
 * Makes one person's digest schedule match who they are now (created, their role changed, disabled
 * or enabled), without waiting for the worker's next start; a Temporal outage leaves it to that start.
 */
export async function syncPersonDigest(db: Db, loop: LoopSettings, userId: string): Promise<DigestScheduleOutcome> {
  const [person, chosen] = await Promise.all([
    c.users(db).findOne({ _id: userId }, { projection: { role: 1, disabled: 1 } }),
    digestPreferences(db).findOne({ _id: userId }, { projection: { frequency: 1 } }),
  ]);
  if (!person) return 'none';
  const frequency = person.disabled ? 'none' : (chosen?.frequency ?? defaultDigestPreference(person.role).frequency);
  return updateSchedule(loop, userId, frequency);
}

/** Every person's digest frequency, for the schedules: none for a disabled account. */
export async function digestFrequencies(db: Db): Promise<{ userId: string; frequency: DigestFrequency }[]> {
  const [people, chosen] = await Promise.all([
    c
      .users(db)
      .find({}, { projection: { _id: 1, role: 1, disabled: 1 } })
      .toArray(),
    digestPreferences(db).find().toArray(),
  ]);
  const byUser = new Map(chosen.map((doc) => [doc._id, doc.frequency]));
  return people.map((person) => ({
    userId: person._id,
    frequency: person.disabled ? 'none' : (byUser.get(person._id) ?? defaultDigestPreference(person.role).frequency),
  }));
}

/** The token of a person's change-frequency link: signed like survey links, so it needs no storage of its own. */
export const digestLinkToken = (secret: string, userId: string) => surveyTokenFor(secret, `digest:${userId}`);

/** Records the link's hash so that the web tier finds its person by `_id` (idempotent). */
export async function recordDigestLink(db: Db, token: string, userId: string): Promise<void> {
  await digestLinks(db).updateOne(
    { _id: hashSurveyToken(token) },
    { $setOnInsert: { userId, createdAt: new Date() } },
    { upsert: true },
  );
}

/** The person a change-frequency link belongs to, with their choice; null for an unknown or disabled one. */
export async function digestLinkState(
  db: Db,
  token: string,
): Promise<{ user: c.UserDoc; preference: DigestPreference } | null> {
  if (!isWellFormedToken(token)) return null;
  const link = await digestLinks(db).findOne({ _id: hashSurveyToken(token) });
  const user = link ? await c.users(db).findOne({ _id: link.userId }) : null;
  if (!user || user.disabled) return null;
  return { user, preference: await digestPreferenceOf(db, { id: user._id, role: user.role }) };
}

/** A change made from the link in a digest, without signing in: the token stands for the person. */
export async function changeDigestByLink(
  db: Db,
  loop: LoopSettings,
  token: string,
  input: unknown,
): Promise<{ user: c.UserDoc; preference: DigestPreference } | null> {
  const state = await digestLinkState(db, token);
  if (!state) return null;
  const { preference } = await setDigestPreference(
    db,
    loop,
    { id: state.user._id, role: state.user.role },
    input,
    `${state.user._id} (digest link)`,
  );
  return { user: state.user, preference };
}

const FIX_WINDOW_MS = 90 * 86_400_000;

/**
 * A person's digest for a period: what their units' customers said and what their cases did, read
 * with the same scoping as their pages (unit scope for replies, goals and fixes; case scope for cases).
 */
export async function readDigest(db: Db, user: c.UserDoc, period: string, now = Date.now()): Promise<Digest> {
  const range = digestPeriodRange(period);
  const caseAccess = await caseAccessOf(db, { id: user._id, role: user.role, units: user.units });
  const access: UnitAccess = { units: caseAccess.units, scope: caseAccess.unitScope };
  const [inScope, followUpIds] = await Promise.all([customersInScope(db, access), followUpPrograms(db)]);
  const replies = (
    await c
      .responses(db)
      .find(
        { submittedAt: { $gte: new Date(range.previousStart), $lt: new Date(range.end) } },
        { projection: { customerId: 1, programId: 1, submittedAt: 1, scores: 1 } },
      )
      .toArray()
  ).filter((reply) => reply.scores && (!inScope || inScope.has(reply.customerId)));
  const names = await customerNames(
    db,
    replies.filter((r) => r.scores!.npsCategory === 'detractor').map((r) => r.customerId),
  );
  const asReply = (reply: (typeof replies)[number]): DigestReply => ({
    customer: names.get(reply.customerId) ?? reply.customerId,
    at: reply.submittedAt,
    verbatim: reply.scores!.verbatim,
    themes: reply.scores!.themes,
    ...(reply.scores!.nps !== undefined ? { nps: reply.scores!.nps } : {}),
    ...(reply.scores!.npsCategory ? { npsCategory: reply.scores!.npsCategory } : {}),
    ...(reply.scores!.csat !== undefined ? { csat: reply.scores!.csat } : {}),
    ...(reply.scores!.csatSatisfied !== undefined ? { csatSatisfied: reply.scores!.csatSatisfied } : {}),
  });
  const current = replies.filter((r) => r.submittedAt.getTime() >= range.start);
  const input: DigestInput = {
    period: range.period,
    scope: access.scope.all
      ? []
      : access.scope.top.map((id) => access.units.find((unit) => unit.id === id)?.name ?? id),
    replies: current.filter((r) => !followUpIds.includes(r.programId)).map(asReply),
    previousReplies: replies
      .filter((r) => r.submittedAt.getTime() < range.start && !followUpIds.includes(r.programId))
      .map(asReply),
    followUps: current.filter((r) => followUpIds.includes(r.programId)).map(asReply),
    ...(await caseRows(db, caseAccess.scope, range, now)),
    goals: await goalRows(db, access, range.to),
    fixes: await fixRows(db, access, range.end),
  };
  return buildDigest(input);
}

async function customerNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const docs = await c
    .customers(db)
    .find({ _id: { $in: [...new Set(ids)] } }, { projection: { name: 1 } })
    .toArray();
  return new Map(docs.flatMap((doc) => (doc.name ? [[doc._id, doc.name] as const] : [])));
}

/** Open cases with their SLA (the clock nearer to breaking), and how many were resolved in the period. */
async function caseRows(
  db: Db,
  scope: Parameters<typeof caseScopeCondition>[0],
  range: { start: number; end: number },
  now: number,
): Promise<Pick<DigestInput, 'openCases' | 'resolved'>> {
  const condition = caseScopeCondition(scope);
  const scoped = condition ? { $and: [condition] } : {};
  const [open, resolved] = await Promise.all([
    c
      .cases(db)
      .find({ status: { $nin: ['resolved', 'closed'] }, ...scoped })
      .toArray(),
    c.cases(db).countDocuments({ resolvedAt: { $gte: new Date(range.start), $lt: new Date(range.end) }, ...scoped }),
  ]);
  const rank = { overdue: 0, 'due-soon': 1, ok: 2, paused: 3, met: 4 } as const;
  const openCases: DigestCase[] = open.map((doc) => {
    const sla = slaOf(doc, now);
    const worse = rank[sla.firstResponse.state] <= rank[sla.resolution.state] ? sla.firstResponse : sla.resolution;
    return { id: doc._id, priority: doc.priority, sla: worse };
  });
  return { openCases, resolved };
}

/** The goals of the person's units (and the units right below) for the quarter the period ends in. */
async function goalRows(db: Db, access: UnitAccess, lastDay: string): Promise<DigestInput['goals']> {
  const tops = access.scope.all
    ? access.units.filter((unit) => unit.parentId === null).map((u) => u.id)
    : access.scope.top;
  const rows: DigestInput['goals'][number][] = [];
  for (const unit of tops) {
    const report = await compareUnits(db, access, { unit, period: quarterOf(lastDay) }, lastDay);
    for (const row of report.rows)
      for (const { goal, progress } of row.goals)
        rows.push({
          unit: row.unit.name,
          goal: describeGoal(goal),
          status: progress.status,
          value: progress.value === null ? null : Math.round(progress.value * 10) / 10,
          replies: progress.replies,
        });
  }
  return rows;
}

/** Fixes of the last 90 days with their effect on the person's customers so far. */
async function fixRows(db: Db, access: UnitAccess, end: number): Promise<DigestInput['fixes']> {
  const recent = await c
    .rootCauseFixes(db)
    .find({ at: { $gte: new Date(end - FIX_WINDOW_MS), $lt: new Date(end) } }, { projection: { _id: 1, rootCause: 1 } })
    .toArray();
  const rows: DigestInput['fixes'][number][] = [];
  for (const rootCause of [...new Set(recent.map((fix) => fix.rootCause))]) {
    // A root cause since removed from the routing has no page: its fixes are left out.
    const report = await loadRootCause(db, rootCause, access).catch(() => null);
    for (const fix of report?.fixes ?? [])
      if (recent.some((r) => r._id === fix._id)) rows.push({ rootCause, at: fix.at, effect: fix.effect });
  }
  return rows;
}
