import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { businessMsBetween } from '../src/domain/business-hours';
import { type CaseChange, type CaseFacts, caseContribution } from '../src/domain/case-metrics';
import type { CaseState } from '../src/domain/cases';
import type { SubmitScores } from './replies';
import { loadUnits } from '../src/db/units';
import { unitPath } from '../src/domain/units';

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
    loadUnits(db),
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
  args: { seq: number; kind: string; before: CaseState; after: CaseState },
  at: Date,
): Promise<CaseChange> {
  const change: CaseChange = { kind: args.kind, before: factsOf(args.before), after: factsOf(args.after) };
  if (args.after.status === 'resolved' && args.before.status !== 'resolved')
    change.businessMsToResolve = businessMsBetween(theCase.calendar, theCase.openedAt.getTime(), at.getTime());
  if (args.after.status === 'closed' && args.before.status !== 'closed') {
    const entries = await Promise.all(
      Array.from({ length: args.seq }, (_, seq) =>
        c.caseTimeline(db).findOne({ _id: `${theCase._id}:${seq}` }, { projection: { kind: 1 } }),
      ),
    );
    const kinds = entries.map((entry) => entry?.kind);
    change.firstContact =
      kinds.filter((kind) => kind === 'contact').length <= 1 && !kinds.some((k) => k === 'reopen' || k === 'reopened');
  }
  return change;
}
