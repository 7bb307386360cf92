import { BSON, type BulkWriteResult, type Db, MongoBulkWriteError, MongoNetworkError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyScoreBatch } from '../../activities/replies';
import * as c from '../../src/db/collections';
import { claimKeys, countedKeyId, isCounted } from '../../src/db/counted-keys';
import { type Database, connectDatabase } from '../../src/db/connection';
import { moveCountedKeys } from '../../src/db/move-counted-keys';
import { type CaseChange, type CaseFacts, caseContribution, fieldKey } from '../../src/domain/case-metrics';
import { ALL_SEGMENT, ROUTING_STATE_ID, type ScoreContribution, rollupId } from '../../src/domain/rollup';
import { uid } from '../support/harness';

const DAY = '2026-11-20';
/** The owner's batch size (workflows/scores.ts). */
const BATCH = 200;

/** A promoter's reply mentioning delivery, of one of ten customers; IDs of one width, so sizes compare. */
function reply(programId: string, n: number): ScoreContribution {
  return {
    replyId: `reply-${String(n).padStart(6, '0')}`,
    programId,
    customerId: `${programId}-customer-${n % 10}`,
    day: DAY,
    segments: [ALL_SEGMENT, 'region:EU'],
    increment: { responses: 1, 'nps.count': 1, 'nps.sum': 9, 'nps.promoters': 1, 'themes.delivery': 1 },
    summary: 90,
  };
}

const replies = (programId: string, from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => reply(programId, from + i));

const batchId = (programId: string, n: number) => `${programId}|batch-${String(n).padStart(6, '0')}`;

/**
 * The database, except that inserting counted keys fails as a connection lost mid-command does:
 * the driver wraps the network error in a bulk write error listing no write errors (as when
 * FerretDB restarts). With `landed`, the keys are stored first: only the answer was lost.
 */
function claimsCutOff(db: Db, landed: boolean): Db {
  const lost = () =>
    new MongoBulkWriteError(new MongoNetworkError('connection 7 to 127.0.0.1 closed'), {} as BulkWriteResult);
  const passThrough = <T extends object>(target: T, name: PropertyKey) => {
    const value: unknown = Reflect.get(target, name);
    return typeof value === 'function' ? value.bind(target) : value;
  };
  return new Proxy(db, {
    get: (target, name) =>
      name !== 'collection'
        ? passThrough(target, name)
        : (collectionName: string) => {
            const collection = target.collection(collectionName);
            if (collectionName !== 'counted_keys') return collection;
            return new Proxy(collection, {
              get: (real, method) =>
                method !== 'insertMany'
                  ? passThrough(real, method)
                  : async (docs: Parameters<typeof real.insertMany>[0]) => {
                      if (landed) await real.insertMany(docs, { ordered: false });
                      throw lost();
                    },
            });
          },
  });
}

