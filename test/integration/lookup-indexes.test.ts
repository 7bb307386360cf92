import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { changeUser } from '../../src/app/people';
import { deleteProgram, setProgramActive } from '../../src/app/programs';
import { createWebhook, deleteWebhook } from '../../src/app/webhooks';
import * as c from '../../src/db/collections';
import { startCommandTally } from '../../src/db/command-tally';
import { type Database, connectDatabase } from '../../src/db/connection';
import { frontlinePeople } from '../../src/db/frontline-index';
import { type LookupIndex, readLookupIndex, rebuildLookupIndex } from '../../src/db/lookup-index';
import { programsTriggeredBy } from '../../src/db/program-index';
import { setSettingsCacheTtl } from '../../src/db/settings-cache';
import { webhookIdsFor } from '../../src/db/webhook-index';
import { parseAllowList } from '../../src/domain/webhook-destination';
import type { LoopSettings } from '../../src/temporal/loop-client';
import { ADMIN, type Harness, createProgram } from '../support/harness';
import { createUser } from '../support/admin';
import { uid } from '../support/ids';

/** No Temporal here: a program's schedule is then left to the sweep, its record is saved all the same. */
const NO_TEMPORAL: LoopSettings = {
  temporal: {
    schedule: {
      getHandle: () => {
        throw new Error('no Temporal in this test');
      },
    },
  } as unknown as Client,
  taskQueue: 'lookup-indexes',
  loopIdleTimeout: '1h',
  customerKeySecret: 'lookup-indexes',
  log: () => {},
};

const ALLOW = parseAllowList('hooks.example');

describe('lookup indexes: what the hot path reads by `_id` instead of scanning admin collections', () => {
  let database: Database;
  const db = () => database.db;

  beforeAll(async () => {
    database = await connectDatabase(inject('stack').mongoUri, `cxloop_${uid('lookup').replace(/-/g, '_')}`);
  });
  afterAll(async () => {
    await database?.db.dropDatabase();
    await database?.close();
  });

  it('when webhooks are created together and two deleted together, then the index names exactly the ones left for each event', async () => {
    const created = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        createWebhook(
          db(),
          { url: `https://hooks.example/${i}`, events: i % 2 ? ['case.opened'] : ['case.opened', 'case.closed'] },
          ADMIN.email,
          ALLOW,
        ),
      ),
    );
    const ids = created.map((hook) => hook.id);
    expect((await webhookIdsFor(db(), 'case.opened')).sort()).toEqual([...ids].sort());
    expect((await webhookIdsFor(db(), 'case.closed')).sort()).toEqual(ids.filter((_, i) => i % 2 === 0).sort());
    expect(await webhookIdsFor(db(), 'customer.erased')).toEqual([]);

    await Promise.all([deleteWebhook(db(), ids[0]!, ADMIN.email), deleteWebhook(db(), ids[1]!, ADMIN.email)]);
    expect((await webhookIdsFor(db(), 'case.opened')).sort()).toEqual(ids.slice(2).sort());
    expect((await webhookIdsFor(db(), 'case.closed')).sort()).toEqual([ids[2]!, ids[4]!].sort());
  });

  it('when programs are saved together, paused and deleted, then an event type triggers exactly the active ones', async () => {
    const trigger = uid('order').replace(/[^a-z0-9_.-]/g, '');
    const harness = { db: db() } as Harness;
    const programIds = await Promise.all(
      Array.from({ length: 4 }, () => createProgram(harness, { triggers: [trigger] })),
    );
    const triggered = async () => (await programsTriggeredBy(db(), trigger)).map((p) => p._id).sort();
    expect(await triggered()).toEqual([...programIds].sort());

    expect(await setProgramActive(db(), NO_TEMPORAL, programIds[0]!, false, ADMIN.email)).toBe(true);
    await deleteProgram(db(), NO_TEMPORAL, programIds[1]!, ADMIN.email);
    expect(await triggered()).toEqual(programIds.slice(2).sort());
    expect(await programsTriggeredBy(db(), `${trigger}-other`)).toEqual([]);

    await setProgramActive(db(), NO_TEMPORAL, programIds[0]!, true, ADMIN.email);
    expect(await triggered()).toEqual([programIds[0]!, ...programIds.slice(2)].sort());
  });

  it('when frontline IDs are given together and a person is disabled, then praise sees exactly the enabled ones', async () => {
    const people = await Promise.all([createUser(db(), 'frontline'), createUser(db(), 'frontline')]);
    await Promise.all(
      people.map((person, i) =>
        changeUser(db(), ADMIN.email, person.email, { action: 'frontline', frontlineId: uid(`agent-${i}`) }),
      ),
    );
    const names = async () => (await frontlinePeople(db())).map((person) => person.id).sort();
    expect(await names()).toEqual(people.map((person) => person.email).sort());

    await changeUser(db(), ADMIN.email, people[0]!.email, { action: 'units', units: [] });
    expect((await frontlinePeople(db())).find((person) => person.id === people[0]!.email)?.units).toEqual([]);
    await changeUser(db(), ADMIN.email, people[0]!.email, { action: 'disable' });
    expect(await names()).toEqual([people[1]!.email]);
    await changeUser(db(), ADMIN.email, people[1]!.email, { action: 'frontline', frontlineId: '' });
    expect(await names()).toEqual([]);
  });

  it('when a slower rebuild read the collection before a later change and publishes last, then it publishes again what it reads after', async () => {
    let value = 'first';
    let release!: () => void;
    let hasRead!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const read = new Promise<void>((resolve) => (hasRead = resolve));
    const index: LookupIndex<string> = { id: uid('index'), build: async () => value };
    const slow = rebuildLookupIndex(db(), {
      ...index,
      build: async () => {
        const seen = value;
        hasRead();
        await held;
        return seen;
      },
    });
    // The slow rebuild has read 'first'; then the change, and a rebuild that publishes before it.
    await read;
    value = 'second';
    expect(await rebuildLookupIndex(db(), index)).toBe('second');
    release();
    // It published what it read, read again, and published that.
    expect(await slow).toBe('second');
    expect(await readLookupIndex(db(), index)).toBe('second');
  });

  it('when the hot path asks, then each index is one read by `_id` (no scan), the programs each another', async () => {
    // What each ask costs when the settings cache does not answer it (src/db/settings-cache.ts).
    setSettingsCacheTtl(0);
    onTestFinished(() => setSettingsCacheTtl());
    const trigger = uid('tally').replace(/[^a-z0-9_.-]/g, '');
    await createProgram({ db: db() } as Harness, { triggers: [trigger] });
    // Built already, as a migrated database's are.
    await Promise.all([webhookIdsFor(db(), 'case.opened'), frontlinePeople(db())]);
    const tally = startCommandTally();
    const counted = await connectDatabase(inject('stack').mongoUri, db().databaseName);
    try {
      await webhookIdsFor(counted.db, 'case.opened');
      await frontlinePeople(counted.db);
      expect(await programsTriggeredBy(counted.db, trigger)).toHaveLength(1);
    } finally {
      tally.stop();
      await counted.close();
    }
    expect(Object.fromEntries(tally.counts)).toEqual({ 'lookup_indexes find': 3, 'programs find': 1 });
    expect(tally.scans.size).toBe(0);
    expect(await c.programs(db()).countDocuments({ triggers: trigger })).toBe(1);
  });
});
