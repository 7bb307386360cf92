import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { afterEach, expect, inject, it } from 'vitest';
import { uid, waitUntil } from '../support/harness';
import { startOwnFerretDB } from '../support/own-ferretdb';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('a server that finds its port taken is started again, a bounded number of times, and says why it gave up', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-ports-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const squatter = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => squatter.close(() => resolve())));
  const port = (squatter.address() as net.AddressInfo).port;
  const log: string[] = [];

  const start = startOwnFerretDB({ dataDir, port, log: (line) => log.push(line) });

  await expect(start).rejects.toThrow(/FerretDB exited .*address already in use/s);
  expect(log.filter((line) => line.includes('a port it needed was taken meanwhile'))).toHaveLength(2);
});

// FerretDB's own `_id` index does not serve its `_id` lookups (see stack/cxloop-stack/id_indexes.go).
it.skipIf(Boolean(process.env.MONGODB_URI))(
  'FerretDB finds a document by _id through an index, in a collection created while it runs',
  async () => {
    const client = await MongoClient.connect(inject('stack').mongoUri);
    const db = client.db(uid('ids').replace(/[^A-Za-z0-9_]/g, '_'));
    cleanups.push(async () => {
      await db.dropDatabase();
      await client.close();
    });
    const things = db.collection<{ _id: string; n: number }>('things');
    await things.insertMany(Array.from({ length: 100 }, (_, n) => ({ _id: `thing-${n}`, n })));
    const plan = async () =>
      JSON.stringify(
        ((await db.command({ explain: { find: 'things', filter: { _id: 'thing-42' } } })) as { queryPlanner: unknown })
          .queryPlanner,
      );
    // FerretDB's connections see a new index from their next write on.
    const indexed = await waitUntil('an index on _id', async () => {
      await things.insertOne({ _id: uid('write'), n: -1 });
      const found = await plan();
      return found.includes('USING INDEX') ? found : undefined;
    });
    expect(indexed).toMatch(/SEARCH .*_cxloop_id/);
    expect(await things.findOne({ _id: 'thing-42' })).toEqual({ _id: 'thing-42', n: 42 });
  },
);
