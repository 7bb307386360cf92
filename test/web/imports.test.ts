import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type Harness, api, startHarness, uid, waitUntil } from '../support/harness';

async function importCsv(
  h: Harness,
  csv: string,
  contentType = 'text/csv',
  query = '',
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${h.baseUrl}/api/customers:import${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': contentType, ...headers },
    body: csv,
  });
  return {
    status: res.status,
    location: res.headers.get('location'),
    json: (await res.json()) as Record<string, unknown> & { id: string; error?: string },
  };
}

describe('customer import from CSV', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  it('creates good rows, keeps each bad row with its line and reason, and a second import changes nothing', async () => {
    const [a, b, bad] = [uid('imp'), uid('imp'), uid('imp')];
    const csv = [
      'id,email,name,locale,region,revenue,attributes.zip',
      `${a},${a}@example.com,"Doe, Jo",de,EU,1200,01234`,
      `${b},${b}@example.com,"Multi\nline",,US,80.5,`,
      `${bad},not-an-email,,,EU,,`,
      `${uid('imp')},x@example.com,,english,,,`,
      `${a},${a}@example.com,"Doe, Jo",de,EU,1200,01234`,
    ].join('\r\n');
    const first = await importCsv(h, csv);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ status: 'done', rows: 5, created: 2, unchanged: 1, updated: 0, failed: 2 });
    expect(await c.customers(h.db).findOne({ _id: a })).toMatchObject({
      email: `${a}@example.com`,
      name: 'Doe, Jo',
      locale: 'de',
      attributes: { region: 'EU', revenue: 1200, zip: '01234' },
    });
    expect(await c.customers(h.db).findOne({ _id: b })).toMatchObject({ name: 'Multi\nline', locale: 'en' });

    const errors = await fetch(`${h.baseUrl}/api/imports/${first.json.id}/errors.csv`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(errors.status).toBe(200);
    const rows = parse(await errors.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toEqual([
      { line: '5', customerId: bad, message: expect.stringMatching(/^email: /) },
      { line: '6', customerId: expect.any(String), message: expect.stringMatching(/^locale: /) },
    ]);

    const before = await c.customers(h.db).findOne({ _id: a });
    const second = await importCsv(h, csv);
    expect(second.json).toMatchObject({ rows: 5, created: 0, updated: 0, unchanged: 3, failed: 2 });
    expect((await c.customers(h.db).findOne({ _id: a }))?.updatedAt).toEqual(before?.updatedAt);
    expect((await api(h, 'GET', `/api/imports/${second.json.id}`)).json).toMatchObject({ status: 'done', rows: 5 });
  });

  it('hands a changed customer to their loop, which applies it', async () => {
    const id = uid('imp');
    await importCsv(h, `id,email,plan\n${id},${id}@example.com,basic\n`);
    const changed = await importCsv(h, `id,email,plan\n${id},${id}@example.com,premium\n`);
    expect(changed.json).toMatchObject({ updated: 1, created: 0 });
    await waitUntil('the loop to apply the change', async () =>
      (await c.customers(h.db).findOne({ _id: id }))?.attributes.plan === 'premium' ? true : undefined,
    );
  });

  it('maps columns as the upload says, under an import ID the caller chose', async () => {
    const id = uid('imp');
    const importId = crypto.randomUUID();
    const map = JSON.stringify({ Customer: 'id', 'E-mail': 'email', Notes: 'ignore', Area: 'attributes.region' });
    const result = await importCsv(
      h,
      `Customer,E-mail,Notes,Area\n${id},${id}@example.com,call back,APAC\n`,
      'text/csv',
      `?importId=${importId}&map=${encodeURIComponent(map)}`,
    );
    expect(result.json).toMatchObject({ id: importId, created: 1 });
    expect((await c.customers(h.db).findOne({ _id: id }))?.attributes).toEqual({ region: 'APAC' });
    expect((await api(h, 'GET', `/api/imports/${importId}`)).json).toMatchObject({ status: 'done', created: 1 });
    const reused = await importCsv(h, `id,email\n${id},${id}@example.com\n`, 'text/csv', `?importId=${importId}`);
    expect(reused.status).toBe(409);
    const badMap = await importCsv(h, 'id,email\n', 'text/csv', `?map=${encodeURIComponent('{"id":"password"}')}`);
    expect(badMap.status).toBe(400);
  });

  it('imports 2,000 rows a batch at a time', async () => {
    const run = uid('bulk');
    const lines = Array.from({ length: 2_000 }, (_, i) => `${run}-${i},${run}-${i}@example.com,${i % 7}`);
    const result = await importCsv(h, ['id,email,segment', ...lines].join('\n'));
    expect(result.json).toMatchObject({ rows: 2_000, created: 2_000, failed: 0 });
    expect(await c.customers(h.db).countDocuments({ _id: { $regex: `^${run}-` } })).toBe(2_000);
  }, 120_000);

  it('with Prefer: respond-async, answers 202 once it has the file and imports the rows while the caller follows', async () => {
    const run = uid('async');
    const lines = Array.from({ length: 500 }, (_, i) => `${run}-${i},${run}-${i}@example.com`);
    const accepted = await importCsv(h, ['id,email', ...lines].join('\n'), 'text/csv', '', {
      prefer: 'respond-async',
    });
    expect(accepted).toMatchObject({ status: 202, json: { status: 'running' } });
    expect(accepted.location).toBe(`/api/imports/${accepted.json.id}`);
    const done = await waitUntil('the import to finish', async () => {
      const job = (await api(h, 'GET', accepted.location!)).json;
      return job.status === 'running' ? undefined : job;
    });
    expect(done).toMatchObject({ status: 'done', rows: 500, created: 500, failed: 0 });

    // A header it cannot use is refused at once; a broken row later fails the job, which says why.
    const async = { prefer: 'respond-async' };
    expect((await importCsv(h, 'email\na@example.com\n', 'text/csv', '', async)).status).toBe(400);
    const broken = await importCsv(
      h,
      `id,email\n${run}-x,x@example.com\n"unclosed,a@example.com\n`,
      'text/csv',
      '',
      async,
    );
    expect(broken.status).toBe(202);
    const failed = await waitUntil('the broken import to fail', async () => {
      const job = (await api(h, 'GET', broken.location!)).json;
      return job.status === 'running' ? undefined : job;
    });
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/not a valid CSV/) });
  });

  it('refuses a file it cannot read with a 4xx that says why', async () => {
    expect(await importCsv(h, 'email,name\na@example.com,A\n')).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/id and email/) },
    });
    expect(await importCsv(h, '')).toMatchObject({ status: 400, json: { error: expect.stringMatching(/empty/) } });
    expect(await importCsv(h, 'id,email\n"unclosed,a@example.com\n')).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/not a valid CSV/) },
    });
    expect(await importCsv(h, 'id,email,id\n1,a@example.com,2\n')).toMatchObject({
      status: 400,
      json: { error: expect.stringMatching(/twice/) },
    });
    expect((await importCsv(h, '{"id":1}', 'application/json')).status).toBe(415);
    expect((await api(h, 'GET', '/api/imports/no-such-import')).status).toBe(404);
  });
});
