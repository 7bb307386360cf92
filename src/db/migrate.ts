/**
 * Runs the migration steps a database has not had, once each however many processes run this at
 * the same time, with no lock: a process claims a step by inserting its claim (`_id`
 * `<version>.<generation>`, unique), runs it, and marks that claim done; the others wait for it.
 * Only the claimer writes its claim (heartbeat, progress, outcome), as DESIGN.md §3 asks. When the
 * claimer stops heart-beating (killed), another inserts the next generation's claim, which only one
 * insert can win, and runs the step again: steps are idempotent, so that resumes the upgrade.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Db } from 'mongodb';
import * as c from './collections';
import { isDuplicateKeyError } from './insert-once';
import { LATEST_VERSION, MIGRATIONS, type Migration } from './migrations';

export interface MigrateOptions {
  /** One line per step started, waited for and done, progress lines, the final version. */
  log?: (line: string) => void;
  /** The steps (default: this release's). */
  migrations?: readonly Migration[];
  /** Stop after this version. */
  upTo?: number;
  /** How often a claimer writes its heartbeat. */
  heartbeatMs?: number;
  /**
   * A claim whose heartbeat is older is taken over. Compared with this machine's clock: keep the
   * machines' clocks in step (NTP) and this well above `heartbeatMs`.
   */
  staleAfterMs?: number;
  /** How often a process waiting for another's step looks again. */
  pollMs?: number;
  /** The name of this process in claims (default host:pid:random). */
  runner?: string;
}

export interface MigrateResult {
  /** The schema version before and after. */
  from: number;
  to: number;
  /** The versions whose step this process ran. */
  ran: number[];
}

/** The versions whose step is done. */
async function doneVersions(db: Db): Promise<Set<number>> {
  const done = await c
    .migrations(db)
    .find({ doneAt: { $exists: true } }, { projection: { version: 1 } })
    .toArray();
  return new Set(done.map((claim) => claim.version));
}

/** The highest version whose step is done (0: none, a database from before migrations). */
export async function schemaVersion(db: Db): Promise<number> {
  return Math.max(0, ...(await doneVersions(db)));
}

export async function migrate(db: Db, options: MigrateOptions = {}): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const steps = [...(options.migrations ?? MIGRATIONS)]
    .filter((step) => options.upTo === undefined || step.version <= options.upTo)
    .sort((a, b) => a.version - b.version);
  const done = await doneVersions(db);
  const from = Math.max(0, ...done);
  const pending = steps.filter((step) => !done.has(step.version));
  const target = steps.at(-1)?.version ?? 0;
  if (!pending.length) {
    log(`schema at version ${from}: nothing to migrate (this release needs ${target})`);
    return { from, to: from, ran: [] };
  }
  log(`schema at version ${from}, migrating to ${target}: ${pending.map(label).join(', ')}`);
  const settings = {
    runner: options.runner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    heartbeatMs: options.heartbeatMs ?? 5_000,
    staleAfterMs: options.staleAfterMs ?? 60_000,
    pollMs: options.pollMs ?? 500,
    log,
  };
  const ran: number[] = [];
  for (const step of pending) if (await completeStep(db, step, settings)) ran.push(step.version);
  const to = await schemaVersion(db);
  log(`schema at version ${to}`);
  return { from, to, ran };
}

interface RunnerSettings {
  runner: string;
  heartbeatMs: number;
  staleAfterMs: number;
  pollMs: number;
  log: (line: string) => void;
}

const label = (step: Migration) => `${step.version} "${step.name}"`;

/** Runs the step, or waits for the process that claimed it; whether this process ran it. */
async function completeStep(db: Db, step: Migration, settings: RunnerSettings): Promise<boolean> {
  let waitingFor: string | undefined;
  for (;;) {
    const claims = await c.migrations(db).find({ version: step.version }).toArray();
    if (claims.some((claim) => claim.doneAt)) {
      if (waitingFor) settings.log(`${label(step)}: done by ${waitingFor}`);
      return false;
    }
    const latest = claims.reduce<c.MigrationClaimDoc | undefined>(
      (a, b) => (a && a.generation > b.generation ? a : b),
      undefined,
    );
    const stale =
      latest !== undefined && (latest.failedAt || Date.now() - latest.heartbeatAt.getTime() > settings.staleAfterMs);
    if (!latest || stale) {
      const claim = await insertClaim(db, step, settings.runner, latest);
      if (claim) {
        if (latest)
          settings.log(
            `${label(step)}: taking over from ${latest.claimedBy} (${latest.failedAt ? 'it failed' : 'no heartbeat'})`,
          );
        await runClaimed(db, step, claim, settings);
        return true;
      }
      continue;
    }
    const progress = latest.progress ? ` (${latest.progress.done} of ${latest.progress.total})` : '';
    if (waitingFor !== latest.claimedBy || progress)
      settings.log(`${label(step)}: waiting for ${latest.claimedBy}${progress}`);
    waitingFor = latest.claimedBy;
    await new Promise((resolve) => setTimeout(resolve, settings.pollMs));
  }
}

