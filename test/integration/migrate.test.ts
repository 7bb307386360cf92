import { spawn } from 'node:child_process';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as c from '../../src/db/collections';
import { migrate, prepareSchema, schemaVersion } from '../../src/db/migrate';
import { LATEST_VERSION, MIGRATIONS } from '../../src/db/migrations';
import { MIGRATED_BATCH } from '../../src/db/counted-keys';
import { openCasesOf } from '../../src/db/open-case-claims';
import { ROUTING_STATE_ID } from '../../src/domain/rollup';
import { freePort } from '../../src/stack/ports';
import { deleteDeploymentSchedules } from '../support/harness';
import { uid } from '../support/ids';
import { type CxProcess, deploymentEnv, launch, ready } from '../support/launch';
import { waitUntil } from '../support/wait';

const ROOT = path.resolve(__dirname, '..', '..');

/** The production environment of a deployment on a database of its own (named `name`). */
async function environment(name: string) {
  const stack = inject('stack');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...deploymentEnv({
      name,
      temporalAddress: stack.temporalAddress,
      mongoUri: stack.mongoUri,
      smtpUrl: stack.smtpUrl,
      workflowBundle: stack.workflowBundlePath,
      publicBaseUrl: url,
      apiKey: `migrate-test-key-${name}`,
    }),
    PORT: String(port),
  };
  return { env, url };
}

