import { createHash } from 'node:crypto';
import type { Db } from 'mongodb';
import * as c from './collections';
import { insertOnce } from './insert-once';
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

/**
 * The program an invitation was sent with: a program edited meanwhile (questions added, renamed
 * or removed, wording changed) does not change the survey a customer already received. Invitations
 * from before versions existed get the current program.
 */
export async function programOfInvitation(
  db: Db,
  invitation: Pick<c.InvitationDoc, 'programId' | 'programVersion'>,
): Promise<c.ProgramDoc | null> {
  const [current, version] = await Promise.all([
    c.programs(db).findOne({ _id: invitation.programId }),
    invitation.programVersion ? c.programVersions(db).findOne({ _id: invitation.programVersion }) : null,
  ]);
  if (!current || !version) return current;
  return { ...current, ...version.program, versionId: version._id };
}
