import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import * as c from './collections';
import { insertOnce } from './insert-once';
import { cachedSetting } from './settings-cache';
import type { TProgram } from '../domain/program';

/** The same content gives the same version, so a program saved twice unchanged has one version. */
export function programVersionId(program: TProgram): string {
  return `${program.id}@${createHash('sha256').update(JSON.stringify(program)).digest('hex').slice(0, 16)}`;
}

/** Keeps the program as saved (insert-only) and returns its version ID for the program record. */
export async function recordProgramVersion(db: Db, program: TProgram): Promise<string> {
  const versionId = programVersionId(program);
  await insertOnce(c.programVersions(db), { _id: versionId, programId: program.id, program, savedAt: new Date() });
  return versionId;
}

/** The most program versions kept in memory; a version is a few kilobytes. */
const VERSIONS_KEPT = 500;
const versions = new Map<string, Promise<TProgram | null>>();

/**
 * A saved program version, read once per process: its `_id` is a hash of its content and it is
 * never rewritten, so a copy kept in memory cannot go stale (even across databases). The read
 * itself is kept, so loops asking at once share it; one that finds nothing or fails is not kept.
 */
function programVersion(db: Db, versionId: string): Promise<TProgram | null> {
  const kept = versions.get(versionId);
  if (kept) return kept;
  const reading = c
    .programVersions(db)
    .findOne({ _id: versionId }, { projection: { program: 1 } })
    .then((doc) => doc?.program ?? null);
  const forget = () => {
    if (versions.get(versionId) === reading) versions.delete(versionId);
  };
  reading.then((program) => program ?? forget(), forget);
  // Oldest first out: a Map iterates in insertion order.
  if (versions.size >= VERSIONS_KEPT) versions.delete(versions.keys().next().value!);
  versions.set(versionId, reading);
  return reading;
}

/** The program an invitation was sent with: its saved version, under the program's `_id`. */
export type InvitationProgram = TProgram & { _id: string; versionId?: string };

/**
 * The program an invitation was sent with: a program edited meanwhile (questions added, renamed
 * or removed, wording changed) does not change the survey a customer already received. Read from
 * the version alone (a program with invitations cannot be deleted, src/app/programs.ts), so a
 * version read before costs nothing; invitations from before versions existed get the current program.
 */
export async function programOfInvitation(
  db: Db,
  invitation: Pick<c.InvitationDoc, 'programId' | 'programVersion'>,
): Promise<InvitationProgram | null> {
  const version = invitation.programVersion ? await programVersion(db, invitation.programVersion) : null;
  if (version) return { ...version, _id: invitation.programId, versionId: invitation.programVersion };
  return cachedProgram(db, invitation.programId);
}

/** The program as saved now, for the closed loop's steps: read once per process and SETTINGS_CACHE_TTL. */
export const cachedProgram = (db: Db, programId: string): Promise<c.ProgramDoc | null> =>
  cachedSetting(db, 'programs', programId, () => c.programs(db).findOne({ _id: programId }));
