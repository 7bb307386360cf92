import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
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