/** The claim this process inserted, or undefined when another process's insert came first. */
async function insertClaim(
  db: Db,
  step: Migration,
  runner: string,
  previous: c.MigrationClaimDoc | undefined,
): Promise<c.MigrationClaimDoc | undefined> {
  const now = new Date();
  const generation = previous ? previous.generation + 1 : 0;
  const claim: c.MigrationClaimDoc = {
    _id: `${step.version}.${generation}`,
    version: step.version,
    generation,
    name: step.name,
    claimedBy: runner,
    claimedAt: now,
    heartbeatAt: now,
    ...(previous ? { takesOverFrom: previous._id } : {}),
  };
  try {
    await c.migrations(db).insertOne(claim);
    return claim;
  } catch (err) {
    if (isDuplicateKeyError(err)) return undefined;
    throw err;
  }
}

/** Progress lines at most this often (and always the last). */
const PROGRESS_LINE_MS = 2_000;

async function runClaimed(db: Db, step: Migration, claim: c.MigrationClaimDoc, settings: RunnerSettings) {
  const started = Date.now();
  await c.migrationRuns(db).insertOne({
    _id: randomUUID(),
    version: step.version,
    name: step.name,
    claimId: claim._id,
    runner: settings.runner,
    startedAt: new Date(started),
  });
  settings.log(`${label(step)}: started`);
  let progress: { done: number; total: number } | undefined;
  let lastLine = 0;
  const report = (done: number, total: number) => {
    progress = { done, total };
    if (Date.now() - lastLine < PROGRESS_LINE_MS && done < total) return;
    lastLine = Date.now();
    settings.log(`${label(step)}: ${done} of ${total}`);
  };
  // The claim's writes go one after the other: this process is its only writer.
  let writes: Promise<unknown> = Promise.resolve();
  const write = (fields: Partial<c.MigrationClaimDoc>) =>
    (writes = writes.catch(() => {}).then(() => c.migrations(db).updateOne({ _id: claim._id }, { $set: fields })));
  const heartbeat = setInterval(() => {
    write({ heartbeatAt: new Date(), ...(progress ? { progress } : {}) }).catch(() => {
      // A missed heartbeat is retried at the next one; only a long silence hands the step over.
    });
  }, settings.heartbeatMs);
  try {
    await step.run(db, report);
  } catch (err) {
    clearInterval(heartbeat);
    await write({ failedAt: new Date(), error: (err as Error).message }).catch(() => {});
    settings.log(`${label(step)}: failed after ${seconds(started)} s: ${(err as Error).message}`);
    throw err;
  }
  clearInterval(heartbeat);
  await write({ doneAt: new Date(), durationMs: Date.now() - started, ...(progress ? { progress } : {}) });
  settings.log(`${label(step)}: done in ${seconds(started)} s`);
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

export class SchemaBehindError extends Error {}

/**
 * What web and worker do at start: with `migrateOnStart`, run the pending steps; otherwise refuse
 * when the database is behind this release. A database ahead of it (a newer release has migrated,
 * a rolling update is under way) is fine: steps are backward compatible.
 */
export async function prepareSchema(
  db: Db,
  options: { migrateOnStart: boolean; log?: (line: string) => void },
): Promise<number> {
  if (options.migrateOnStart) return (await migrate(db, { log: options.log })).to;
  const version = await schemaVersion(db);
  if (version < LATEST_VERSION)
    throw new SchemaBehindError(
      `the database "${db.databaseName}" is at schema version ${version}, this release needs version ${LATEST_VERSION}: ` +
        'run `npm run migrate` once for this deployment, or start with MIGRATE_ON_START=true',
    );
  return version;
}
