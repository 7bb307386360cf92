import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { type Harness, startHarness, uid, waitUntil } from '../support/harness';

describe('personal data by role, and every export in the audit log', () => {
  let h: Harness;
  const as = new Map<string, { client: AdminClient; email: string }>();
  const customerIds = [uid('cust'), uid('cust')];

  beforeAll(async () => {
    // Its own database, so that the exports' row counts are known.
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop-personal-data-${Date.now()}` } });
    for (const role of ['operations', 'case_owner', 'viewer'] as const) {
      const user = await createUser(h.db, role);
      as.set(role, { client: await signIn(h.baseUrl, user.email, user.password), email: user.email });
    }
    const now = new Date();
    await c.customers(h.db).insertMany(
      customerIds.map((id) => ({
        _id: id,
        email: `${id}@example.com`,
        name: `Name of ${id}`,
        locale: 'en',
        attributes: { revenue: 12_345 },
        unsubscribed: false,
        createdAt: now,
        updatedAt: now,
      })),
    );
  });
  afterAll(() => h?.stop());

  const client = (role: string) => as.get(role)!.client;
  const exportsBy = (actor: string, subject: string) =>
    c.auditLog(h.db).find({ actor, action: 'export', subject }).sort({ at: -1 }).toArray();

  it('when a case owner or viewer asks for every customer or reply, then it is refused; operations may', async () => {
    for (const role of ['case_owner', 'viewer'])
      for (const table of ['customers', 'replies'])
        expect((await client(role).get(`/admin/export/${table}.csv`)).status, `${role} ${table}`).toBe(403);
    const customers = await client('operations').get('/admin/export/customers.csv');
    expect(customers.status).toBe(200);
    expect(parse(await customers.text(), { columns: true })).toHaveLength(2);
  });

  it('when anyone downloads a CSV, then the audit log says who, which table, the filters and the rows', async () => {
    const operations = as.get('operations')!.email;
    const [entry] = await waitUntil('the export in the audit log', async () => {
      const entries = await exportsBy(operations, 'customers');
      return entries.length ? entries : undefined;
    });
    expect(entry!.after).toEqual({ filters: {}, rows: 2, complete: true });

    const replies = await fetch(`${h.baseUrl}/api/export/replies.csv?programId=nps-after-purchase`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(replies.status).toBe(200);
    await replies.text();
    const [byKey] = await waitUntil('the key’s export in the audit log', async () => {
      const entries = await exportsBy('api-key:test', 'replies');
      return entries.length ? entries : undefined;
    });
    expect(byKey!.after).toEqual({ filters: { programId: 'nps-after-purchase' }, rows: 0, complete: true });

    const owner = as.get('case_owner')!.email;
    expect((await client('case_owner').get('/admin/export/cases.csv')).status).toBe(200);
    const [cases] = await waitUntil('the case owner’s export in the audit log', async () => {
      const entries = await exportsBy(owner, 'cases');
      return entries.length ? entries : undefined;
    });
    expect(cases!.after).toEqual({ filters: { scope: { teams: [], ownerId: owner } }, rows: 0, complete: true });

    const viewer = as.get('viewer')!.email;
    const funnel = await client('viewer').get('/admin/dashboard/funnel.csv?from=2026-01-01&to=2026-01-31');
    expect(funnel.status).toBe(200);
    await funnel.text();
    const [dashboard] = await waitUntil('the viewer’s export in the audit log', async () => {
      const entries = await exportsBy(viewer, 'dashboard-funnel');
      return entries.length ? entries : undefined;
    });
    expect(dashboard!.after).toMatchObject({ filters: { from: '2026-01-01', to: '2026-01-31' }, rows: 5 });
  });

  it('when a case owner or viewer opens case metrics, then the accounts (names, revenue) are not shown', async () => {
    await c.customerScores(h.db).insertOne({ _id: customerIds[0]!, count: 1, sum: 10, cases: 3 });
    for (const role of ['case_owner', 'viewer']) {
      const html = await (await client(role).get('/admin/case-metrics')).text();
      expect(html, role).toContain('id="accounts-hidden"');
      expect(html, role).not.toContain(`Name of ${customerIds[0]}`);
      expect((await client(role).get('/admin/case-metrics/accounts.csv')).status, role).toBe(403);
    }
    const html = await (await client('operations').get('/admin/case-metrics')).text();
    expect(html).toContain(`Name of ${customerIds[0]}`);
  });

  it('when a case owner opens a customer without a case of their teams, then it is refused and not listed', async () => {
    const page = await client('case_owner').get(`/admin/customers/${customerIds[1]}`);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('customers of the cases of your teams');
    const listed = await client('case_owner').get('/admin/customers');
    expect(listed.status).toBe(200);
    const list = await listed.text();
    expect(list).not.toContain(customerIds[1]);
    expect((await client('operations').get(`/admin/customers/${customerIds[1]}`)).status).toBe(200);
  });
});
