/**
 * Benchmarks on the embedded stack, each reporting a ratio measured within one run:
 *   dashboard  — reading a program's 30-day dashboard from rollups vs from raw replies;
 *   ingestion  — events per second accepted by POST /api/events one by one vs by
 *                POST /api/events:batch, with the worker stopped so only the API tier counts;
 *                then how fast a started worker's customer loops decide on all of them.
 * Results are printed and written to bench/results/<timestamp>.json (and latest.json).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { Db } from 'mongodb';
import path from 'node:path';
import { ensureApiKey } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import * as c from '../src/db/collections';
import { connectDatabase } from '../src/db/connection';
import { ZProgram } from '../src/domain/program';
import {
  type RollupDoc,
  rollupDay,
  rollupId,
  rollupIncrement,
  rollupSegments,
  summarizeRollups,
} from '../src/domain/rollup';
import { scoreReply } from '../src/domain/scoring';
import { startWeb, startWorker } from '../src/runtime';
import { startEmbeddedStack } from '../src/stack/embedded';
import { installWorkerLogging } from '../src/temporal/worker';
import { storeProgram } from '../src/app/programs';

const REPLIES = Number(process.env.BENCH_REPLIES ?? 5000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300);
const REGIONS = ['EU', 'NA', 'APAC', 'LATAM'];

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await run();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

async function best<T>(rounds: number, run: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let fastest: { ms: number; value: T } | undefined;
  for (let i = 0; i < rounds; i++) {
    const result = await timed(run);
    if (!fastest || result.ms < fastest.ms) fastest = result;
  }
  return fastest!;
}

const program = ZProgram.parse({
  id: 'bench-program',
  name: 'Benchmark',
  kind: 'transactional',
  triggers: ['bench_purchase'],
  reminders: [],
  survey: {
    editGrace: '0s',
    questions: [
      { id: 'nps', type: 'nps', label: 'Recommend us?' },
      { id: 'comment', type: 'text', label: 'Why?' },
    ],
  },
  email: { subject: 'Benchmark', intro: 'Benchmark' },
  contactRules: {
    minIntervalAnyProgram: '0s',
    minIntervalSameProgram: '0s',
    maxPerWindow: { count: 1000, window: '1d' },
  },
  themes: { delivery: ['delivery', 'late'], staff: ['staff', 'friendly'] },
});

/** The same summary the dashboard shows, computed from raw replies instead of rollups. */
async function dashboardFromRawReplies(db: Db, since: Date) {
  const replies = await c
    .responses(db)
    .find({ programId: program.id, submittedAt: { $gte: since } }, { projection: { scores: 1 } })
    .toArray();
  const doc: RollupDoc = {};
  const merged: Record<string, number> = {};
  for (const reply of replies)
    for (const [key, n] of Object.entries(rollupIncrement(reply.scores!))) merged[key] = (merged[key] ?? 0) + n;
  for (const [key, n] of Object.entries(merged)) {
    const [head, tail] = key.split('.') as [keyof RollupDoc, string | undefined];
    if (tail) ((doc[head] ??= {} as never) as Record<string, number>)[tail] = n;
    else (doc as Record<string, number>)[head] = n;
  }
  return summarizeRollups([doc]);
}

async function benchDashboard(db: Db) {
  const now = Date.now();
  const replies: c.ResponseDoc[] = [];
  const rollups = new Map<string, RollupDoc & { _id: string; programId: string; day: string; segment: string }>();
  for (let i = 0; i < REPLIES; i++) {
    const submittedAt = new Date(now - (i % 30) * 86_400_000);
    const answers = { nps: i % 11, comment: i % 3 ? 'friendly staff' : 'delivery was late' };
    const scores = scoreReply(program.survey, answers, program.themes);
    const id = `bench-${i}`;
    replies.push({
      _id: id,
      invitationId: id,
      programId: program.id,
      customerId: `bench-cust-${i}`,
      answers,
      scores,
      submittedAt,
      updatedAt: submittedAt,
      editableUntil: submittedAt,
      finalizedAt: submittedAt,
      edits: 0,
    });
    const day = rollupDay(submittedAt.getTime());
    for (const segment of rollupSegments({ region: REGIONS[i % REGIONS.length] })) {
      const key = rollupId(program.id, day, segment);
      const doc = rollups.get(key) ?? { _id: key, programId: program.id, day, segment };
      for (const [field, n] of Object.entries(rollupIncrement(scores))) {
        const [head, tail] = field.split('.') as [string, string | undefined];
        const target = doc as unknown as Record<string, Record<string, number> | number>;
        if (tail)
          ((target[head] ??= {}) as Record<string, number>)[tail] =
            ((target[head] as Record<string, number>)[tail] ?? 0) + n;
        else target[head] = ((target[head] as number) ?? 0) + n;
      }
      rollups.set(key, doc);
    }
  }
  for (let i = 0; i < replies.length; i += 1000) await c.responses(db).insertMany(replies.slice(i, i + 1000));
  await c.rollups(db).insertMany([...rollups.values()]);

  const since = new Date(now - 29 * 86_400_000);
  const fromRollups = await best(5, async () =>
    summarizeRollups(
      await c
        .rollups(db)
        .find({ programId: program.id, segment: 'all', day: { $gte: rollupDay(since.getTime()) } })
        .toArray(),
    ),
  );
  const fromRaw = await best(5, () => dashboardFromRawReplies(db, since));
  if (fromRollups.value.responses !== fromRaw.value.responses || fromRollups.value.nps !== fromRaw.value.nps) {
    throw new Error(`dashboards disagree: ${JSON.stringify(fromRollups.value)} vs ${JSON.stringify(fromRaw.value)}`);
  }
  return {
    replies: REPLIES,
    rollupMs: round(fromRollups.ms),
    rawMs: round(fromRaw.ms),
    ratioRawOverRollup: round(fromRaw.ms / fromRollups.ms),
  };
}

