import type { Db } from 'mongodb';
import { UNCLOSED_STATUSES } from '../domain/cases';
import * as c from './collections';
import { insertOnce } from './insert-once';
import { type LookupIndex, readLookupIndex, rebuildLookupIndex } from './lookup-index';
import type { MigrationProgress } from './migrations';

/**
 * The programs a customer may hold an open-case claim of (`open_cases`, `_id` = program and
 * customer): those with case rules, and those whose rules were removed while a case of theirs is
 * still open (read from `cases` here, at a program change or migration, never on the hot path).
 */
const CASE_PROGRAM_INDEX: LookupIndex<string[]> = {
  id: 'case-programs',
  build: async (db) => {
    const programs = await c
      .programs(db)
      .find({}, { projection: { caseRules: 1 } })
      .toArray();
    const withRules = programs.filter((program) => program.caseRules?.length).map((program) => program._id);
    const withOpenCases = await c.cases(db).distinct('programId', { status: { $in: [...UNCLOSED_STATUSES] } });
    return [...new Set([...withRules, ...withOpenCases.map(String)])].sort();
  },
};

/** After any program is stored or deleted (with the other program indexes) and at migration. */
export const rebuildCaseProgramIndex = (db: Db): Promise<string[]> => rebuildLookupIndex(db, CASE_PROGRAM_INDEX);

/**
 * How many open cases the customer has: their claims for the case programs, each read by `_id`
 * (the one filter FerretDB v1 answers from an index). A claim is inserted when a reply opens a case
 * (activities/cases.ts) and released once its workflow has closed it, so a survey is held from the
 * reply that opens a case until just after the case closes.
 */
export async function openCasesOf(db: Db, customerId: string): Promise<number> {
  const programIds = await readLookupIndex(db, CASE_PROGRAM_INDEX);
  const claims = await Promise.all(
    programIds.map((programId) =>
      c.openCases(db).findOne({ _id: c.openCaseKey(programId, customerId) }, { projection: { _id: 1 } }),
    ),
  );
  return claims.filter((claim) => claim !== null).length;
}

/**
 * Migration: a claim for every unclosed case that has none (cases recorded before claims were the
 * open-case check), so those still hold their customer's surveys. A claim another case holds
 * already is left: the customer counts as having an open case either way. Idempotent.
 */
export async function claimUnclosedCases(db: Db, progress: MigrationProgress): Promise<void> {
  const filter = { status: { $in: [...UNCLOSED_STATUSES] } };
  const total = await c.cases(db).countDocuments(filter);
  let done = 0;
  const unclosed = c.cases(db).find(filter, { projection: { programId: 1, customerId: 1, openedAt: 1 } });
  for await (const doc of unclosed) {
    const _id = c.openCaseKey(doc.programId, doc.customerId);
    await insertOnce(c.openCases(db), { _id, caseId: doc._id, at: doc.openedAt ?? new Date() });
    if (++done % 500 === 0) progress(done, total);
  }
  progress(done, total);
  await rebuildCaseProgramIndex(db);
}
