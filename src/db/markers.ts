/**
 * One-off work marked done in `settings`: the demo's seeding runs once per database, and the
 * migrations skip the upgrades that web and worker ran at start before there were migrations.
 */
import type { Db } from 'mongodb';
import * as c from './collections';

/**
 * Runs a one-off piece of work (the demo's seeding) unless its marker in `settings` says it ran,
 * then sets the marker. Processes starting together may each run it, so the work must be
 * idempotent. Upgrades of the schema are migrations instead (`src/db/migrations.ts`).
 */
export async function oncePerDatabase<T>(db: Db, marker: string, upgrade: () => Promise<T>): Promise<T | undefined> {
  if (await c.settings(db).findOne({ _id: marker })) return undefined;
  const result = await upgrade();
  await c.settings(db).updateOne({ _id: marker }, { $set: { value: new Date().toISOString() } }, { upsert: true });
  return result;
}

/**
 * Before migrations, web and worker ran these upgrades at start and left a marker in `settings`:
 * a database with the marker has had the step (rerunning it would be harmless, but is a full scan).
 */
export async function unlessDoneAtStart(db: Db, marker: string, step: () => Promise<unknown>): Promise<unknown> {
  if (await c.settings(db).findOne({ _id: marker })) return undefined;
  return step();
}
