import type { Db } from 'mongodb';
import * as c from './collections';
import { type LookupIndex, readLookupIndex, rebuildLookupIndex } from './lookup-index';
import { rebuildCaseProgramIndex } from './open-case-claims';
import { cachedProgram } from './programs';

/** The active transactional programs with the event types that trigger them. */
type Triggers = { id: string; triggers: string[] }[];

const PROGRAM_TRIGGER_INDEX: LookupIndex<Triggers> = {
  id: 'program-triggers',
  build: async (db) =>
    (
      await c
        .programs(db)
        .find({ kind: 'transactional', active: true }, { projection: { triggers: 1 } })
        // As they were created: the order events' candidates had before.
        .sort({ createdAt: 1, _id: 1 })
        .toArray()
    ).map((program) => ({ id: program._id, triggers: program.triggers ?? [] })),
};

/** The programs that follow a journey: what the scores' owner counts journey replies of. */
const JOURNEY_PROGRAM_INDEX: LookupIndex<string[]> = {
  id: 'journey-programs',
  build: async (db) =>
    (
      await c
        .programs(db)
        .find({ journey: { $exists: true } }, { projection: { _id: 1 } })
        .sort({ _id: 1 })
        .toArray()
    ).map((program) => program._id),
};

/** After any program is stored or deleted (src/app/programs.ts) and at migration. */
export async function rebuildProgramIndexes(db: Db): Promise<void> {
  await rebuildLookupIndex(db, PROGRAM_TRIGGER_INDEX);
  await rebuildLookupIndex(db, JOURNEY_PROGRAM_INDEX);
  await rebuildCaseProgramIndex(db);
}

/** The IDs of the programs that follow a journey: one read by `_id`. */
export const journeyProgramIds = (db: Db): Promise<string[]> => readLookupIndex(db, JOURNEY_PROGRAM_INDEX);

const triggeredBy = (program: c.ProgramDoc, eventType: string) =>
  program.kind === 'transactional' && program.active && (program.triggers ?? []).includes(eventType);

/**
 * The active transactional programs an event type triggers: the index names them, each is read by
 * `_id` and checked again (a program paused or changed meanwhile is left out). An event type no
 * program seems to want is checked against the index as stored: a program just saved in another
 * process then surveys the events that follow at once, not only after SETTINGS_CACHE_TTL.
 */
export async function programsTriggeredBy(db: Db, eventType: string): Promise<c.ProgramDoc[]> {
  const triggering = async (fresh: boolean) =>
    (await readLookupIndex(db, PROGRAM_TRIGGER_INDEX, { fresh }))
      .filter((program) => program.triggers.includes(eventType))
      .map((program) => program.id);
  const kept = await triggering(false);
  const ids = kept.length > 0 ? kept : await triggering(true);
  const found = await Promise.all(ids.map((id) => cachedProgram(db, id)));
  return found.filter((program): program is c.ProgramDoc => !!program && triggeredBy(program, eventType));
}
