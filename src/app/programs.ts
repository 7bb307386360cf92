import type { Db } from 'mongodb';
import { audit } from '../db/audit';
import { customers, invitations, programs } from '../db/collections';
import { isDuplicateKeyError } from '../db/insert-once';
import { rebuildProgramIndexes } from '../db/program-index';
import { recordProgramVersion } from '../db/programs';
import { readRollups } from '../db/rollup-totals';
import { ALL_SEGMENT, rollupDay, summarizeRollups } from '../domain/rollup';
import { inAudience } from '../domain/audience';
import type { TProgram } from '../domain/program';
import type { Templates } from '../mail/templates';
import { type WaveScheduleState, syncWaveSchedule } from '../temporal/wave-schedules';
import { AppError } from './errors';
import type { LoopSettings } from '../temporal/loop-client';

/** `pending`: Temporal was unreachable; the sweep brings the schedule in line with the program. */
export type ScheduleOutcome = WaveScheduleState | 'pending';

/**
 * Creates or replaces a program (`createdAt` survives replacements), records the change with
 * before and after in the audit log, then makes its wave schedule match.
 */
export async function saveProgram(
  db: Db,
  loop: LoopSettings,
  program: TProgram,
  actor: string,
): Promise<{ outcome: 'created' | 'updated'; schedule: ScheduleOutcome }> {
  const before = await programs(db).findOne({ _id: program.id });
  const outcome = await storeProgram(db, program);
  await audit(db, {
    actor,
    action: `program.${outcome === 'created' ? 'create' : 'update'}`,
    subject: `program ${program.id}`,
    ...(before ? { before: withoutTimestamps(before) } : {}),
    after: { ...program },
  });
  return { outcome, schedule: await updateSchedule(loop, program.id, program) };
}

/**
 * Deletes a program nobody was invited to yet (a draft, a mistake) with its schedule. A program
 * with invitations keeps its replies, cases and rollups meaningful: pause it instead.
 */
export async function deleteProgram(
  db: Db,
  loop: LoopSettings,
  programId: string,
  actor: string,
): Promise<ScheduleOutcome> {
  const before = await programs(db).findOne({ _id: programId });
  if (!before) throw new AppError('not-found', `no program ${programId}`);
  if (await invitations(db).findOne({ programId }, { projection: { _id: 1 } }))
    throw new AppError(
      'conflict',
      `program ${programId} has invitations; pause it ("active": false) instead of deleting it`,
    );
  await programs(db).deleteOne({ _id: programId });
  await rebuildProgramIndexes(db);
  await audit(db, {
    actor,
    action: 'program.delete',
    subject: `program ${programId}`,
    before: withoutTimestamps(before),
  });
  return updateSchedule(loop, programId, null);
}

async function updateSchedule(
  loop: LoopSettings,
  programId: string,
  program: TProgram | null,
): Promise<ScheduleOutcome> {
  try {
    return await syncWaveSchedule(loop.temporal, loop.taskQueue, programId, program);
  } catch (err) {
    loop.log(`program ${programId} saved; its wave schedule is left to the sweep: ${(err as Error).message}`);
    return 'pending';
  }
}

/**
 * Stores a program as it is (demo data and test fixtures); the sweep then brings its schedule in
 * line. The programs events trigger are looked up by `_id` in an index rebuilt here.
 */
export async function storeProgram(db: Db, program: TProgram): Promise<'created' | 'updated'> {
  const outcome = await writeProgram(db, program);
  await rebuildProgramIndexes(db);
  return outcome;
}

async function writeProgram(db: Db, program: TProgram): Promise<'created' | 'updated'> {
  const now = new Date();
  const versionId = await recordProgramVersion(db, program);
  const update = { $set: { ...program, versionId, updatedAt: now }, $setOnInsert: { createdAt: now } };
  try {
    const result = await programs(db).updateOne({ _id: program.id }, update, { upsert: true });
    return result.upsertedCount ? 'created' : 'updated';
  } catch (err) {
    // Two concurrent first saves of one program (found by the fuzz test): the loser updates.
    if (!isDuplicateKeyError(err)) throw err;
    await programs(db).updateOne({ _id: program.id }, update);
    return 'updated';
  }
}

function withoutTimestamps({ _id, createdAt, updatedAt, versionId, ...program }: Record<string, unknown>) {
  void _id;
  void createdAt;
  void updatedAt;
  void versionId;
  return program;
}

/** A program may only name an email template and a default locale that ship with the app. */
export function checkShippedTemplates(templates: Templates, program: TProgram): void {
  const locales = [...templates.pageLocales].sort().join(', ');
  if (!templates.pageLocales.has(program.defaultLocale))
    throw new AppError('invalid', `invalid program: defaultLocale: page wording ships for ${locales} only`);
  if (!templates.hasEmail(program.email.template, program.defaultLocale))
    throw new AppError(
      'invalid',
      `invalid program: email.template: no template "${program.email.template}" ships for ${program.defaultLocale} (templates/emails/${program.email.template}.${program.defaultLocale}.html.hbs and .text.hbs)`,
    );
}

/**
 * A program with its replies over the last `days` days (today included): overall and per segment,
 * from the daily rollups; null when there is no such program.
 */
export async function programReport(db: Db, programId: string, days: number) {
  const program = await programs(db).findOne({ _id: programId });
  if (!program) return null;
  const since = rollupDay(Date.now() - (days - 1) * 86_400_000);
  const period = { from: since, to: rollupDay(Date.now()) };
  const docs = await readRollups(db, {
    programIds: [program._id],
    periods: [period],
    segment: ALL_SEGMENT,
    split: period,
  });
  const bySegment = new Map<string, typeof docs>();
  for (const doc of docs) bySegment.set(doc.segment, [...(bySegment.get(doc.segment) ?? []), doc]);
  const segments = [...bySegment.entries()]
    .filter(([segment]) => segment !== ALL_SEGMENT)
    .map(([segment, list]) => ({ segment, ...summarizeRollups(list) }))
    .sort((a, b) => a.segment.localeCompare(b.segment));
  return { program, overall: summarizeRollups(bySegment.get(ALL_SEGMENT) ?? []), segments };
}

/** Programs in ID order (all of them without a page). */
export function listPrograms(db: Db, page?: { limit: number; skip: number }) {
  const sorted = programs(db).find().sort({ _id: 1 });
  return (page ? sorted.skip(page.skip).limit(page.limit) : sorted).toArray();
}

export function findProgram(db: Db, programId: string) {
  return programs(db).findOne({ _id: programId });
}

/** Pauses or resumes a program (its wave schedule follows); false when there is no such program. */
export async function setProgramActive(
  db: Db,
  loop: LoopSettings,
  programId: string,
  active: boolean,
  actor: string,
): Promise<boolean> {
  const stored = await findProgram(db, programId);
  if (!stored) return false;
  const { _id, createdAt, updatedAt, versionId, ...program } = stored;
  void [_id, createdAt, updatedAt, versionId];
  await saveProgram(db, loop, { ...program, active }, actor);
  return true;
}

/** A customer of the audience to address a preview to (of the first 200 not erased), if any. */
export async function sampleCustomer(db: Db, audience: TProgram['audience']) {
  const candidates = await customers(db)
    .find({ erasedAt: { $exists: false } }, { projection: { name: 1, attributes: 1 } })
    .limit(200)
    .toArray();
  return candidates.find((customer) => inAudience(audience, customer.attributes ?? {}));
}
