import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type Database, connectDatabase } from '../../src/db/connection';
import { type EmbeddedStack, startEmbeddedStack } from '../../src/stack/embedded';
import { freePort } from '../../src/stack/ports';
import { type LoopRun, answerAll, expectEachOnce, inviteCustomers, outputs, rollupCounting } from '../support/load';
import { type Deployment, startDeployment } from '../support/processes';
import { surveyLinkIn } from '../support/harness';
import { waitUntil } from '../support/wait';

/**
 * `npm test` runs a short version without R1 (killed activities wait out their start-to-close
 * timeout, minutes); `npm run test:faults` all of them (FAULT_EVENTS).
 */
const EVENTS = Number(process.env.FAULT_EVENTS ?? 30);
const ALL = Boolean(process.env.FAULT_EVENTS);
/** How long a stopped server stays down. */
const OUTAGE_MS = 6_000;
/** Killed activities come back after their start-to-close timeout (up to 2 minutes). */
const WAIT_MS = 240_000 + EVENTS * 600;
const KILL_EVERY_MS = 4_000;
/**
 * R1's bound: every kill cuts off the activities in flight, which come back only after their
 * timeouts, so loops go slower than without faults (1,000 loops: 905 emails after 14 minutes).
 */
const CHAOS_WAIT_MS = 240_000 + EVENTS * 1_500;