describe('counted keys', () => {
  let database: Database;
  beforeAll(async () => {
    database = await connectDatabase(inject('stack').mongoUri, inject('stack').dbName);
  });
  afterAll(() => database?.close());

  /** Applies replies [from, to) in the owner's batches, numbered from `from`. */
  async function applyAll(programId: string, from: number, to: number) {
    for (let i = from; i < to; i += BATCH)
      await applyScoreBatch(
        database.db,
        { id: batchId(programId, i), retried: false },
        replies(programId, i, Math.min(i + BATCH, to)),
      );
  }

  const size = async (programId: string) => {
    const rollup = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) });
    const score = await c.customerScores(database.db).findOne({ _id: `${programId}-customer-0` });
    return {
      rollup: BSON.calculateObjectSize(rollup!),
      customerScore: BSON.calculateObjectSize(score!),
      rollupDoc: rollup!,
    };
  };

  it('when a day grows from 1,000 to 20,000 replies, then its rollup and customer score documents keep their size', async () => {
    const programId = uid('bounded');
    await applyAll(programId, 0, 1_000);
    const small = await size(programId);
    expect(small.rollupDoc.responses).toBe(1_000);
    await applyAll(programId, 1_000, 20_000);
    const large = await size(programId);
    expect(large.rollupDoc.responses).toBe(20_000);
    expect(large.rollupDoc.nps).toEqual({ count: 20_000, sum: 180_000, promoters: 20_000 });
    expect(large.rollupDoc.examples).toEqual({ delivery: ['reply-019997', 'reply-019998', 'reply-019999'] });
    // To the byte (IDs of one width); a list of the keys would have grown by about 20 bytes a key.
    expect(large.rollup).toBe(small.rollup);
    expect(large.customerScore).toBe(small.customerScore);
  }, 600_000);

  it('when an attempt claimed the keys and was cut off before the counters, then its retry counts each once', async () => {
    const programId = uid('retried');
    const batch = replies(programId, 0, 50);
    const id = batchId(programId, 0);
    // What a first attempt does before writing counters: claim every key it counts (half of them
    // here, as if the insert itself was cut off).
    const keys = batch.flatMap((r) => [
      ...r.segments.map((s) => ({
        collection: 'rollups' as const,
        docId: rollupId(programId, DAY, s),
        key: r.replyId,
      })),
      { collection: 'customer_scores' as const, docId: r.customerId, key: r.replyId },
    ]);
    expect(await claimKeys(database.db, { id, retried: false }, keys.slice(0, 70))).toEqual([]);
    expect(await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) })).toBeNull();

    expect(await applyScoreBatch(database.db, { id, retried: true }, batch)).toEqual({ counted: 50 });
    // Once more, as if the retry was cut off after it wrote everything: nothing changes.
    expect(await applyScoreBatch(database.db, { id, retried: true }, batch)).toEqual({ counted: 50 });
    const all = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) });
    const eu = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, 'region:EU') });
    expect(all?.responses).toBe(50);
    expect(eu?.responses).toBe(50);
    const scores = await c
      .customerScores(database.db)
      .find({ _id: { $regex: `^${programId}-customer-` } })
      .toArray();
    expect(scores.map((s) => s.count)).toEqual(Array(10).fill(5));

    // A later batch replaying some of them with new ones counts only the new ones.
    const later = [...batch.slice(0, 20), ...replies(programId, 50, 60)];
    expect(await applyScoreBatch(database.db, { id: batchId(programId, 1), retried: false }, later)).toEqual({
      counted: 10,
    });
    // A retried later batch too: the keys an earlier batch claimed stay that batch's.
    expect(await applyScoreBatch(database.db, { id: batchId(programId, 2), retried: true }, later)).toEqual({
      counted: 0,
    });
    const after = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) });
    expect(after?.responses).toBe(60);
    expect(await isCounted(database.db, 'rollups', after, 'reply-000000')).toBe(true);
    expect(await isCounted(database.db, 'rollups', after, 'reply-000059')).toBe(true);
    expect(await isCounted(database.db, 'rollups', after, 'reply-000060')).toBe(false);
  });

  it.each([
    ['not stored', false],
    ['stored', true],
  ])(
    'when the connection is lost while a first attempt claims its keys (%s), then it writes no counter and its retry counts each key once',
    async (_, landed) => {
      const programId = uid('cut-off');
      const batch = replies(programId, 0, 20);
      const id = batchId(programId, 0);
      await expect(applyScoreBatch(claimsCutOff(database.db, landed), { id, retried: false }, batch)).rejects.toThrow(
        MongoBulkWriteError,
      );
      expect(await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) })).toBeNull();

      expect(await applyScoreBatch(database.db, { id, retried: true }, batch)).toEqual({ counted: 20 });
      const all = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) });
      expect(all?.responses).toBe(20);
      const counted = await Promise.all(batch.map((r) => isCounted(database.db, 'rollups', all, r.replyId)));
      expect(counted.filter(Boolean)).toHaveLength(20);
    },
  );

  it('when a batch has claimed a key but not yet written the document, then the key does not count yet', async () => {
    const programId = uid('underway');
    await applyAll(programId, 0, 10);
    const all = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) });
    const docId = rollupId(programId, DAY, ALL_SEGMENT);
    await claimKeys(database.db, { id: batchId(programId, 10), retried: false }, [
      { collection: 'rollups', docId, key: 'reply-000010' },
    ]);
    expect(await isCounted(database.db, 'rollups', all, 'reply-000010')).toBe(false);
    expect(await isCounted(database.db, 'rollups', all, 'reply-000009')).toBe(true);
  });
  it('when case changes move the routing state, then a retried or repeated batch counts each change once', async () => {
    const programId = uid('routing');
    const [owner, other, team] = [uid('owner'), uid('other'), uid('team')];
    const facts = (over: Partial<CaseFacts> = {}): CaseFacts => ({
      status: 'open',
      ownerId: owner,
      teamId: team,
      breached: false,
      ...over,
    });
    const change = (caseId: string, seq: number, kind: string, before: CaseFacts | null, after: CaseFacts) =>
      caseContribution(
        { id: `${programId}-${caseId}`, programId, customerId: `${programId}-c` },
        seq,
        Date.parse(`${DAY}T10:00:00Z`),
        { kind, before, after } satisfies CaseChange,
      )!;
    const state = async () => {
      const doc = await c.routingState(database.db).findOne({ _id: ROUTING_STATE_ID });
      return [doc?.open?.[fieldKey(owner)], doc?.open?.[fieldKey(other)], doc?.opened?.[fieldKey(team)]];
    };
    const opened = ['k1', 'k2', 'k3'].map((k) => change(k, 0, 'opened', null, facts()));
    const first = batchId(programId, 0);
    await applyScoreBatch(database.db, { id: first, retried: false }, opened);
    expect(await state()).toEqual([3, undefined, 3]);
    // The same batch again, as a retry cut off after its writes: nothing more.
    await applyScoreBatch(database.db, { id: first, retried: true }, opened);
    expect(await state()).toEqual([3, undefined, 3]);

    const resolved = facts({ status: 'resolved' });
    const later = [
      opened[0]!,
      change('k1', 1, 'closed', facts(), facts({ status: 'closed' })),
      change('k2', 1, 'resolve', facts(), resolved),
      // A resolved case reassigned: in the routing state only, no rollup.
      change('k2', 2, 'reassign', resolved, facts({ status: 'resolved', ownerId: other })),
    ];
    expect(later[3]!.segments).toEqual([]);
    await applyScoreBatch(database.db, { id: batchId(programId, 1), retried: false }, later);
    expect(await state()).toEqual([1, 1, 3]);
    await applyScoreBatch(database.db, { id: batchId(programId, 2), retried: true }, later);
    expect(await state()).toEqual([1, 1, 3]);
    const all = await c.rollups(database.db).findOne({ _id: rollupId(programId, DAY, ALL_SEGMENT) });
    expect((all as { cases?: object } | null)?.cases).toMatchObject({ opened: 3, closed: 1, resolved: 1 });
  });
});

