import { ApplicationFailure } from '@temporalio/activity';
import type { Db } from 'mongodb';
import * as c from '../src/db/collections';
import { cachedProgram } from '../src/db/programs';
import { isDuplicateKeyError } from '../src/db/insert-once';
import { type Priority, decideCase, evaluateCaseRules, factsNeeded } from '../src/domain/case-rules';
import { isCounted } from '../src/db/counted-keys';
import { customerKey } from '../src/temporal/customer-key';

export interface CaseDecisionDeps {
  db: Db;
  /** Keys the `CustomerId` search attribute of cases (CUSTOMER_KEY_SECRET). */
  customerKeySecret: string;
}

export type CaseDecision =
  | { action: 'none' }
  | {
      action: 'open';
      caseId: string;
      programId: string;
      customerId: string;
      /** For the `CustomerId` search attribute: the customer's key, not their ID. */
      customerKey: string;
      priority: Priority;
      reasons: string[];
    }
  | { action: 'attach'; caseId: string; priority: Priority; reasons: string[] };

/**
 * Whether a finalized reply opens a case, is attached to the customer's open case for the
 * program, or neither. The open case is claimed by inserting its key, so two replies at once
 * still open one case; a retry (or a re-run of a local activity) finds its own claim and decides
 * the same. `reply`: the finalized reply when the caller has it (finalizeReply), else it is read.
 */
export type DecideCase = (args: { invitationId: string; reply?: c.ResponseDoc }) => Promise<CaseDecision>;

/** Whether a finalized reply calls for a case: opens one, joins the open one, or neither. */
export function caseDecider({ db, customerKeySecret }: CaseDecisionDeps): DecideCase {
  return async ({ invitationId, reply: given }) => {
    const reply = given ?? (await c.responses(db).findOne({ _id: invitationId }));
    if (!reply?.scores) return { action: 'none' };
    const program = await cachedProgram(db, reply.programId);
    if (!program?.caseRules?.length) return { action: 'none' };
    // Only what the rules look at is read: most look at the scores alone.
    const needed = factsNeeded(program.caseRules.map((rule) => rule.when));
    const [invitation, customer, score] = await Promise.all([
      needed.attributes ? c.invitations(db).findOne({ _id: invitationId }, { projection: { known: 1 } }) : null,
      needed.attributes ? c.customers(db).findOne({ _id: reply.customerId }, { projection: { attributes: 1 } }) : null,
      needed.previousSummary ? c.customerScores(db).findOne({ _id: reply.customerId }) : null,
    ]);
    const call = evaluateCaseRules(program.caseRules, {
      scores: reply.scores,
      previousSummary: previousSummary(
        score,
        await isCounted(db, 'customer_scores', score, reply._id),
        reply.scores.summary,
      ),
      attributes: { ...customer?.attributes, ...invitation?.known },
    });
    if (!call) return { action: 'none' };
    const key = c.openCaseKey(reply.programId, reply.customerId);
    const opened = {
      action: 'open',
      caseId: reply._id,
      programId: reply.programId,
      customerId: reply.customerId,
      customerKey: customerKey(customerKeySecret, reply.customerId),
      ...call,
    } as const;
    try {
      await c.openCases(db).insertOne({ _id: key, caseId: reply._id, at: new Date() });
      return opened;
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
    }
    const held = await c.openCases(db).findOne({ _id: key });
    if (!held) throw ApplicationFailure.retryable(`the open case ${key} just closed; deciding again`);
    if (held.caseId === reply._id) return opened;
    const open = await c.cases(db).findOne({ _id: held.caseId }, { projection: { priority: 1 } });
    const decision = decideCase(call, { id: held.caseId, priority: open?.priority ?? 'low' });
    return decision.action === 'attach'
      ? { action: 'attach', caseId: decision.caseId, priority: decision.priority, reasons: decision.reasons }
      : { action: 'none' };
  };
}

export function createCaseDecisionActivities(decide: DecideCase) {
  return {
    /** See DecideCase. */
    async decideCaseForReply({ invitationId }: { invitationId: string }): Promise<CaseDecision> {
      return decide({ invitationId });
    },
  };
}

/** The customer's summary score before the reply (whether `score` counts it: `replyCounted`). */
function previousSummary(
  score: c.CustomerScoreDoc | null,
  replyCounted: boolean,
  summary: number | null,
): number | undefined {
  if (!score) return undefined;
  const counted = replyCounted && summary !== null;
  const count = counted ? score.count - 1 : score.count;
  const sum = counted ? score.sum - summary : score.sum;
  return count > 0 ? sum / count : undefined;
}