/** `npm run migrate` as its own process: its exit code and what it printed. */
function runMigrate(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/migrate-main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

/** How many times each version's step was run on the database, as the runner records every run. */
async function runsByVersion(db: ReturnType<MongoClient['db']>): Promise<Record<number, number>> {
  const runs: Record<number, number> = {};
  for (const run of await c.migrationRuns(db).find().toArray()) runs[run.version] = (runs[run.version] ?? 0) + 1;
  return runs;
}

const eachOnce = Object.fromEntries(MIGRATIONS.map((m) => [m.version, 1]));

describe('npm run migrate: versioned, once per step, checked at start', () => {
  let client: MongoClient;
  const names: string[] = [];
  const processes: CxProcess[] = [];
  const database = (name: string) => {
    names.push(name);
    return client.db(name);
  };
  beforeAll(async () => {
    client = await MongoClient.connect(inject('stack').mongoUri);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    for (const name of names) {
      await deleteDeploymentSchedules(inject('stack').temporalAddress, name);
      await client.db(name).dropDatabase();
    }
    await client?.close();
  });

  it('when a web and a worker start together on an older database with MIGRATE_ON_START, then each step runs once', async () => {
    const name = uid('migrate_together').replace(/-/g, '_');
    const db = database(name);
    // A database two versions in, with data of a version before contact histories.
    await migrate(db, { upTo: 2 });
    const at = new Date(Date.now() - 86_400_000);
    await c.contactDecisions(db).insertOne({
      _id: 'e1|p',
      customerId: 'ann',
      eventId: 'e1',
      programId: 'p',
      action: 'send',
      reason: 'ok',
      sendAt: at,
      decidedAt: at,
    } as c.ContactDecisionDoc);
    expect(await schemaVersion(db)).toBe(2);

    // A third runner holds the next step, so both processes wait at it, then race for the rest.
    const gated = MIGRATIONS.find((m) => m.version === 3)!;
    const now = new Date();
    const gate = { _id: '3.0', version: 3, generation: 0, name: gated.name, claimedBy: 'gate' };
    await c.migrations(db).insertOne({ ...gate, claimedAt: now, heartbeatAt: now });

    const { env, url } = await environment(name);
    // At info the web's log shows its migration lines. Without SMTP_URL: the web sends no email
    // of its own, so it starts without a mail server.
    const webEnv: Record<string, string> = { ...env };
    delete webEnv.SMTP_URL;
    const web = launch('web', { ...webEnv, LOG_LEVEL: 'info' }, url);
    const worker = launch('worker', env);
    processes.push(web, worker);
    await waitUntil(
      'both processes to wait for the gate',
      // The web logs JSON, where the quotes are escaped.
      async () => [web, worker].every((p) => /3 \\?"indexes\\?": waiting for gate/.test(p.output())),
      90_000,
    );
    await gated.run(db, () => {});
    await c.migrations(db).updateOne({ _id: '3.0' }, { $set: { doneAt: new Date() } });
    await ready(web);
    await waitUntil('the worker to poll', async () => worker.output().includes('worker polling task queue'), 90_000);

    const later = MIGRATIONS.filter((m) => m.version > 3).map((m) => [m.version, 1]);
    expect(await runsByVersion(db)).toEqual({ 1: 1, 2: 1, ...Object.fromEntries(later) });
    expect(await schemaVersion(db)).toBe(LATEST_VERSION);
    // The steps the processes ran did their work.
    expect(await c.invitations(db).indexExists('token_hash_unique')).toBe(true);
    expect(await c.contactHistories(db).findOne({ _id: 'ann' })).toMatchObject({ contacts: [{ key: 'e1|p' }] });
  });

  it('when runners start at the same instant, then every step is claimed by one of them and runs once', async () => {
    const db = database(uid('migrate_race').replace(/-/g, '_'));
    const runs = new Map<number, number>();
    const steps = [1, 2, 3].map((version) => ({
      version,
      name: `step ${version}`,
      run: async (stepDb: typeof db) => {
        runs.set(version, (runs.get(version) ?? 0) + 1);
        await c.settings(stepDb).findOne({ _id: 'a round trip, so the others run meanwhile' });
      },
    }));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => migrate(db, { migrations: steps, runner: `runner-${i}`, pollMs: 20 })),
    );
    expect(Object.fromEntries(runs)).toEqual({ 1: 1, 2: 1, 3: 1 });
    expect(results.flatMap((r) => r.ran).sort()).toEqual([1, 2, 3]);
    expect(await runsByVersion(db)).toEqual({ 1: 1, 2: 1, 3: 1 });
  });

  it('when the database is behind this release, then web and worker refuse to start, naming both versions and the command', async () => {
    const name = uid('migrate_behind').replace(/-/g, '_');
    const db = database(name);
    await migrate(db, { upTo: 3 });
    const { env, url } = await environment(name);
    const production = { ...env, MIGRATE_ON_START: 'false' };
    const web = launch('web', production, url);
    const worker = launch('worker', production);
    processes.push(web, worker);
    const message =
      `the database "${name}" is at schema version 3, this release needs version ${LATEST_VERSION}: ` +
      'run `npm run migrate` once for this deployment, or start with MIGRATE_ON_START=true';
    for (const refused of [web, worker]) {
      expect((await refused.exited).code, refused.output()).toBe(1);
      expect(refused.output()).toContain(message);
    }
    expect(await runsByVersion(db)).toEqual({ 1: 1, 2: 1, 3: 1 });
  });

  it('when npm run migrate runs on a new database, then it reports each step and the version; run again, it does nothing and says so', async () => {
    const name = uid('migrate_cli').replace(/-/g, '_');
    const db = database(name);
    const { env } = await environment(name);

    const first = await runMigrate(env);
    expect(first.code, first.output).toBe(0);
    for (const step of MIGRATIONS) {
      expect(first.output).toContain(`migrate: ${step.version} "${step.name}": started`);
      expect(first.output).toMatch(new RegExp(`migrate: ${step.version} "${step.name}": done in \\d+\\.\\d s`));
    }
    expect(first.output).toMatch(/migrate: 3 "indexes": \d+ of \d+/);
    expect(first.output).toContain(`migrate: schema at version ${LATEST_VERSION}`);

    const again = await runMigrate(env);
    expect(again.code, again.output).toBe(0);
    expect(again.output).toContain(`migrate: schema at version ${LATEST_VERSION}: nothing to migrate`);
    expect(again.output).not.toContain('started');
    expect(await runsByVersion(db)).toEqual(eachOnce);
  });

  it('when a database was upgraded by the start-up of earlier versions, then migrating honours their markers', async () => {
    const db = database(uid('migrate_markers').replace(/-/g, '_'));
    await c.invitations(db).insertOne({ _id: 'missed', token: 'plain-missed' } as never);
    await c.settings(db).insertOne({ _id: 'invitation-tokens-hashed', value: new Date().toISOString() });
    const result = await migrate(db);
    expect(result).toEqual({ from: 0, to: LATEST_VERSION, ran: MIGRATIONS.map((m) => m.version) });
    // The marker says the scan ran: the step does not read the invitations again.
    expect(await c.invitations(db).findOne({ _id: 'missed' })).toHaveProperty('token');
  });

  it('when unclosed cases hold no open-case claim, then migrating claims them, and their customers count as having an open case', async () => {
    const db = database(uid('migrate_claims_cases').replace(/-/g, '_'));
    const caseOf = (id: string, customerId: string, status: string) =>
      ({ _id: id, programId: 'p-old', customerId, status, openedAt: new Date() }) as never;
    await c.cases(db).insertMany([caseOf('k-open', 'ann', 'in_progress'), caseOf('k-closed', 'bob', 'closed')]);
    await migrate(db);
    expect(await c.openCases(db).findOne({ _id: c.openCaseKey('p-old', 'ann') })).toMatchObject({ caseId: 'k-open' });
    expect(await c.openCases(db).findOne({ _id: c.openCaseKey('p-old', 'bob') })).toBeNull();
    expect([await openCasesOf(db, 'ann'), await openCasesOf(db, 'bob')]).toEqual([1, 0]);
  });

  it('when cases were recorded before the routing state, then migrating counts them: unclosed per owner, opened per team', async () => {
    const db = database(uid('migrate_routing').replace(/-/g, '_'));
    const caseOf = (id: string, ownerId: string, teamId: string, status: string) =>
      ({ _id: id, programId: 'p-old', customerId: id, ownerId, teamId, status, openedAt: new Date() }) as never;
    await c
      .cases(db)
      .insertMany([
        caseOf('k1', 'ann@x.test', 'care', 'open'),
        caseOf('k2', 'ann@x.test', 'care', 'resolved'),
        caseOf('k3', 'ann@x.test', 'care', 'closed'),
        caseOf('k4', 'bob@x.test', 'vip', 'reopened'),
      ]);
    await migrate(db);
    expect(await c.routingState(db).findOne({ _id: ROUTING_STATE_ID })).toEqual({
      _id: ROUTING_STATE_ID,
      open: { 'ann@x%2Etest': 2, 'bob@x%2Etest': 1 },
      opened: { care: 3, vip: 1 },
      appliedBatch: MIGRATED_BATCH,
    });
  });

  it('when a claim has no heartbeat any more, then the next runner takes it over; while it beats, the runner waits for it', async () => {
    const db = database(uid('migrate_claims').replace(/-/g, '_'));
    const [first, second] = MIGRATIONS as [(typeof MIGRATIONS)[0], (typeof MIGRATIONS)[0]];
    const claim = (version: number, name: string, heartbeatAt: Date): c.MigrationClaimDoc => ({
      _id: `${version}.0`,
      version,
      generation: 0,
      name,
      claimedBy: 'killed-runner',
      claimedAt: heartbeatAt,
      heartbeatAt,
    });
    await c.migrations(db).insertOne(claim(first.version, first.name, new Date(Date.now() - 10 * 60_000)));
    const lines: string[] = [];
    expect(await migrate(db, { upTo: first.version, log: (line) => lines.push(line), runner: 'next' })).toEqual({
      from: 0,
      to: first.version,
      ran: [first.version],
    });
    expect(lines).toContain(`${first.version} "${first.name}": taking over from killed-runner (no heartbeat)`);
    expect(await c.migrations(db).findOne({ _id: `${first.version}.1` })).toMatchObject({
      claimedBy: 'next',
      takesOverFrom: `${first.version}.0`,
      doneAt: expect.any(Date),
    });
    expect(await runsByVersion(db)).toEqual({ [first.version]: 1 });

    // A live claim: the runner waits until its claimer marks it done, and does not run the step.
    await c.migrations(db).insertOne({ ...claim(second.version, second.name, new Date()), claimedBy: 'live-runner' });
    const waiting: string[] = [];
    const run = migrate(db, { upTo: second.version, log: (line) => waiting.push(line), pollMs: 50 });
    await waitUntil('the runner to wait', async () =>
      waiting.includes(`${second.version} "${second.name}": waiting for live-runner`),
    );
    await c.migrations(db).updateOne({ _id: `${second.version}.0` }, { $set: { doneAt: new Date() } });
    expect(await run).toEqual({ from: first.version, to: second.version, ran: [] });
    expect(waiting).toContain(`${second.version} "${second.name}": done by live-runner`);
  });

  it('when a newer release has migrated further, then this release starts (migrations are backward compatible)', async () => {
    const db = database(uid('migrate_ahead').replace(/-/g, '_'));
    await migrate(db);
    const next = LATEST_VERSION + 1;
    const now = new Date();
    await c.migrations(db).insertOne({
      _id: `${next}.0`,
      version: next,
      generation: 0,
      name: 'a later release',
      claimedBy: 'newer',
      claimedAt: now,
      heartbeatAt: now,
      doneAt: now,
    });
    expect(await prepareSchema(db, { migrateOnStart: false })).toBe(next);
    expect((await migrate(db)).ran).toEqual([]);
  });
});
