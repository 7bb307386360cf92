/**
 * The scores' owner's applied contributions per second as a program-day grows, in one run on one
 * FerretDB (the embedded stack, its data on disk): the owner's apply step (`applyScoreBatch`, the
 * body of the `applyScores` activity) against the list-based one it replaced, kept here only as the
 * baseline, where each rollup and customer score listed every key it counted (`replyIds`) and the
 * owner read those lists back on each batch. At each day size (BENCH_SCORES_SIZES, default
 * 1,000, 20,000 and 100,000 keys already counted in the day) both apply BENCH_SCORES_BATCHES
 * batches of 200 new replies (default 5) into their own copy of the day. Temporal's own cost per
 * activity is the same for both and left out.
 * `npm run bench:scores`; results in bench/results/scores-owner-<time>.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON, type Db } from 'mongodb';
import { applyScoreBatch } from '../activities/replies';
import { loadConfig } from '../src/config';
import * as c from '../src/db/collections';
import { countedKeyId } from '../src/db/counted-keys';
import { connectDatabase } from '../src/db/connection';
import { insertManyOnce } from '../src/db/insert-once';
import { copyRollupTotals } from '../src/db/rollup-totals';
import {
  type FoldedChange,
  type ScoreContribution,
  foldContributions,
  latestExamples,
  rollupId,
  touchedBy,
} from '../src/domain/rollup';
import { startEmbeddedStack } from '../src/stack/embedded';
import { round, writeResults } from './deployment';

const SIZES = (process.env.BENCH_SCORES_SIZES ?? '1000,20000,100000').split(',').map(Number);
const BATCHES = Number(process.env.BENCH_SCORES_BATCHES ?? 5);
/** The owner's batch (workflows/scores.ts). */
const BATCH = 200;
const DAY = '2026-11-20';
const REGIONS = ['EU', 'NA', 'APAC'];
const CHANNELS = ['store', 'online', 'phone'];
const THEMES = ['delivery', 'staff', 'price'];
const CUSTOMERS = 5_000;

/** Reply `n` of a program's day: in `all`, a region and a channel, from one of CUSTOMERS customers. */
function reply(programId: string, n: number): ScoreContribution {
  const nps = n % 11;
  return {
    replyId: `${programId}:reply-${n}`,
    programId,
    customerId: `${programId}:customer-${n % CUSTOMERS}`,
    day: DAY,
    segments: ['all', `region:${REGIONS[n % 3]}`, `channel:${CHANNELS[Math.floor(n / 3) % 3]}`],
    increment: {
      responses: 1,
      'nps.count': 1,
      'nps.sum': nps,
      [`nps.${nps >= 9 ? 'promoters' : nps >= 7 ? 'passives' : 'detractors'}`]: 1,
      [`themes.${THEMES[n % 3]}`]: 1,
      [`sentiment.${nps >= 9 ? 'positive' : nps >= 7 ? 'neutral' : 'negative'}`]: 1,
    },
    summary: nps * 10,
  };
}

const replies = (programId: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => reply(programId, from + i));

/** The two ways of applying a batch, each with its own program (so its own documents). */
interface Way {
  programId: string;
  /** Brings the day to `to` keys counted, as that way's owner leaves it (written directly: faster). */
  seed(from: number, to: number): Promise<void>;
  apply(batch: ScoreContribution[], n: number): Promise<{ counted: number }>;
}

/**
 * Each document's keys and counters, as replies [from, to) add them: folded a batch at a time (the
 * fold checks each key against the document's others, meant for batches) and summed here.
 */
function folded(programId: string, from: number, to: number) {
  const sum = (into: Map<string, FoldedChange>, changes: FoldedChange[]) => {
    for (const change of changes) {
      const total = into.get(change.id) ?? { ...change, keys: [], increment: {} };
      total.keys.push(...change.keys);
      for (const [path, n] of Object.entries(change.increment))
        total.increment[path] = (total.increment[path] ?? 0) + n;
      into.set(change.id, total);
    }
  };
  const rollups = new Map<string, FoldedChange>();
  const customerScores = new Map<string, FoldedChange>();
  for (let i = from; i < to; i += BATCH) {
    const batch = replies(programId, i, Math.min(i + BATCH, to));
    const changes = foldContributions(batch, { rollups: new Map(), customerScores: new Map() });
    sum(rollups, changes.rollups);
    sum(customerScores, changes.customerScores);
  }
  return { rollups: [...rollups.values()], customerScores: [...customerScores.values()] };
}

