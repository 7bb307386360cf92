/**
 * Customer import: a CSV file streamed to the production web process (`npm run web`, its own OS
 * process) on the embedded stack as `npm start` runs it — rows/s for new customers and for a
 * re-import of the same file (every row unchanged), against the raw rate of `insertMany` of the
 * same documents into the same FerretDB measured in the same run; and the web process's peak
 * memory for a small and a large file (streaming should keep it flat).
 * `npm run bench:import` (BENCH_IMPORT_ROWS, default 100,000; the small file is a tenth);
 * results in bench/results/import-<time>.json. Exits non-zero when a row is refused or missing.
 */
import os from 'node:os';
import { Readable } from 'node:stream';
import { connectDatabase } from '../src/db/connection';
import type { CxProcess } from '../test/support/launch';
import { round, rssMb, sleep, startDeployment, writeResults } from './deployment';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);
const SMALL = Math.max(1, Math.round(ROWS / 10));

/** The file, generated as it is sent: the bench itself never holds it whole either. */
function csvFile(prefix: string, rows: number): Readable {
  return Readable.from(
    (function* () {
      yield 'id,email,name,region,revenue\n';
      for (let i = 0; i < rows; i++)
        yield `${prefix}-${i},${prefix}-${i}@example.com,Customer ${i},${['EU', 'US', 'APAC'][i % 3]},${i % 5000}\n`;
    })(),
  );
}

interface Phase {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  result: Record<string, unknown>;
}

async function importPhase(web: CxProcess, apiKey: string, prefix: string, rows: number): Promise<Phase> {
  let peak = rssMb(web.pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(web.pid))), 100);
  const started = performance.now();
  try {
    const authorization = `Bearer ${apiKey}`;
    // As the import page does: 202 once the file is received, then its progress until it ends.
    const res = await fetch(`${web.url}/api/customers:import`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'text/csv', prefer: 'respond-async' },
      body: Readable.toWeb(csvFile(prefix, rows)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    let result = (await res.json()) as Record<string, unknown>;
    if (res.status !== 202) throw new Error(`import of ${rows} rows answered ${res.status}: ${JSON.stringify(result)}`);
    while (result.status === 'running') {
      await sleep(250);
      result = (await (
        await fetch(`${web.url}${res.headers.get('location')}`, { headers: { authorization } })
      ).json()) as Record<string, unknown>;
    }
    if (result.status !== 'done' || result.rows !== rows || result.failed !== 0)
      throw new Error(`import of ${rows} rows ended ${JSON.stringify(result)}`);
    const seconds = (performance.now() - started) / 1000;
    return { rows, seconds: round(seconds), rowsPerSecond: round(rows / seconds), peakRssMb: round(peak), result };
  } finally {
    clearInterval(sampler);
  }
}

async function rawInsertRate(mongoUri: string, rows: number): Promise<number> {
  const database = await connectDatabase(mongoUri, 'cxloop_bench_import_raw');
  try {
    const now = new Date();
    const started = performance.now();
    for (let from = 0; from < rows; from += 1_000) {
      const docs = Array.from({ length: Math.min(1_000, rows - from) }, (_, k) => {
        const i = from + k;
        return {
          _id: `raw-${i}`,
          email: `raw-${i}@example.com`,
          name: `Customer ${i}`,
          locale: 'en',
          attributes: { region: ['EU', 'US', 'APAC'][i % 3]!, revenue: i % 5000 },
          unsubscribed: false,
          createdAt: now,
          updatedAt: now,
        };
      });
      await database.db.collection<{ _id: string }>('customers').insertMany(docs);
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await database.close();
  }
}

async function main() {
  console.log(`customer import: ${SMALL} and ${ROWS} rows, then ${ROWS} again unchanged`);
  const deployment = await startDeployment({ name: 'cxloop_bench_import', webs: 1, workers: 0 });
  try {
    const web = deployment.webs[0]!;
    const apiKey = deployment.apiKey;
    const idleRssMb = round(rssMb(web.pid));

    const small = await importPhase(web, apiKey, 'small', SMALL);
    console.log(`${SMALL} new rows: ${small.rowsPerSecond} rows/s, peak RSS ${small.peakRssMb} MB`);
    const large = await importPhase(web, apiKey, 'large', ROWS);
    console.log(`${ROWS} new rows: ${large.rowsPerSecond} rows/s, peak RSS ${large.peakRssMb} MB`);
    // Each existing row is looked up on its own; a file of many of them can outlast Node's
    // 5-minute request limit (`requestTimeout`), which is recorded rather than hidden.
    const again = await importPhase(web, apiKey, 'large', ROWS).catch((err: Error) => ({ error: err.message }));
    if ('result' in again && again.result.unchanged !== ROWS)
      throw new Error(`re-import changed rows: ${JSON.stringify(again.result)}`);
    console.log(
      'error' in again
        ? `${ROWS} unchanged rows: failed (${again.error})`
        : `${ROWS} unchanged rows: ${again.rowsPerSecond} rows/s, peak RSS ${again.peakRssMb} MB`,
    );
    const raw = round(await rawInsertRate(deployment.stack.mongoUri, ROWS));
    console.log(`raw insertMany of ${ROWS} documents: ${raw} rows/s`);

    const results = {
      at: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      rows: ROWS,
      idleRssMb,
      small,
      large,
      reimport: again,
      rawInsertRowsPerSecond: raw,
      importVsRaw: round(large.rowsPerSecond / raw),
      memoryGrowthLargeVsSmall: round((large.peakRssMb - idleRssMb) / Math.max(1, small.peakRssMb - idleRssMb)),
    };
    console.log(
      `import ${results.importVsRaw}× the raw insert rate; peak RSS ${large.peakRssMb} MB for ${ROWS} rows vs ${small.peakRssMb} MB for ${SMALL} (idle ${idleRssMb} MB)`,
    );
    console.log(`results: ${writeResults('import', results)}`);
  } finally {
    await deployment.stop();
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
