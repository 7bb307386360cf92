import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import * as c from '../../src/db/collections';
import { campaignCancelled } from '../../src/db/campaigns';
import { type CommandTally, startCommandTally } from '../../src/db/command-tally';
import { type Database, connectDatabase } from '../../src/db/connection';
import { programsTriggeredBy, rebuildProgramIndexes } from '../../src/db/program-index';
import { cachedProgram } from '../../src/db/programs';
import { cachedSetting, setSettingsCacheTtl } from '../../src/db/settings-cache';
import { cachedUnits, storeUnitTree } from '../../src/db/units';
import { DEFAULT_UNITS, ROOT_UNIT } from '../../src/domain/units';
import { waitUntil } from '../support/wait';

const HOUR = 3_600_000;

describe('the settings cache', () => {
  let tally: CommandTally;
  let database: Database;
  /** Another process's client: its writes are not seen by this process's cache until the TTL passes. */
  let elsewhere: MongoClient;
  const dbName = `cxloop_settings_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    tally = startCommandTally();
    database = await connectDatabase(inject('stack').mongoUri, dbName);
    elsewhere = await MongoClient.connect(inject('stack').mongoUri);
  });
  afterAll(async () => {
    tally?.stop();
    await database?.close();
    await elsewhere?.close();
  });
  afterEach(() => setSettingsCacheTtl());

  const programReads = () => tally.counts.get('programs find') ?? 0;

  async function storedProgram(name: string) {
    const id = `p-${randomUUID().slice(0, 8)}`;
    await c.programs(database.db).insertOne({ _id: id, name } as c.ProgramDoc);
    return id;
  }

  it('when the loop asks for a program again and again within the TTL, then it is read once, and concurrent askers share that read', async () => {
    setSettingsCacheTtl(HOUR);
    const id = await storedProgram('Delivery');
    tally.reset();
    const first = await Promise.all([cachedProgram(database.db, id), cachedProgram(database.db, id)]);
    const again = await cachedProgram(database.db, id);
    expect(first.map((p) => p?.name)).toEqual(['Delivery', 'Delivery']);
    expect(again?.name).toBe('Delivery');
    expect(programReads()).toBe(1);
  });

  it('when this process changes a program, then its next step reads the change at once', async () => {
    setSettingsCacheTtl(HOUR);
    const id = await storedProgram('Before');
    expect((await cachedProgram(database.db, id))?.name).toBe('Before');
    await c.programs(database.db).updateOne({ _id: id }, { $set: { name: 'After' } });
    expect((await cachedProgram(database.db, id))?.name).toBe('After');
  });

  it('when another process changes the units tree, then this one keeps its copy until the TTL passes and reads the change after', async () => {
    setSettingsCacheTtl(HOUR);
    expect((await cachedUnits(database.db)).map((u) => u.id)).toEqual(DEFAULT_UNITS.map((u) => u.id));
    const other = elsewhere.db(dbName);
    const europe = { id: 'europe', name: 'Europe', parentId: ROOT_UNIT.id, manager: null, match: { region: ['EU'] } };
    await storeUnitTree(other, [...DEFAULT_UNITS, europe], 0, 'someone@example.com');
    // Within the TTL: the copy read before the other process's save.
    expect((await cachedUnits(database.db)).map((u) => u.id)).not.toContain('europe');
    setSettingsCacheTtl(100);
    await waitUntil('the other process’s units tree', async () =>
      (await cachedUnits(database.db)).some((u) => u.id === 'europe'),
    );
  });

  it('when a program is missing, then that is not kept: one another process saves a moment later is found at the next ask', async () => {
    setSettingsCacheTtl(HOUR);
    const id = `p-${randomUUID().slice(0, 8)}`;
    expect(await cachedProgram(database.db, id)).toBeNull();
    await c.programs(elsewhere.db(dbName)).insertOne({ _id: id, name: 'Just saved' } as c.ProgramDoc);
    expect((await cachedProgram(database.db, id))?.name).toBe('Just saved');
  });

  it('when another process saves a program for a new event type, then the next such event finds it although the trigger index is kept, and known types cost no read', async () => {
    setSettingsCacheTtl(HOUR);
    const known = `known_${randomUUID().slice(0, 8)}`;
    const fresh = `fresh_${randomUUID().slice(0, 8)}`;
    const program = (id: string, trigger: string) =>
      ({
        _id: id,
        name: id,
        kind: 'transactional',
        active: true,
        triggers: [trigger],
        createdAt: new Date(),
      }) as c.ProgramDoc;
    await c.programs(database.db).insertOne(program(`p-${known}`, known));
    await rebuildProgramIndexes(database.db);
    expect(await programsTriggeredBy(database.db, known)).toHaveLength(1);
    const other = elsewhere.db(dbName);
    await c.programs(other).insertOne(program(`p-${fresh}`, fresh));
    await rebuildProgramIndexes(other);
    tally.reset();
    expect((await programsTriggeredBy(database.db, fresh)).map((p) => p._id)).toEqual([`p-${fresh}`]);
    expect(tally.counts.get('lookup_indexes find')).toBe(1);
    tally.reset();
    expect(await programsTriggeredBy(database.db, known)).toHaveLength(1);
    expect(tally.counts.get('lookup_indexes find') ?? 0).toBe(0);
  });

  it('when each customer of a campaign asks whether it was cancelled, then it is read once per TTL: another process’s cancel shows after it, this process’s at once', async () => {
    setSettingsCacheTtl(HOUR);
    const campaignId = `cmp-${randomUUID().slice(0, 8)}`;
    const progress = (db: typeof database.db) => c.campaignProgress(db);
    await progress(database.db).insertOne({ _id: campaignId, status: 'sending' } as c.CampaignProgressDoc);
    expect(await campaignCancelled(database.db, campaignId)).toBe(false);
    tally.reset();
    expect(await campaignCancelled(database.db, campaignId)).toBe(false);
    expect(tally.counts.get('campaign_progress find') ?? 0).toBe(0);
    await progress(elsewhere.db(dbName)).updateOne({ _id: campaignId }, { $set: { status: 'cancelled' } });
    expect(await campaignCancelled(database.db, campaignId)).toBe(false);
    await progress(database.db).updateOne({ _id: campaignId }, { $set: { status: 'cancelled' } });
    expect(await campaignCancelled(database.db, campaignId)).toBe(true);
  });

  it('when a step changes what it was given, then the next step still gets the setting as stored', async () => {
    setSettingsCacheTtl(HOUR);
    const id = await storedProgram('Untouched');
    const given = await cachedProgram(database.db, id);
    given!.name = 'Changed in memory';
    expect((await cachedProgram(database.db, id))?.name).toBe('Untouched');
  });

  it('when a read fails, then it is not kept and the next ask reads again', async () => {
    setSettingsCacheTtl(HOUR);
    let attempts = 0;
    const read = async () => {
      attempts++;
      if (attempts === 1) throw new Error('the database is restarting');
      return 'routing';
    };
    await expect(cachedSetting(database.db, 'routing', 'flaky', read)).rejects.toThrow('restarting');
    await expect(cachedSetting(database.db, 'routing', 'flaky', read)).resolves.toBe('routing');
    await expect(cachedSetting(database.db, 'routing', 'flaky', read)).resolves.toBe('routing');
    expect(attempts).toBe(2);
  });

  it('when this process drops the database, then none of its settings are kept', async () => {
    setSettingsCacheTtl(HOUR);
    const id = await storedProgram('Dropped with its database');
    expect(await cachedProgram(database.db, id)).not.toBeNull();
    await database.db.dropDatabase();
    expect(await cachedProgram(database.db, id)).toBeNull();
  });

  it('when the TTL is 0s, then every ask reads the database', async () => {
    setSettingsCacheTtl(0);
    const id = await storedProgram('Fresh');
    tally.reset();
    await cachedProgram(database.db, id);
    await cachedProgram(database.db, id);
    expect(programReads()).toBe(2);
  });
});