async function benchIngestion(baseUrl: string, apiKey: string) {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const makeEvent = (run: string, i: number) => ({
    id: `bench-${run}-${i}`,
    type: 'bench_other',
    occurredAt: new Date().toISOString(),
    customer: { id: `bench-ingest-${run}-${i % 50}`, email: `bench${i % 50}@example.com` },
  });
  const single = await timed(async () => {
    for (let i = 0; i < EVENTS; i++) {
      const res = await fetch(`${baseUrl}/api/events`, {
        method: 'POST',
        headers,
        body: JSON.stringify(makeEvent('single', i)),
      });
      if (res.status !== 202) throw new Error(`event refused: ${await res.text()}`);
    }
  });
  const batch = await timed(async () => {
    const events = Array.from({ length: EVENTS }, (_, i) => makeEvent('batch', i));
    const res = await fetch(`${baseUrl}/api/events:batch`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ events }),
    });
    if (res.status !== 202) throw new Error(`batch refused: ${await res.text()}`);
  });
  return {
    events: EVENTS,
    singleEventsPerSecond: round((EVENTS / single.ms) * 1000),
    batchEventsPerSecond: round((EVENTS / batch.ms) * 1000),
    ratioBatchOverSingle: round(single.ms / batch.ms),
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main() {
  installWorkerLogging('error');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-bench-'));
  // The benchmark measures throughput, so the per-key rate limit is lifted and request logs are off.
  const config = loadConfig({
    ...process.env,
    MONGODB_DB: `cxloop_bench_${Date.now()}`,
    DATA_DIR: dir,
    MIGRATE_ON_START: 'true',
    RATE_LIMIT_API: '10000000',
    LOG_LEVEL: 'warn',
  });
  console.log('starting the embedded stack…');
  const stack = await startEmbeddedStack({
    dataDir: dir,
    temporalAddress: config.temporal.address,
    mongoUri: config.mongo.uri,
    smtpUrl: config.smtp.url,
    mongoDbName: config.mongo.dbName,
    mode: 'test',
  });
  const services = { ...stack, embeddedMail: !config.smtp.url };
  const database = await connectDatabase(stack.mongoUri, config.mongo.dbName);
  try {
    await storeProgram(database.db, program);
    const web = await startWeb(config, services, { port: 0 });
    const apiKey = 'bench-api-key-0123456789';
    await ensureApiKey(database.db, apiKey);

    console.log(`dashboard: ${REPLIES} replies over 30 days…`);
    const dashboard = await benchDashboard(database.db);
    console.log(
      `  rollups ${dashboard.rollupMs} ms, raw replies ${dashboard.rawMs} ms → raw/rollup = ${dashboard.ratioRawOverRollup}×`,
    );
    console.log(`ingestion: ${EVENTS} events one by one, then ${EVENTS} in one batch…`);
    const ingestion = await benchIngestion(web.url, apiKey);
    console.log(
      `  one by one ${ingestion.singleEventsPerSecond}/s, batch ${ingestion.batchEventsPerSecond}/s → batch/single = ${ingestion.ratioBatchOverSingle}×`,
    );
    const processing = await timed(async () => {
      const worker = await startWorker(config, services, { publicBaseUrl: web.url });
      const decided = () =>
        c.events(database.db).countDocuments({ type: 'bench_other', processedAt: { $exists: true } });
      while ((await decided()) < 2 * EVENTS) await new Promise((r) => setTimeout(r, 100));
      return worker;
    });
    const loops = { events: 2 * EVENTS, eventsPerSecond: round(((2 * EVENTS) / processing.ms) * 1000) };
    console.log(
      `  customer loops decided on ${loops.events} events at ${loops.eventsPerSecond}/s (worker start included)`,
    );
    await processing.value.stop();
    await web.stop();

    const result = {
      at: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      dashboard,
      ingestion,
      loops,
    };
    const out = path.join(__dirname, 'results');
    mkdirSync(out, { recursive: true });
    const file = path.join(out, `${result.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    writeFileSync(path.join(out, 'latest.json'), JSON.stringify(result, null, 2));
    console.log(`results written to ${path.relative(process.cwd(), file)}`);
  } finally {
    await database.db.dropDatabase().catch(() => {});
    await database.close();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(`benchmark failed: ${err.stack ?? err.message}`);
  process.exit(1);
});
