import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiKey } from '../../src/bootstrap';
import { hashApiKey } from '../../src/app/credentials';
import * as c from '../../src/db/collections';
import { storeRouting } from '../../src/db/routing';
import { OUT_OF_SCOPE } from '../../src/domain/case-access';
import { ZRouting } from '../../src/domain/routing';
import { OUT_OF_UNITS, ZUnits } from '../../src/domain/units';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { caseDocOf } from '../support/cases';
import { ADMIN, type Harness, startHarness, uid } from '../support/harness';

const csvRows = async (res: Response) => parse(await res.text(), { columns: true }) as Record<string, string>[];

describe('case queues, customers and exports by organisation unit', () => {
  let h: Harness;
  let gm: AdminClient;
  let usAgent: AdminClient;
  let admin: AdminClient;
  const euKey = `eu-key-${uid('secret')}`;
  const euCustomer = uid('cust-eu');
  const euQuiet = uid('cust-eu-quiet');
  const usCustomer = uid('cust-us');
  const euCase = uid('case-eu');
  const usCase = uid('case-us');

  const asKey = (path: string, init: RequestInit = {}) =>
    fetch(`${h.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${euKey}`, 'content-type': 'application/json', ...init.headers },
    });

  beforeAll(async () => {
    // Its own database: the routing and the unit tree are one per database.
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop-unit-cases-${Date.now()}` } });
    const now = new Date();
    await c.orgUnits(h.db).insertOne({
      _id: 'units',
      units: ZUnits.parse([
        { id: 'company', name: 'Company', parentId: null },
        { id: 'eu', name: 'Europe', parentId: 'company', match: { region: ['eu'] } },
        { id: 'us', name: 'United States', parentId: 'company', match: { region: ['us'] } },
      ]),
      version: 1,
      updatedAt: now,
      updatedBy: 'test',
    });
    const people = {
      gm: await createUser(h.db, 'case_owner'),
      euAgent: await createUser(h.db, 'case_owner'),
      usAgent: await createUser(h.db, 'case_owner'),
      manager: await createUser(h.db, 'case_owner'),
    };
    // The general manager of Europe: responsible for the unit, a member of no team.
    await c.users(h.db).updateOne({ _id: people.gm.email }, { $set: { units: ['eu'] } });
    await storeRouting(
      h.db,
      ZRouting.parse({
        teams: [
          {
            id: 'eu-care',
            name: 'EU care',
            members: [people.euAgent.email],
            manager: people.manager.email,
            unit: 'eu',
          },
          {
            id: 'us-care',
            name: 'US care',
            members: [people.usAgent.email],
            manager: people.manager.email,
            unit: 'us',
          },
        ],
        fallbackTeam: 'us-care',
        rootCauses: ['Delivery delay', 'Other'],
      }),
      'test',
    );
    const customer = (id: string, region: string): c.CustomerDoc => ({
      _id: id,
      email: `${id}@example.com`,
      name: `Name of ${id}`,
      locale: 'en',
      attributes: { region, revenue: 1000 },
      unsubscribed: false,
      createdAt: now,
      updatedAt: now,
    });
    await c
      .customers(h.db)
      .insertMany([customer(euCustomer, 'eu'), customer(euQuiet, 'eu'), customer(usCustomer, 'us')]);
    await c
      .cases(h.db)
      .insertMany([
        caseDocOf(euCase, 'eu-care', people.euAgent.email, euCustomer, 'unit-program'),
        caseDocOf(usCase, 'us-care', people.usAgent.email, usCustomer, 'unit-program'),
      ]);
    const reply = (id: string, customerId: string): c.ResponseDoc => ({
      _id: id,
      invitationId: id,
      programId: 'unit-program',
      customerId,
      answers: { nps: 3 },
      submittedAt: now,
      updatedAt: now,
      editableUntil: now,
      edits: 0,
    });
    await c.responses(h.db).insertMany([reply(euCase, euCustomer), reply(usCase, usCustomer)]);
    await ensureApiKey(h.db, euKey, 'eu integration', ['read', 'write']);
    await c.apiKeys(h.db).updateOne({ _id: hashApiKey(euKey) }, { $set: { units: ['eu'] } });
    gm = await signIn(h.baseUrl, people.gm.email, people.gm.password);
    usAgent = await signIn(h.baseUrl, people.usAgent.email, people.usAgent.password);
    admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
  });
  afterAll(() => h?.stop());

  it('when the general manager of Europe opens the queues, then Europe’s cases are there and no US case', async () => {
    const all = await (await gm.get('/admin/cases?view=all')).text();
    expect(all).toContain(euCase);
    expect(all).not.toContain(usCase);
    const team = await (await gm.get('/admin/cases?view=team')).text();
    expect(team).toContain('EU care');
    expect(team).toContain(euCase);
  });

  it('when they open a case, then Europe’s opens and a US case and its actions are refused with 403', async () => {
    expect((await gm.get(`/admin/cases/${euCase}`)).status).toBe(200);
    const refused = await gm.get(`/admin/cases/${usCase}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(OUT_OF_SCOPE.slice(0, 40));
    const action = await gm.post(`/admin/cases/${usCase}/note`, { note: 'looking into it' });
    expect(action.status).toBe(403);
    // Europe's case: through the check, to the case itself (no workflow runs here, so not 403 and not a 500).
    const own = await gm.post(`/admin/cases/${euCase}/note`, { note: 'looking into it' });
    expect(own.status).not.toBe(403);
    expect(own.status).toBeLessThan(500);
  });

  it('when they list and open customers, then only Europe’s show; a US customer is refused as out of units', async () => {
    const list = await (await gm.get('/admin/customers')).text();
    expect(list).toContain(euCustomer);
    expect(list).not.toContain(usCustomer);
    expect((await gm.get(`/admin/customers/${euCustomer}`)).status).toBe(200);
    const refused = await gm.get(`/admin/customers/${usCustomer}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(OUT_OF_UNITS.slice(0, 40));
  });

  it('when they download cases, then only Europe’s are in the file', async () => {
    const rows = await csvRows(await gm.get('/admin/export/cases.csv'));
    expect(rows.map((row) => row.id)).toEqual([euCase]);
  });

  it('when a team member without units opens the queues, then they see their team’s cases as before', async () => {
    const all = await (await usAgent.get('/admin/cases?view=all')).text();
    expect(all).toContain(usCase);
    expect(all).not.toContain(euCase);
  });

  it('when an admin opens the queues, customers and exports, then every unit is there', async () => {
    const all = await (await admin.get('/admin/cases?view=all')).text();
    expect(all).toContain(euCase);
    expect(all).toContain(usCase);
    expect((await admin.get(`/admin/customers/${usCustomer}`)).status).toBe(200);
    const customers = await csvRows(await admin.get('/admin/export/customers.csv'));
    expect(customers.map((row) => row.id).sort()).toEqual([euCustomer, euQuiet, usCustomer].sort());
  });

  it('when a key restricted to Europe reads cases, then Europe’s are listed and a US case is refused', async () => {
    const list = (await (await asKey('/api/cases')).json()) as { items: { _id: string }[] };
    expect(list.items.map((item) => item._id)).toEqual([euCase]);
    expect((await asKey(`/api/cases/${euCase}`)).status).toBe(200);
    expect((await asKey(`/api/cases/${usCase}`)).status).toBe(403);
    const action = await asKey(`/api/cases/${usCase}/note`, { method: 'POST', body: JSON.stringify({ note: 'x' }) });
    expect(action.status).toBe(403);
    const cases = await csvRows(await asKey('/api/export/cases.csv'));
    expect(cases.map((row) => row.id)).toEqual([euCase]);
  });

  it('when a key restricted to Europe reads customers, then only Europe’s customers and replies reach it', async () => {
    const list = (await (await asKey('/api/customers')).json()) as { items: { _id: string }[] };
    expect(list.items.map((item) => item._id).sort()).toEqual([euCustomer, euQuiet].sort());
    expect((await asKey(`/api/customers/${euCustomer}`)).status).toBe(200);
    const refused = await asKey(`/api/customers/${usCustomer}`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('not responsible for');
    const customers = await csvRows(await asKey('/api/export/customers.csv'));
    expect(customers.map((row) => row.id).sort()).toEqual([euCustomer, euQuiet].sort());
    const replies = await csvRows(await asKey('/api/export/replies.csv'));
    expect(replies.map((row) => row.customerId)).toEqual([euCustomer]);
    // Replies do not carry the customer's attributes: the list names one customer of the key's units.
    expect((await asKey('/api/responses')).status).toBe(403);
    expect((await asKey(`/api/responses?customerId=${usCustomer}`)).status).toBe(403);
    const own = (await (await asKey(`/api/responses?customerId=${euCustomer}`)).json()) as { items: unknown[] };
    expect(own.items).toHaveLength(1);
  });

  it('when a key restricted to Europe writes a customer, then it may not reach or move one outside Europe', async () => {
    const put = (id: string, attributes: Record<string, string>) =>
      asKey(`/api/customers/${id}`, {
        method: 'PUT',
        body: JSON.stringify({ email: `${id}@example.com`, attributes }),
      });
    expect((await put(usCustomer, { region: 'us' })).status).toBe(403);
    expect((await put(euCustomer, { region: 'us' })).status).toBe(403);
    expect((await put(uid('cust-new-us'), { region: 'us' })).status).toBe(403);
    const imported = await asKey('/api/customers:import', { method: 'POST', headers: { 'content-type': 'text/csv' } });
    expect(imported.status).toBe(403);
    expect((await c.customers(h.db).findOne({ _id: euCustomer }))?.attributes.region).toBe('eu');
  });
});