describe('moveCountedKeys, the upgrade from documents listing their keys', () => {
  let database: Database;
  beforeAll(async () => {
    // Its own database: the upgrade reads every rollup and customer score.
    database = await connectDatabase(inject('stack').mongoUri, `cxloop_${uid('move_keys').replace(/-/g, '_')}`);
  });
  afterAll(async () => {
    await database?.db.dropDatabase();
    await database?.close();
  });

  it('moves every listed key out of its document, once, and a key listed before is not counted again', async () => {
    const programId = uid('legacy');
    const docId = rollupId(programId, DAY, ALL_SEGMENT);
    const legacy = (collection: string) => database.db.collection<{ _id: string; replyIds?: string[] }>(collection);
    await legacy('rollups').insertOne({
      _id: docId,
      programId,
      day: DAY,
      segment: ALL_SEGMENT,
      responses: 2,
      nps: { count: 2, sum: 18, promoters: 2 },
      replyIds: ['reply-000000', 'reply-000001', 'funnel:invited:reply-000001'],
    } as never);
    await legacy('customer_scores').insertOne({
      _id: `${programId}-customer-0`,
      count: 1,
      sum: 90,
      replyIds: ['reply-000000'],
    } as never);
    await legacy('rollups').insertOne({
      _id: rollupId(programId, DAY, 'region:EU'),
      programId,
      day: DAY,
      segment: 'region:EU',
      responses: 1,
      replyIds: ['reply-000000'],
    } as never);

    const steps: [number, number][] = [];
    expect(await moveCountedKeys(database.db, (done, total) => steps.push([done, total]))).toEqual({ moved: 3 });
    expect(steps).toEqual([
      [0, 3],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    const rollup = await c.rollups(database.db).findOne({ _id: docId });
    expect(rollup).not.toHaveProperty('replyIds');
    expect(await c.customerScores(database.db).findOne({ _id: `${programId}-customer-0` })).not.toHaveProperty(
      'replyIds',
    );
    const claims = await c.countedKeys(database.db).find().sort({ _id: 1 }).toArray();
    expect(claims).toEqual([
      {
        _id: countedKeyId({ collection: 'customer_scores', docId: `${programId}-customer-0`, key: 'reply-000000' }),
        batch: 'migrated',
      },
      { _id: countedKeyId({ collection: 'rollups', docId, key: 'funnel:invited:reply-000001' }), batch: 'migrated' },
      { _id: countedKeyId({ collection: 'rollups', docId, key: 'reply-000000' }), batch: 'migrated' },
      { _id: countedKeyId({ collection: 'rollups', docId, key: 'reply-000001' }), batch: 'migrated' },
      {
        _id: countedKeyId({ collection: 'rollups', docId: rollupId(programId, DAY, 'region:EU'), key: 'reply-000000' }),
        batch: 'migrated',
      },
    ]);
    expect(await isCounted(database.db, 'rollups', rollup, 'reply-000001')).toBe(true);

    // Twice: nothing left to move, nothing changed.
    const before = await everything(database);
    expect(await moveCountedKeys(database.db)).toEqual({ moved: 0 });
    expect(await everything(database)).toEqual(before);

    // A contribution counted before the upgrade, delivered again, counts nothing; a new one counts.
    const again = [reply(programId, 0), reply(programId, 2)];
    expect(await applyScoreBatch(database.db, { id: 'after-upgrade', retried: false }, again)).toEqual({ counted: 1 });
    expect((await c.rollups(database.db).findOne({ _id: docId }))?.responses).toBe(3);
    expect((await c.customerScores(database.db).findOne({ _id: `${programId}-customer-0` }))?.count).toBe(1);
    expect((await c.customerScores(database.db).findOne({ _id: `${programId}-customer-2` }))?.count).toBe(1);
  });
});

async function everything(database: Database) {
  const [rollups, scores, keys] = await Promise.all([
    c.rollups(database.db).find().sort({ _id: 1 }).toArray(),
    c.customerScores(database.db).find().sort({ _id: 1 }).toArray(),
    c.countedKeys(database.db).find().sort({ _id: 1 }).toArray(),
  ]);
  return { rollups, scores, keys };
}