/** The baseline: today's counting before counted keys, each document listing what it counts. */
function listedWay(db: Db): Way {
  const programId = 'bench-listed';
  const counting = (name: 'rollups' | 'customer_scores') =>
    db.collection<{ _id: string; replyIds: string[]; examples?: Record<string, string[]> }>(name);
  return {
    programId,
    async seed(from, to) {
      const { rollups, customerScores } = folded(programId, from, to);
      for (const [name, changes] of [
        ['rollups', rollups],
        ['customer_scores', customerScores],
      ] as const)
        for (const change of changes)
          await counting(name).updateOne(
            { _id: change.id },
            {
              $inc: change.increment,
              $push: { replyIds: { $each: change.keys } },
              ...(Object.keys(change.fields).length ? { $setOnInsert: change.fields } : {}),
            },
            { upsert: true },
          );
    },
    async apply(batch) {
      const touched = touchedBy(batch);
      const read = async (name: 'rollups' | 'customer_scores', ids: string[]) => {
        const docs = await Promise.all(
          ids.map((id) => counting(name).findOne({ _id: id }, { projection: { replyIds: 1, examples: 1 } })),
        );
        return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
      };
      const [rollups, customerScores] = await Promise.all([
        read('rollups', touched.rollups),
        read('customer_scores', touched.customerScores),
      ]);
      const listed = (docs: typeof rollups) => new Map([...docs].map(([id, doc]) => [id, new Set(doc.replyIds)]));
      const changes = foldContributions(batch, { rollups: listed(rollups), customerScores: listed(customerScores) });
      const write = (
        name: 'rollups' | 'customer_scores',
        change: FoldedChange,
        kept: Record<string, string[]> = {},
      ) => {
        const examples = Object.entries(change.examples).map(([theme, added]) => [
          `examples.${theme}`,
          latestExamples(kept[theme], added),
        ]);
        return counting(name).updateOne(
          { _id: change.id },
          {
            $inc: change.increment,
            $addToSet: { replyIds: { $each: change.keys } },
            ...(examples.length ? { $set: Object.fromEntries(examples) } : {}),
            ...(Object.keys(change.fields).length ? { $setOnInsert: change.fields } : {}),
          },
          { upsert: true },
        );
      };
      await Promise.all([
        ...changes.rollups.map((change) => write('rollups', change, rollups.get(change.id)?.examples)),
        ...changes.customerScores.map((change) => write('customer_scores', change)),
      ]);
      await copyRollupTotals(db, touched.rollups);
      return { counted: new Set(changes.rollups.flatMap((change) => change.keys)).size };
    },
  };
}

/** Now: counters only in the documents, each counted key claimed in `counted_keys`. */
function countedWay(db: Db): Way {
  const programId = 'bench-counted';
  return {
    programId,
    async seed(from, to) {
      const { rollups, customerScores } = folded(programId, from, to);
      for (const [collection, changes] of [
        ['rollups', rollups],
        ['customer_scores', customerScores],
      ] as const) {
        const claims = changes.flatMap((change) =>
          change.keys.map((key) => ({ _id: countedKeyId({ collection, docId: change.id, key }), batch: 'seed' })),
        );
        for (let i = 0; i < claims.length; i += 5_000)
          await insertManyOnce(c.countedKeys(db), claims.slice(i, i + 5_000));
        for (const change of changes)
          await db.collection<{ _id: string }>(collection).updateOne(
            { _id: change.id },
            {
              $inc: change.increment,
              $set: { appliedBatch: 'seed' },
              ...(Object.keys(change.fields).length ? { $setOnInsert: change.fields } : {}),
            },
            { upsert: true },
          );
      }
    },
    apply: (batch, n) => applyScoreBatch(db, { id: `bench-${n}`, retried: false }, batch),
  };
}

async function allRollupBytes(db: Db, programId: string): Promise<number> {
  const doc = await c.rollups(db).findOne({ _id: rollupId(programId, DAY, 'all') });
  return doc ? BSON.calculateObjectSize(doc) : 0;
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-bench-scores-'));
  const config = loadConfig({ ...process.env, MONGODB_DB: `cxloop_bench_scores_${Date.now()}`, DATA_DIR: dir });
  console.log('starting the embedded stack…');
  const stack = await startEmbeddedStack({
    dataDir: dir,
    temporalAddress: config.temporal.address,
    mongoUri: config.mongo.uri,
    smtpUrl: config.smtp.url,
    mongoDbName: config.mongo.dbName,
    mode: 'test',
  });
  const database = await connectDatabase(stack.mongoUri, config.mongo.dbName);
  try {
    const { db } = database;
    const ways = { listed: listedWay(db), counted: countedWay(db) };
    let dayKeys = 0;
    let batchNo = 0;
    const levels = [];
    for (const size of SIZES) {
      const seeded = Math.max(size, dayKeys);
      console.log(`day holding ${seeded} keys: seeding…`);
      for (const way of Object.values(ways)) await way.seed(dayKeys, seeded);
      const level: Record<string, unknown> = { dayKeys: seeded };
      for (const [name, way] of Object.entries(ways)) {
        const started = performance.now();
        for (let b = 0; b < BATCHES; b++) {
          const from = seeded + b * BATCH;
          const { counted } = await way.apply(replies(way.programId, from, from + BATCH), batchNo + b);
          if (counted !== BATCH) throw new Error(`${name}: counted ${counted} of ${BATCH}`);
        }
        const ms = performance.now() - started;
        level[name] = {
          contributionsPerSecond: round(((BATCHES * BATCH) / ms) * 1000),
          msPerBatch: round(ms / BATCHES),
          allRollupBytes: await allRollupBytes(db, way.programId),
        };
      }
      batchNo += BATCHES;
      dayKeys = seeded + BATCHES * BATCH;
      const listed = level.listed as { contributionsPerSecond: number; allRollupBytes: number };
      const counted = level.counted as { contributionsPerSecond: number; allRollupBytes: number };
      level.countedOverListed = round(counted.contributionsPerSecond / listed.contributionsPerSecond);
      console.log(
        `  listed ${listed.contributionsPerSecond}/s (all rollup ${listed.allRollupBytes} B), ` +
          `counted ${counted.contributionsPerSecond}/s (${counted.allRollupBytes} B) → counted/listed = ${level.countedOverListed}×`,
      );
      levels.push(level);
    }
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      batch: BATCH,
      batchesPerLevel: BATCHES,
      levels,
    };
    console.log(`results: ${writeResults('scores-owner', results)}`);
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