describe(`fault injection: two web and two worker processes, ${EVENTS} closed loops`, () => {
  let deployment: Deployment | undefined;
  let servers: { stack?: EmbeddedStack; dataDir: string } | undefined;
  const open: Database[] = [];
  const connect = async (dbName: string, uri = inject('stack').mongoUri) => {
    const database = await connectDatabase(uri, dbName);
    open.push(database);
    return database;
  };
  afterEach(async () => {
    await deployment?.stop();
    deployment = undefined;
    await Promise.all(open.splice(0).map((database) => database.close()));
    await servers?.stack?.stop();
    if (servers) rmSync(servers.dataDir, { recursive: true, force: true });
    servers = undefined;
  });

  /**
   * A FerretDB or Temporal of the test's own on a fixed port, its state on disk, to stop and start
   * again; the other servers are the run's shared ones (the SMTP sink records in the shared database).
   */
  async function ownServer(which: 'mongo' | 'temporal') {
    const own = {
      dataDir: mkdtempSync(path.join(os.tmpdir(), `cxloop-${which}-`)),
      stack: undefined as EmbeddedStack | undefined,
    };
    servers = own;
    const port = await freePort();
    const shared = inject('stack');
    const start = async () => {
      own.stack = await startEmbeddedStack({
        dataDir: own.dataDir,
        mode: 'test',
        mongoDbName: shared.dbName,
        smtpUrl: shared.smtpUrl,
        ...(which === 'mongo'
          ? { temporalAddress: shared.temporalAddress, mongoPort: port }
          : { mongoUri: shared.mongoUri, persistTemporal: true, temporalPort: port }),
      });
      return own.stack;
    };
    const first = await start();
    return {
      first,
      /** Stops the server, keeps it down for OUTAGE_MS while `meanwhile` runs, then starts it again. */
      async outage(meanwhile: () => Promise<void>) {
        await own.stack!.stop();
        own.stack = undefined;
        await Promise.all([meanwhile(), new Promise((r) => setTimeout(r, OUTAGE_MS))]);
        await start();
      },
    };
  }

  /** Waits until a third of the customers have answered. */
  const aThirdAnswered = (database: Database, run: LoopRun) =>
    waitUntil(
      'a third of the replies',
      async () =>
        (await c.responses(database.db).countDocuments({ programId: run.programId })) >= EVENTS / 3 || undefined,
      WAIT_MS,
    );

  it.runIf(ALL)(
    'R1: workers SIGKILLed every few seconds and restarted lose no reply and send each customer one message',
    async () => {
      deployment = await startDeployment({ webs: 2, workers: 2 });
      const [database, sink] = [await connect(deployment.dbName), await connect(inject('stack').dbName)];
      const d = deployment;
      let kills = 0;
      let crashing = true;
      // One worker at a time dies without warning and a new one takes its place, until the loops are done.
      const chaos = (async () => {
        while (crashing) {
          await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
          if (!crashing) break;
          const workers = d.processes.filter((p) => p.kind === 'worker');
          await d.restart(workers[kills % workers.length]!, 'SIGKILL');
          kills++;
        }
      })();
      try {
        const run = await inviteCustomers(d, sink, EVENTS, CHAOS_WAIT_MS);
        await answerAll(d, run, CHAOS_WAIT_MS);
        const rollups = await rollupCounting(database, run, CHAOS_WAIT_MS, d);
        crashing = false;
        await chaos;
        expect(kills).toBeGreaterThanOrEqual(2);
        const { handedOverAgain } = await expectEachOnce(database, sink, run, rollups, { workersKilled: true });
        console.info(`R1: ${kills} worker kills; ${handedOverAgain} of ${EVENTS} invitations handed to SMTP again`);
      } finally {
        crashing = false;
        await chaos;
      }
    },
    120_000 + CHAOS_WAIT_MS * 3,
  );

  it(
    'drains on SIGTERM: a web and a worker stopped mid-load finish their work and exit cleanly, nothing lost',
    async () => {
      deployment = await startDeployment({ webs: 2, workers: 2 });
      const [database, sink] = [await connect(deployment.dbName), await connect(inject('stack').dbName)];
      const d = deployment;
      const run = await inviteCustomers(d, sink, EVENTS, WAIT_MS);
      const [web, worker] = [d.webs[0]!, d.processes.find((p) => p.kind === 'worker')!];
      // A rolling deployment while customers answer: once a third of the replies are in, one web
      // and one worker get SIGTERM and are replaced.
      const rolling = (async () => {
        await aThirdAnswered(database, run);
        await Promise.all([d.restart(web, 'SIGTERM'), d.restart(worker, 'SIGTERM')]);
      })();
      await answerAll(d, run, WAIT_MS);
      await rolling;
      const rollups = await rollupCounting(database, run, WAIT_MS, d);
      await expectEachOnce(database, sink, run, rollups);
      // Exited by themselves within the grace period, not killed.
      for (const stopped of [web, worker])
        expect(await stopped.exited, `${stopped.kind} exit\n${outputs(d)}`).toEqual({ code: 0, signal: null });
    },
    120_000 + WAIT_MS * 3,
  );

  it(
    'R3: FerretDB stopped and restarted mid-run: the web answers 503 with Retry-After meanwhile, recovers by itself, nothing lost',
    async () => {
      const mongo = await ownServer('mongo');
      deployment = await startDeployment({
        webs: 2,
        workers: 2,
        mongoUri: mongo.first.mongoUri,
        env: { REPLY_SWEEP_INTERVAL: '5s' },
      });
      const d = deployment;
      const [database, sink] = [await connect(d.dbName, mongo.first.mongoUri), await connect(inject('stack').dbName)];
      const run = await inviteCustomers(d, sink, EVENTS, WAIT_MS);
      const link = new URL(surveyLinkIn(run.invitations[0]!.text)).pathname;
      let whileDown: Response | undefined;
      const outage = (async () => {
        await aThirdAnswered(database, run);
        await mongo.outage(async () => {
          whileDown = await fetch(`${d.webs[0]!.url}${link}`);
        });
      })();
      await answerAll(d, run, WAIT_MS);
      await outage;
      expect(whileDown?.status).toBe(503);
      expect(Number(whileDown?.headers.get('retry-after'))).toBeGreaterThan(0);
      const rollups = await rollupCounting(database, run, WAIT_MS, d);
      await expectEachOnce(database, sink, run, rollups);
      // Recovered by itself: the same processes, still up, answer again.
      expect((await fetch(`${d.webs[0]!.url}/readyz`)).status).toBe(200);
    },
    120_000 + WAIT_MS * 3,
  );

  it(
    'R4: Temporal restarted on its persistent file mid-run: the loops resume in the separate processes, nothing lost',
    async () => {
      const temporal = await ownServer('temporal');
      deployment = await startDeployment({
        webs: 2,
        workers: 2,
        temporalAddress: temporal.first.temporalAddress,
        env: { REPLY_SWEEP_INTERVAL: '5s' },
      });
      const d = deployment;
      const [database, sink] = [await connect(d.dbName), await connect(inject('stack').dbName)];
      const run = await inviteCustomers(d, sink, EVENTS, WAIT_MS);
      const outage = (async () => {
        await aThirdAnswered(database, run);
        await temporal.outage(async () => {});
      })();
      await answerAll(d, run, WAIT_MS);
      await outage;
      const rollups = await rollupCounting(database, run, WAIT_MS, d);
      await expectEachOnce(database, sink, run, rollups);
      expect(new Set(d.processes.map((p) => p.pid)).size).toBe(4);
    },
    120_000 + WAIT_MS * 3,
  );
});
