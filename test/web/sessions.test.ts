import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { createUser, csrfIn, formBody, signIn } from '../support/admin';
import { ADMIN, type Harness, startHarness } from '../support/harness';

/** Is this cookie still a signed-in session? (A page of the admin UI, not the sign-in redirect.) */
async function signedIn(h: Harness, cookie: string): Promise<boolean> {
  const res = await fetch(`${h.baseUrl}/admin/account`, { headers: { cookie }, redirect: 'manual' });
  await res.arrayBuffer();
  return res.status === 200;
}

describe('admin sessions, sign-in and CSRF', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ withWorker: false, env: { RATE_LIMIT_LOGIN: '3' } });
  });
  afterAll(() => h?.stop());

  it('keeps sessions server-side in MongoDB, under a hashed ID, and signing out ends them', async () => {
    const user = await createUser(h.db, 'operations');
    const client = await signIn(h.baseUrl, user.email, user.password);
    const sid = decodeURIComponent(client.cookie.split('=')[1]!).slice(2).split('.')[0]!;
    const stored = await c.sessions(h.db).find({ 'session.userId': user.email }).toArray();
    expect(stored).toHaveLength(1);
    expect(stored[0]!._id).not.toBe(sid);
    expect(await signedIn(h, client.cookie)).toBe(true);

    const out = await client.post('/admin/logout');
    expect(out.status).toBe(303);
    expect(await signedIn(h, client.cookie)).toBe(false);
    expect(await c.sessions(h.db).countDocuments({ 'session.userId': user.email })).toBe(0);
  });

  it('a password change ends the other sessions at once and keeps the current one', async () => {
    const user = await createUser(h.db, 'viewer');
    const laptop = await signIn(h.baseUrl, user.email, user.password);
    const phone = await signIn(h.baseUrl, user.email, user.password);
    const res = await laptop.post('/admin/account/password', {
      current: user.password,
      password: 'a brand new passphrase',
      confirm: 'a brand new passphrase',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Your password is changed');
    expect(await signedIn(h, phone.cookie)).toBe(false);
    expect(await signedIn(h, laptop.cookie)).toBe(true);
    await expect(signIn(h.baseUrl, user.email, user.password)).rejects.toThrow(/401/);
    await signIn(h.baseUrl, user.email, 'a brand new passphrase');
  });

  it('an admin disabling a user or resetting their password ends their sessions at once', async () => {
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const user = await createUser(h.db, 'case_owner');
    const session = await signIn(h.baseUrl, user.email, user.password);
    expect((await admin.post(`/admin/users/${user.email}`, { action: 'disable' })).status).toBe(200);
    expect(await signedIn(h, session.cookie)).toBe(false);
    await expect(signIn(h.baseUrl, user.email, user.password)).rejects.toThrow(/401/);

    expect((await admin.post(`/admin/users/${user.email}`, { action: 'enable' })).status).toBe(200);
    const again = await signIn(h.baseUrl, user.email, user.password);
    expect(
      (await admin.post(`/admin/users/${user.email}`, { action: 'password', password: 'reset by the admin 1' })).status,
    ).toBe(200);
    expect(await signedIn(h, again.cookie)).toBe(false);
  });

  it('admins add users with a role; bad input is shown next to the field', async () => {
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const bad = await admin.post('/admin/users', { email: 'not-an-email', name: '', role: 'owner', password: 'short' });
    expect(bad.status).toBe(422);
    const html = await bad.text();
    expect(html).toContain('id="err-email"');
    expect(html).toContain('id="err-password"');
    expect(html).not.toContain('value="short"');
    const email = `new-${Date.now()}@test.local`;
    const ok = await admin.post('/admin/users', {
      email,
      name: 'New Person',
      role: 'viewer',
      password: 'twelve chars ok',
    });
    expect(ok.status).toBe(200);
    const viewer = await signIn(h.baseUrl, email, 'twelve chars ok');
    expect((await viewer.get('/admin/users')).status).toBe(403);
    expect((await viewer.get('/admin/programs')).status).toBe(200);
  });

  it('every state-changing admin form needs the CSRF token, sign-in and sign-out included', async () => {
    const loginPage = await fetch(`${h.baseUrl}/admin/login`);
    const cookie = loginPage.headers.getSetCookie()[0]!.split(';')[0]!;
    expect(csrfIn(await loginPage.text())).toBeTruthy();
    const noToken = await fetch(`${h.baseUrl}/admin/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody({ email: ADMIN.email, password: ADMIN.password }),
      redirect: 'manual',
    });
    expect(noToken.status).toBe(403);

    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    for (const path of ['/admin/logout', '/admin/users', '/admin/keys', '/admin/account/password']) {
      const forged = await admin.post(path, { _csrf: 'forged', name: 'x' });
      expect(forged.status, path).toBe(403);
    }
    expect(await signedIn(h, admin.cookie)).toBe(true);
  });

  it('a malformed or forged session cookie is no session, never an error page', async () => {
    for (const cookie of [
      'cxloop.sid=garbage',
      'cxloop.sid=s%3Aabc.def',
      'cxloop.sid=%E0%A4%A',
      `cxloop.sid=${'x'.repeat(4000)}`,
      'cxloop.sid=s%3A; other=1',
    ]) {
      const res = await fetch(`${h.baseUrl}/admin/customers`, { headers: { cookie }, redirect: 'manual' });
      expect(res.status, cookie).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/admin\/login/);
    }
  });

  it('limits failed sign-ins per account (from any IP) and per IP, with Retry-After', async () => {
    const user = await createUser(h.db, 'viewer');
    const attempt = async (email: string, ip: string) => {
      const page = await fetch(`${h.baseUrl}/admin/login`);
      const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
      return fetch(`${h.baseUrl}/admin/login`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
        body: formBody({ email, password: 'wrong password!', _csrf: csrfIn(await page.text())! }),
        redirect: 'manual',
      });
    };
    // RATE_LIMIT_LOGIN=3: three failures per account, each from another address
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) expect((await attempt(user.email, ip)).status).toBe(401);
    const limited = await attempt(user.email, '10.0.0.4');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    // per IP: five times the per-account limit, over many accounts
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) statuses.push((await attempt(`nobody-${i}@test.local`, '10.9.9.9')).status);
    expect(statuses.slice(0, 15).every((s) => s === 401)).toBe(true);
    expect(statuses[15]).toBe(429);
  });

  it('stores passwords as Argon2id at the OWASP cost and upgrades older hashes at sign-in', async () => {
    const user = await createUser(h.db, 'viewer');
    const doc = await c.users(h.db).findOne({ _id: user.email });
    expect(doc!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);

    // an scrypt hash as earlier versions wrote it, for the password 'legacy password'
    const legacy = 'scrypt:c2FsdHNhbHRzYWx0c2FsdA==:';
    const { scryptSync } = await import('node:crypto');
    const hash = scryptSync('legacy password', Buffer.from('c2FsdHNhbHRzYWx0c2FsdA==', 'base64'), 32).toString(
      'base64',
    );
    await c.users(h.db).updateOne({ _id: user.email }, { $set: { passwordHash: `${legacy}${hash}` } });
    await signIn(h.baseUrl, user.email, 'legacy password');
    const upgraded = await c.users(h.db).findOne({ _id: user.email });
    expect(upgraded!.passwordHash).toMatch(/^\$argon2id\$/);
  });
});
