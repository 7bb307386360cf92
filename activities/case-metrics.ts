import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { businessMsBetween } from '../src/domain/business-hours';
import { type CaseChange, type CaseFacts, caseContribution } from '../src/domain/case-metrics';
import type { CaseState } from '../src/domain/cases';
import type { SubmitScores } from './replies';

/** Hands a change of the case to the case metrics (kept by the scores' owner, which counts each change once). */
export async function countChange(
  submitScores: SubmitScores,
  theCase: c.CaseDoc,
  seq: number,
  at: Date,
  change: CaseChange,
): Promise<void> {
  const contribution = caseContribution(
    { id: theCase._id, programId: theCase.programId, customerId: theCase.customerId },
    seq,
    at.getTime(),
    change,
  );
  if (contribution) await submitScores(contribution);
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
