import type { Server } from 'node:http';
import express from 'express';
import type { Options } from 'express-rate-limit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CommandTally, startCommandTally } from '../../src/db/command-tally';
import { type Database, connectDatabase } from '../../src/db/connection';
import { RATE_LIMITS } from '../../src/db/collections';
import { type LimitDeps, SharedStore, publicLimit } from '../../src/web/rate-limits';
import { FILE_DB, uid, waitUntil } from '../support/harness';

/** An app behind the public limit, answering 200 to anything it lets through. */
async function limitedApp(deps: LimitDeps): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(publicLimit(deps), (_req, res) => {
    res.send('ok');
  });
  const server = app.listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/s/x`, server };
}

describe('the per-request rate limits’ store', () => {
  let database: Database;
  let tally: CommandTally;
  const servers: Server[] = [];

  beforeAll(async () => {
    // Started first: only clients connected afterwards are counted.
    tally = startCommandTally();
    database = await connectDatabase(inject('stack').mongoUri, FILE_DB);
  });

  afterAll(async () => {
    for (const server of servers) server.close();
    tally.stop();
    await database.close();
  });

  it('counts one IP over two web processes together: 429 with Retry-After once the limit is spent, by _id alone', async () => {
    const deps: LimitDeps = {
      db: database.db,
      limits: { loginPerAccount: 5, apiPerKey: 5, publicPerIp: 4 },
      scope: uid('rl'),
    };
    const apps = [await limitedApp(deps), await limitedApp(deps)];
    servers.push(...apps.map((app) => app.server));
    tally.reset();
    const answers: { status: number; retryAfter: string | null }[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(apps[i % 2]!.url, { headers: { 'x-forwarded-for': '10.9.9.9' } });
      await res.text();
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(Number(answers[4]!.retryAfter)).toBeGreaterThan(0);
    expect(Number(answers[4]!.retryAfter)).toBeLessThanOrEqual(60);
    // One conditional write per request, selecting by `_id` alone: no scan on the embedded store.
    expect(Object.fromEntries(tally.counts)).toEqual({ [`${RATE_LIMITS} findAndModify`]: 6 });
    expect(tally.scans.size).toBe(0);
  });

  it('starts a new window once the last has expired', async () => {
    const store = new SharedStore(database.db, uid('window'));
    store.init({ windowMs: 300 } as Options);
    expect((await store.increment('ip')).totalHits).toBe(1);
    const second = await store.increment('ip');
    expect(second.totalHits).toBe(2);
    expect(await store.get('ip')).toEqual({ totalHits: 2, resetTime: second.resetTime });
    await waitUntil('the window to expire', async () => (await store.get('ip')) === undefined);
    const next = await store.increment('ip');
    expect(next.totalHits).toBe(1);
    expect(next.resetTime!.getTime()).toBeGreaterThan(second.resetTime!.getTime());
  });
});
