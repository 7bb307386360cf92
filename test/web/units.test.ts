import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiKey } from '../../src/bootstrap';
import * as c from '../../src/db/collections';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { ADMIN, type Harness, api, startHarness, uid } from '../support/harness';

const unit = (
  id: string,
  parentId: string | null,
  match: Record<string, string[]> = {},
  manager: string | null = null,
) => ({
  id,
  name: id.toUpperCase(),
  parentId,
  manager,
  match,
});

describe('organisation units, managed by admins', () => {
  let h: Harness;
  let admin: AdminClient;
  let gm: { email: string; password: string };
  let owner: { email: string; password: string };
  const readKey = `test-read-${uid('k')}`;
  /** company → EU (→ Berlin), NA, APAC. */
  const tree = () => [
    unit('company', null),
    unit('eu', 'company', { region: ['EU'] }, gm.email),
    unit('berlin', 'eu', { location: ['Berlin'] }),
    unit('na', 'company', { region: ['NA'] }),
    unit('apac', 'company', { region: ['APAC'] }),
  ];
  const version = async () => (await api(h, 'GET', '/api/units')).json.version as number;
  const audited = () => c.auditLog(h.db).countDocuments({ action: 'units.save' });

  beforeAll(async () => {
    // Its own database: the tree and the routing are one document per database.
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop-units-${Date.now()}` } });
    gm = await createUser(h.db, 'viewer');
    owner = await createUser(h.db, 'case_owner');
    await ensureApiKey(h.db, readKey, 'read key', ['read']);
    admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
  });
  afterAll(() => h?.stop());

  it('starts with the company alone at version 0, and the first save makes version 1, audited', async () => {
    const first = await api(h, 'GET', '/api/units');
    expect(first.json).toEqual({ units: [unit('company', null)].map((u) => ({ ...u, name: 'Company' })), version: 0 });
    const saved = await api(h, 'PUT', '/api/units', { units: tree(), version: 0 });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.json.version).toBe(1);
    expect((await api(h, 'GET', '/api/units')).json).toMatchObject({ version: 1, units: tree() });
    const entry = await c.auditLog(h.db).findOne({ action: 'units.save' });
    expect(entry).toMatchObject({
      actor: expect.stringContaining('api-key:'),
      before: { version: 0 },
      after: { version: 1 },
    });
  });

  it('refuses a stale version with 409, and of two saves from the same version only one wins', async () => {
    const stale = await api(h, 'PUT', '/api/units', { units: tree(), version: 0 });
    expect(stale.status).toBe(409);
    expect(stale.json.error).toContain('changed by someone else');
    const from = await version();
    const renamed = (name: string) => tree().map((u) => (u.id === 'na' ? { ...u, name } : u));
    const both = await Promise.all([
      api(h, 'PUT', '/api/units', { units: renamed('North America'), version: from }),
      api(h, 'PUT', '/api/units', { units: renamed('Americas'), version: from }),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await version()).toBe(from + 1);

    // Two first saves: the first insert wins, the other is told the tree changed.
    const saved = await c.orgUnits(h.db).findOne({ _id: 'units' });
    const versions = await c.orgUnitVersions(h.db).find().toArray();
    await c.orgUnits(h.db).deleteOne({ _id: 'units' });
    await c.orgUnitVersions(h.db).deleteMany({});
    const firsts = await Promise.all([
      api(h, 'PUT', '/api/units', { units: tree(), version: 0 }),
      api(h, 'PUT', '/api/units', { units: tree(), version: 0 }),
    ]);
    expect(firsts.map((r) => r.status).sort()).toEqual([200, 409]);
    await c.orgUnits(h.db).replaceOne({ _id: 'units' }, saved!);
    await c.orgUnitVersions(h.db).deleteMany({});
    await c.orgUnitVersions(h.db).insertMany(versions);
  });

  it('refuses invalid trees with 400 naming the problem; a read key may read but not replace', async () => {
    const at = await version();
    const before = await audited();
    const overlap = await api(h, 'PUT', '/api/units', {
      units: [...tree(), unit('europe', 'company', { region: ['EU', 'UK'] })],
      version: at,
    });
    expect(overlap.status).toBe(400);
    expect(overlap.json.error).toContain('eu and europe: sibling rules overlap');
    const ghost = await api(h, 'PUT', '/api/units', {
      units: tree().map((u) => (u.id === 'na' ? { ...u, manager: 'ghost@test.local' } : u)),
      version: at,
    });
    expect(ghost.status).toBe(400);
    expect(ghost.json.error).toContain('managers must be users: ghost@test.local');
    expect((await api(h, 'PUT', '/api/units', { units: tree() })).status).toBe(400);
    const asReader = { authorization: `Bearer ${readKey}` };
    expect((await api(h, 'GET', '/api/units', undefined, asReader)).status).toBe(200);
    expect((await api(h, 'PUT', '/api/units', { units: tree(), version: at }, asReader)).status).toBe(403);
    expect(await audited()).toBe(before);
  });

  it('assigns people to units, checked against the tree, and shows them on the users page', async () => {
    const created = await api(h, 'POST', '/api/users', {
      email: `${uid('eu')}@test.local`,
      name: 'EU analyst',
      role: 'viewer',
      password: 'a long enough password',
      units: ['eu'],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json.units).toEqual(['eu']);
    const unknown = await api(h, 'POST', '/api/users', {
      email: `${uid('x')}@test.local`,
      name: 'Nowhere',
      role: 'viewer',
      password: 'a long enough password',
      units: ['mars'],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toContain('mars is not a unit');
    const moved = await api(h, 'POST', `/api/users/${owner.email}`, { action: 'units', units: ['na', 'apac'] });
    expect(moved.json.units).toEqual(['na', 'apac']);
    const audit = await c.auditLog(h.db).findOne({ action: 'user.units', subject: `user ${owner.email}` });
    expect(audit?.after).toEqual({ units: ['na', 'apac'] });

    // The admin form: a new person defaults to the root; units are set with the person's own form.
    const page = await (await admin.get('/admin/users')).text();
    expect(page).toMatch(/<select id="new-units" name="units" multiple[^>]*><option value="company" selected>/);
    expect(page).toContain('<span class="tag">COMPANY › APAC</span>');
    const set = await admin.post(`/admin/users/${owner.email}`, { action: 'units', units: ['berlin'] });
    expect(set.status).toBe(200);
    expect(await set.text()).toContain('units are now berlin');
    expect((await c.users(h.db).findOne({ _id: owner.email }))?.units).toEqual(['berlin']);
    const email = `${uid('form')}@test.local`;
    const added = await admin.post('/admin/users', {
      email,
      name: 'Form person',
      role: 'viewer',
      password: 'a long enough password',
      units: ['apac'],
    });
    expect(added.status).toBe(200);
    expect((await c.users(h.db).findOne({ _id: email }))?.units).toEqual(['apac']);
  });

  it('restricts a key to units, checked against the tree, and lists its units', async () => {
    const created = await api(h, 'POST', '/api/keys', { name: 'EU BI', scopes: ['read'], units: ['eu'] });
    expect(created.status, created.text).toBe(201);
    expect(created.json.units).toEqual(['eu']);
    const refused = await api(h, 'POST', '/api/keys', { name: 'typo', scopes: ['read'], units: ['ue'] });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toContain('ue is not a unit');
    const { items } = (await api(h, 'GET', '/api/keys')).json as unknown as {
      items: { name: string; units: string[] | null }[];
    };
    expect(items.find((k) => k.name === 'EU BI')?.units).toEqual(['eu']);
    expect(items.find((k) => k.name === 'typo')).toBeUndefined();
    const onPage = await admin.post('/admin/keys', { name: 'APAC desk', scopes: ['read'], units: ['apac'] });
    expect(onPage.status).toBe(200);
    expect(await onPage.text()).toMatch(/units<\/span> <span class="tag">apac<\/span>/);
  });

  it('ties routing teams to units that exist, and refuses deleting units people, keys or teams name', async () => {
    const routing = (teamUnit: string) => ({
      teams: [{ id: 'na-care', name: 'NA care', members: [owner.email], manager: owner.email, unit: teamUnit }],
      fallbackTeam: 'na-care',
    });
    const unknown = await api(h, 'PUT', '/api/routing', routing('latam'));
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toContain('latam is not a unit');
    expect((await api(h, 'PUT', '/api/routing', routing('na'))).status).toBe(200);
    expect(await (await admin.get('/admin/teams')).text()).toContain('<a href="/admin/units">na</a>');

    const at = await version();
    const withoutNa = await api(h, 'PUT', '/api/units', { units: tree().filter((u) => u.id !== 'na'), version: at });
    expect(withoutNa.status).toBe(409);
    expect(withoutNa.json.error).toContain('routing teams na-care');
    const withoutEu = await api(h, 'PUT', '/api/units', {
      units: tree().filter((u) => u.id !== 'eu' && u.id !== 'berlin'),
      version: at,
    });
    expect(withoutEu.status).toBe(409);
    expect(withoutEu.json.error).toMatch(/people .*@test\.local.*API keys EU BI/);
    expect(withoutEu.json.error).toContain(owner.email);
    expect(await version()).toBe(at);
  });

  describe('the units page', () => {
    it('is for admins and operations; operations see the tree without the forms', async () => {
      const viewer = await signIn(h.baseUrl, gm.email, gm.password);
      expect((await viewer.get('/admin/units')).status).toBe(403);
      const ops = await createUser(h.db, 'operations');
      const operations = await signIn(h.baseUrl, ops.email, ops.password);
      const page = await (await operations.get('/admin/units')).text();
      expect(page).toContain('<a href="/admin/units">Units</a>');
      expect(page).toMatch(/└\u00a0BERLIN/);
      expect(page).toContain('location: Berlin');
      expect(page).toContain(gm.email);
      expect(page).not.toContain('Add unit');
      expect((await operations.post('/admin/units', { id: 'x', name: 'X', parentId: 'company' })).status).toBe(403);
    });

    it('lets an admin add, edit and delete a unit, with errors on the form and the values kept', async () => {
      const page = await (await admin.get('/admin/units')).text();
      const at = /name="version" value="(\d+)"/.exec(page)![1]!;
      const before = await audited();

      const overlapping = await admin.post('/admin/units', {
        id: 'emea',
        name: 'EMEA',
        parentId: 'company',
        rule: 'region: EU, ME',
        manager: '',
        version: at,
      });
      const refusal = await overlapping.text();
      expect(overlapping.status).toBe(400);
      expect(refusal).toContain('eu and emea: sibling rules overlap');
      expect(refusal).toContain('value="emea"');
      expect(refusal).toContain('region: EU, ME</textarea>');

      const badRule = await admin.post('/admin/units', {
        id: 'Bad Id',
        name: '',
        parentId: 'company',
        rule: 'region EU',
        version: at,
      });
      const badPage = await badRule.text();
      expect(badRule.status).toBe(422);
      expect(badPage).toContain('is not “attribute: value, value”');
      expect(badPage).toContain('unit ids are lower-case letters');

      const added = await admin.post('/admin/units', {
        id: 'paris',
        name: 'Paris',
        parentId: 'eu',
        rule: 'location: Paris',
        manager: gm.email,
        version: at,
      });
      expect(added.status, await added.clone().text()).toBe(200);
      expect(await added.text()).toContain('Unit paris added.');

      const stale = await admin.post('/admin/units/paris', {
        name: 'Paris office',
        parentId: 'eu',
        rule: 'location: Paris',
        version: at,
      });
      expect(stale.status).toBe(409);
      const stalePage = await stale.text();
      expect(stalePage).toContain('changed by someone else');
      // The typed values are kept, with the version of the tree now shown: sending again works.
      expect(stalePage).toContain('value="Paris office"');
      const now = /name="version" value="(\d+)"/.exec(stalePage)![1]!;
      expect(Number(now)).toBe(Number(at) + 1);
      const edit = await (await admin.get('/admin/units/paris/edit')).text();
      expect(edit).toContain('location: Paris</textarea>');
      const edited = await admin.post('/admin/units/paris', {
        name: 'Paris office',
        parentId: 'eu',
        rule: 'location: Paris, Lyon',
        manager: '',
        version: now,
      });
      expect(edited.status).toBe(200);
      const units = (await api(h, 'GET', '/api/units')).json.units as { id: string; name: string; match: unknown }[];
      expect(units.find((u) => u.id === 'paris')).toMatchObject({
        name: 'Paris office',
        match: { location: ['Paris', 'Lyon'] },
      });

      const latest = String(await version());
      const withChildren = await admin.post('/admin/units/eu/delete', { version: latest });
      expect(withChildren.status).toBe(409);
      expect(await withChildren.text()).toContain('eu still has units below it (berlin, paris)');
      const inUse = await admin.post('/admin/units/berlin/delete', { version: latest });
      expect(inUse.status).toBe(409);
      expect(await inUse.text()).toContain(`berlin cannot be deleted while people ${owner.email}`);
      const deleted = await admin.post('/admin/units/paris/delete', { version: latest });
      expect(deleted.status).toBe(200);
      expect(await deleted.text()).toContain('Unit paris deleted.');
      expect(await audited()).toBe(before + 3);
    });
  });
});
