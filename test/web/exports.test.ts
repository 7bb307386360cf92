import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { createUser, signIn } from '../support/admin';
import { createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';
import {
  type Harness,
  api,
  createProgram,
  inviteNewCustomer,
  postForm,
  startHarness,
  uid,
  waitUntil,
} from '../support/harness';

/** A download parsed as a spreadsheet would read it: one object per row, keyed by the header. */
async function download(h: Harness, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${h.apiKey}`, ...headers } });
  const text = await res.text();
  return { res, rows: res.ok ? (parse(text, { columns: true }) as Record<string, string>[]) : [] };
}

describe('CSV exports of customers, replies and cases', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    await setUpCaseRouting(h);
  });
  afterAll(() => h?.stop());

  it('exports every customer with their attributes, quoting what needs it and defusing formulas', async () => {
    const programId = await createProgram(h);
    const { customer } = await inviteNewCustomer(h, programId, {
      customer: {
        attributes: {
          region: 'EU',
          remark: 'Doe, "Jo"\nSecond line',
          note: '=HYPERLINK("http://evil")',
          revenue: 1200,
        },
      },
    });
    const { res, rows } = await download(h, '/api/export/customers.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="?customers\.csv"?$/);
    const row = rows.find((r) => r.id === customer.id);
    expect(row).toMatchObject({
      email: customer.email,
      'attributes.remark': 'Doe, "Jo"\nSecond line',
      unsubscribed: 'false',
      erased: 'false',
      'attributes.region': 'EU',
      'attributes.note': `'=HYPERLINK("http://evil")`,
      'attributes.revenue': '1200',
    });
    expect(rows.length).toBe(await c.customers(h.db).countDocuments());
  });

  it('exports replies and cases of one program, and refuses an unknown filter with 400', async () => {
    const followUpProgram = await createFollowUpProgram(h);
    const programId = await createCaseProgram(h, { firstResponse: '1h', resolution: '1d', followUpProgram });
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    expect((await postForm(link, { nps: '2', went_wrong: 'late delivery' })).status).toBe(200);
    await waitUntil('the reply to be scored and its case opened', async () =>
      (await c.responses(h.db).findOne({ _id: invitationId, finalizedAt: { $exists: true } })) &&
      (await c.cases(h.db).findOne({ _id: invitationId }))
        ? true
        : undefined,
    );
    const replies = await download(h, `/api/export/replies.csv?programId=${programId}`);
    expect(replies.rows).toEqual([
      expect.objectContaining({
        id: invitationId,
        programId,
        nps: '2',
        npsCategory: 'detractor',
        verbatim: 'late delivery',
      }),
    ]);
    const cases = await download(h, `/api/export/cases.csv?programId=${programId}`);
    expect(cases.rows).toEqual([expect.objectContaining({ id: invitationId, programId, status: 'open' })]);

    // A partial document (an older version's, say) is a row with empty cells, not a failed export.
    const legacyProgram = uid('legacy');
    await h.db.collection('cases').insertOne({ _id: uid('case') as never, programId: legacyProgram, status: 'open' });
    const legacy = await download(h, `/api/export/cases.csv?programId=${legacyProgram}`);
    expect(legacy.res.status).toBe(200);
    expect(legacy.rows).toEqual([expect.objectContaining({ programId: legacyProgram, reasons: '', openedAt: '' })]);

    const bad = await api(h, 'GET', '/api/export/replies.csv?since=yesterday');
    expect(bad.status).toBe(400);
  });

  it('needs the read scope, and in the admin UI a role that sees customers', async () => {
    expect((await fetch(`${h.baseUrl}/api/export/cases.csv`)).status).toBe(401);
    const viewer = await createUser(h.db, 'viewer');
    const client = await signIn(h.baseUrl, viewer.email, viewer.password);
    expect((await client.get('/admin/export/customers.csv')).status).toBe(403);
    const operations = await createUser(h.db, 'operations');
    const allowed = await signIn(h.baseUrl, operations.email, operations.password);
    const res = await allowed.get('/admin/export/customers.csv');
    expect(res.status).toBe(200);
    expect((await res.text()).split('\n')[0]).toMatch(/^id,email,name,locale/);
  });
});
