import type { Db } from 'mongodb';
import { programs } from '../db/collections';
import type { TProgram } from '../domain/program';

/** Creates or replaces a program; `createdAt` survives replacements. */
export async function saveProgram(db: Db, program: TProgram): Promise<'created' | 'updated'> {
  const now = new Date();
  const result = await programs(db).updateOne(
    { _id: program.id },
    { $set: { ...program, updatedAt: now }, $setOnInsert: { createdAt: now } },
    { upsert: true },
  );
  return result.upsertedCount ? 'created' : 'updated';
}
