import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { businessMsBetween } from '../src/domain/business-hours';
import { type CaseChange, type CaseFacts, caseContribution } from '../src/domain/case-metrics';
import type { CaseState } from '../src/domain/cases';
import type { SubmitScores } from './replies';
import { cachedUnits } from '../src/db/units';
import { cachedProgram } from '../src/db/programs';
import { unitPath } from '../src/domain/units';
import { FOLLOW_UP_PROGRAM_ID } from '../src/domain/case-schemas';
import { followUpEventId } from '../src/domain/follow-up-program';
import { invitationIdFor } from '../workflows/definitions';

/**
 * The units a case's changes count in: those of the reply that opened it, computed at open from its
 * invitation (the case's ID), which keeps the attributes the reply was counted by (openingUnitPath),
 * and kept on the case. A case opened before it was kept there reads them again: two reads by `_id`.
 */
export async function caseUnitPath(db: Db, theCase: Pick<c.CaseDoc, '_id' | 'unitPath'>): Promise<string[]> {
  return theCase.unitPath ?? (await openingUnitPath(db, theCase._id));
}

/** The units of the reply a case opens on, from its invitation's attributes: two reads by `_id`. */
export async function openingUnitPath(db: Db, caseId: string): Promise<string[]> {
  const [invitation, units] = await Promise.all([
    c.invitations(db).findOne({ _id: caseId }, { projection: { known: 1 } }),
    cachedUnits(db),
  ]);
  return invitation ? unitPath(units, invitation.known) : [];
}

/**
 * Hands a change of the case to the case metrics (kept by the scores' owner, which counts each
 * change once), in the case's units (caseUnitPath).
 */
export async function countChange(
  db: Db,
  submitScores: SubmitScores,
  theCase: c.CaseDoc,
  seq: number,
  at: Date,
  change: CaseChange,
): Promise<void> {
  const id = { id: theCase._id, programId: theCase.programId, customerId: theCase.customerId };
  if (!caseContribution(id, seq, at.getTime(), change)) return;
  await submitScores(caseContribution(id, seq, at.getTime(), change, await caseUnitPath(db, theCase))!);
}

/** What the case metrics count a case by, before and after a change. */
export function factsOf(
  state: Pick<CaseState, 'status' | 'ownerId' | 'teamId' | 'rootCause' | 'firstResponse' | 'resolution'>,
): CaseFacts {
  return {
    status: state.status,
    ownerId: state.ownerId,
    teamId: state.teamId,
    ...(state.rootCause ? { rootCause: state.rootCause } : {}),
    breached: state.firstResponse.breaches + state.resolution.breaches > 0,
  };
}

/**
 * What a recorded change counts for: on a resolution the business time since opening (in the
 * team's calendar), on the close whether it was resolved at the first contact (at most one email
 * to the customer, never reopened), read from the case's earlier timeline entries by `_id`.
 */
export async function changeOf(
  db: Db,
  theCase: c.CaseDoc,
  args: {
    seq: number;
    kind: string;
    before: CaseState;
    after: CaseState;
    /** What the case workflow knows (else read): the kinds of the entries before this one, the follow-up program. */
    earlierKinds?: string[];
    followUpProgram?: string;
  },
  at: Date,
): Promise<CaseChange> {
  const change: CaseChange = { kind: args.kind, before: factsOf(args.before), after: factsOf(args.after) };
  if (args.after.status === 'resolved' && args.before.status !== 'resolved')
    change.businessMsToResolve = businessMsBetween(theCase.calendar, theCase.openedAt.getTime(), at.getTime());
  const closing = args.after.status === 'closed' && args.before.status !== 'closed';
  const leavingResolved = args.before.status === 'resolved' && args.after.status !== 'resolved';
  if (!closing && !leavingResolved) return change;
  const kinds = args.earlierKinds ?? (await earlierKinds(db, theCase._id, args.seq));
  if (closing)
    change.firstContact =
      kinds.filter((kind) => kind === 'contact').length <= 1 && !kinds.some((k) => k === 'reopen' || k === 'reopened');
  if (leavingResolved) {
    const round = kinds.filter((kind) => kind === 'resolve').length;
    const csat = await followUpCsat(db, theCase, round, args.followUpProgram);
    if (csat !== null) change.followUpCsat = csat;
  }
  return change;
}

/** The kinds of a case's timeline entries before `seq`, read by `_id`. */
async function earlierKinds(db: Db, caseId: string, seq: number): Promise<(string | undefined)[]> {
  // From 1: entry 0 is always the opening (openCase), none of the kinds looked at by changeOf.
  const entries = await Promise.all(
    Array.from({ length: Math.max(seq - 1, 0) }, (_, i) =>
      c.caseTimeline(db).findOne({ _id: `${caseId}:${i + 1}` }, { projection: { kind: 1 } }),
    ),
  );
  return entries.map((entry) => entry?.kind);
}

/**
 * The CSAT of the customer's answer to the follow-up survey of a resolution round (the case
 * workflow's `n`: one per resolution), or null without one: the program's follow-up program and
 * the round name the invitation, whose `_id` is the reply's. Two reads by `_id`.
 */
export async function followUpCsat(
  db: Db,
  theCase: Pick<c.CaseDoc, '_id' | 'programId'>,
  round: number,
  known?: string,
): Promise<number | null> {
  if (round < 1) return null;
  const followUpProgram = known ?? (await followUpProgramOf(db, theCase.programId));
  const eventId = followUpEventId(round, theCase._id);
  const reply = await c
    .responses(db)
    .findOne({ _id: invitationIdFor(followUpProgram, eventId) }, { projection: { scores: 1 } });
  const csat = reply?.scores?.csat;
  return typeof csat === 'number' && Number.isInteger(csat) && csat >= 1 && csat <= 5 ? csat : null;
}

/** The program's follow-up program, as configured now. */
async function followUpProgramOf(db: Db, programId: string): Promise<string> {
  const program = await cachedProgram(db, programId);
  return program?.caseHandling?.followUpProgram ?? FOLLOW_UP_PROGRAM_ID;
}
