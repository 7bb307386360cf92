import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, signIn } from '../support/admin';
import * as c from '../../src/db/collections';
import { ADMIN, type Harness, api, startHarness } from '../support/harness';

describe('teams and routing, managed by admins', () => {
  let h: Harness;
  let owner: { email: string; password: string };
  let manager: { email: string; password: string };
  const routing = () => ({
    teams: [
      {
        id: 'emea',
        name: 'EMEA care',
        members: [owner.email],
        manager: manager.email,
        match: { region: ['EMEA'] },
        assignment: 'round-robin',
        calendar: {
          timezone: 'Europe/Berlin',
          weekly: { mon: [{ start: '09:00', end: '17:00' }] },
          holidays: ['2026-12-25'],
        },
      },
      { id: 'general', name: 'General', members: [owner.email], manager: manager.email },
    ],
    fallbackTeam: 'general',
  });

  beforeAll(async () => {
    // Its own database: the routing document is one per database, and case tests rely on theirs.
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop-routing-${Date.now()}` } });
    owner = await createUser(h.db, 'case_owner');
    manager = await createUser(h.db, 'operations');
  });
  afterAll(() => h?.stop());

  it('refuses routing to people who are not enabled case-handling users, naming them', async () => {
    const viewer = await createUser(h.db, 'viewer');
    const res = await api(h, 'PUT', '/api/routing', {
      ...routing(),
      teams: [{ ...routing().teams[1], members: ['ghost@example.com', viewer.email] }],
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toContain('ghost@example.com');
    expect(res.json.error).toContain(viewer.email);
    expect((await api(h, 'PUT', '/api/routing', { ...routing(), fallbackTeam: 'nope' })).status).toBe(400);
  });

  it('saves and returns the routing through the API', async () => {
    const saved = await api(h, 'PUT', '/api/routing', routing());
    expect(saved.status).toBe(200);
    const read = await api(h, 'GET', '/api/routing');
    expect(read.json).toMatchObject({
      fallbackTeam: 'general',
      teams: [
        { id: 'emea', assignment: 'round-robin' },
        { id: 'general', assignment: 'least-loaded' },
      ],
    });
  });

  it('shows the teams to case owners, and lets only admins edit them, with errors next to the editor', async () => {
    await api(h, 'PUT', '/api/routing', routing());
    const caseOwner = await signIn(h.baseUrl, owner.email, owner.password);
    const page = await (await caseOwner.get('/admin/teams')).text();
    expect(page).toContain('EMEA care');
    expect(page).toContain('region: EMEA');
    expect(page).toContain('mon 09:00–17:00 (Europe/Berlin)');
    expect(page).not.toContain('Save routing');
    expect((await caseOwner.post('/admin/teams', { routing: JSON.stringify(routing()) })).status).toBe(403);

    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const broken = await admin.post('/admin/teams', { routing: '{ not json' });
    const brokenPage = await broken.text();
    expect(broken.status, brokenPage).toBe(422);
    expect(brokenPage).toMatch(/id="err-routing"[^>]*>the routing is not valid JSON/);
    const renamed = {
      ...routing(),
      teams: [{ ...routing().teams[0]!, name: 'EMEA customer care' }, routing().teams[1]!],
    };
    const ok = await admin.post('/admin/teams', { routing: JSON.stringify(renamed) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('EMEA customer care');
    expect((await api(h, 'GET', '/api/routing')).json.teams).toMatchObject([{ name: 'EMEA customer care' }, {}]);
  });

  it('manages users through the API, and the audit log shows who changed what', async () => {
    const email = `api-owner-${Date.now()}@test.local`;
    const created = await api(h, 'POST', '/api/users', {
      email,
      name: 'Api Owner',
      role: 'case_owner',
      password: 'a long enough password',
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ _id: email, role: 'case_owner' });
    expect(created.text).not.toContain('passwordHash');
    expect(
      (await api(h, 'POST', '/api/users', { email, name: 'Again', role: 'viewer', password: 'a long enough password' }))
        .status,
    ).toBe(409);
    const badRole = await api(h, 'POST', '/api/users', {
      email: 'x@test.local',
      name: 'X',
      role: 'owner',
      password: 'a long enough password',
    });
    expect(badRole.status).toBe(400);
    expect(badRole.json.error).toContain('role');
    expect((await api(h, 'POST', `/api/users/${email}`, { action: 'role', role: 'operations' })).json.role).toBe(
      'operations',
    );
    expect((await api(h, 'POST', `/api/users/${email}`, { action: 'disable' })).json.disabled).toBe(true);
    expect((await api(h, 'POST', '/api/users/nobody@test.local', { action: 'enable' })).status).toBe(404);
    const listed = await api(h, 'GET', '/api/users?limit=200');
    expect(listed.text).not.toContain('passwordHash');

    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const log = await (await admin.get('/admin/audit')).text();
    for (const action of ['user.create', 'user.role', 'user.disable', 'routing.save']) expect(log).toContain(action);
    expect(log).toContain(`user ${email}`);
    expect(log).toContain('api-key:test');
    const entries = await c
      .auditLog(h.db)
      .find({ subject: `user ${email}` })
      .sort({ at: 1 })
      .toArray();
    expect(entries.map((e) => e.action)).toEqual(['user.create', 'user.role', 'user.disable']);
    expect(entries[1]).toMatchObject({ before: { role: 'case_owner' }, after: { role: 'operations' } });
  });
});
