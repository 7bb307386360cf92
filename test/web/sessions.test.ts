import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as c from '../../src/db/collections';
import { createUser, csrfIn, formBody, signIn } from '../support/admin';
import { ADMIN, type Harness, startHarness } from '../support/harness';

const counters = (h: Harness) => c.rateLimitCounters(h.db);
/** A sign-in counter's key (the harness scopes its counters by its task queue). */
const counterKey = (h: Harness, limiter: string, email: string, ip: string) =>
  `${h.taskQueue}:${limiter}:${email}|${ip}`;

/** The wait of a (account, source) pair is over: its gate's window lies in the past. */
async function openGate(h: Harness, email: string, ip: string) {
  await counters(h).updateOne(
    { key: counterKey(h, 'login-gate', email, ip) },
    { $set: { expire: new Date(Date.now() - 1000) } },
  );
}

/** One sign-in as a browser does it: the sign-in page (for its form token), then the form. */
async function attempt(
  h: Harness,
  options: { email: string; password?: string; ip?: string; next?: string; cookie?: string },
): Promise<Response> {
  const headers: Record<string, string> = options.ip ? { 'x-forwarded-for': options.ip } : {};
  const page = await fetch(`${h.baseUrl}/admin/login`, { headers: { ...headers, cookie: options.cookie ?? '' } });
  const nonce = page.headers.getSetCookie().map((v) => v.split(';')[0]!)[0];
  const cookie = [options.cookie, nonce].filter(Boolean).join('; ');
  return fetch(`${h.baseUrl}/admin/login`, {
    method: 'POST',
    headers: { ...headers, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody({
      email: options.email,
      password: options.password ?? 'wrong password!',
      _csrf: csrfIn(await page.text())!,
      ...(options.next === undefined ? {} : { next: options.next }),
    }),
    redirect: 'manual',
  });
}

/** The session cookie a response sets (not the sign-in form's cookie, nor a cleared one). */
const sessionCookieIn = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((v) => v.split(';')[0]!)
    .find((v) => v.startsWith('cxloop.sid=') && !v.endsWith('='));

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

  it('slows down failures per account and source; the real user elsewhere signs in at once', async () => {
    const user = await createUser(h.db, 'viewer');
    const attacker = '10.0.0.1';
    // RATE_LIMIT_LOGIN=3: three failures of a pair are free, the fourth opens a 2 s wait
    for (let i = 0; i < 4; i++) expect((await attempt(h, { email: user.email, ip: attacker })).status).toBe(401);
    const waiting = await attempt(h, { email: user.email, ip: attacker });
    expect(waiting.status).toBe(429);
    expect(Number(waiting.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(waiting.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    // even the right password waits at that source…
    expect((await attempt(h, { email: user.email, password: user.password, ip: attacker })).status).toBe(429);
    // …but not the account's owner at another source, which is no lock-out
    expect((await attempt(h, { email: user.email, password: user.password, ip: '10.0.0.2' })).status).toBe(303);

    // each further failure doubles the wait: twenty failures ask for 2^18 s, capped at 15 minutes
    await counters(h).updateOne(
      { key: counterKey(h, 'login-failures', user.email, attacker) },
      { $set: { points: 20 } },
    );
    await openGate(h, user.email, attacker);
    expect((await attempt(h, { email: user.email, ip: attacker })).status).toBe(401);
    const longer = Number((await attempt(h, { email: user.email, ip: attacker })).headers.get('retry-after'));
    expect(longer).toBeGreaterThan(800);
    expect(longer).toBeLessThanOrEqual(900);

    // once the wait is over, the right password signs in and clears the pair
    await openGate(h, user.email, attacker);
    expect((await attempt(h, { email: user.email, password: user.password, ip: attacker })).status).toBe(303);
    const pair = ['login-failures', 'login-gate'].map((limiter) => counterKey(h, limiter, user.email, attacker));
    expect(await counters(h).countDocuments({ key: { $in: pair } })).toBe(0);
    expect((await attempt(h, { email: user.email, ip: attacker })).status).toBe(401);
  });

  it('caps failed sign-ins per source over all accounts (five times the per-pair allowance)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++)
      statuses.push((await attempt(h, { email: `nobody-${i}@test.local`, ip: '10.9.9.9' })).status);
    expect(statuses.slice(0, 15).every((s) => s === 401)).toBe(true);
    expect(statuses[15]).toBe(429);
    // another source is not affected
    expect((await attempt(h, { email: 'nobody-0@test.local', ip: '10.9.9.8' })).status).toBe(401);
  });

  it('stores no session for anonymous visitors: the sign-in form needs none', async () => {
    const before = await c.sessions(h.db).countDocuments();
    const page = await fetch(`${h.baseUrl}/admin/login`);
    const cookies = page.headers.getSetCookie();
    expect(cookies.some((v) => v.startsWith('cxloop.sid='))).toBe(false);
    expect(cookies[0]).toMatch(
      /^cxloop\.login=[\w-]{43}; Max-Age=7200; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/,
    );
    await page.arrayBuffer();
    expect((await attempt(h, { email: 'nobody@test.local' })).status).toBe(401);
    expect(await c.sessions(h.db).countDocuments()).toBe(before);

    // the form's token belongs to its own cookie: another visitor's token is refused
    const mine = await fetch(`${h.baseUrl}/admin/login`);
    const theirs = await fetch(`${h.baseUrl}/admin/login`);
    const forged = await fetch(`${h.baseUrl}/admin/login`, {
      method: 'POST',
      headers: {
        cookie: mine.headers.getSetCookie()[0]!.split(';')[0]!,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: formBody({ email: ADMIN.email, password: ADMIN.password, _csrf: csrfIn(await theirs.text())! }),
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
  });

  it('gives a new session ID at sign-in; the session held before it is over', async () => {
    const first = await createUser(h.db, 'viewer');
    const second = await createUser(h.db, 'operations');
    const before = sessionCookieIn(await attempt(h, { email: first.email, password: first.password }))!;
    expect(await signedIn(h, before)).toBe(true);
    const res = await attempt(h, { email: second.email, password: second.password, cookie: before });
    expect(res.status).toBe(303);
    const after = sessionCookieIn(res)!;
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    expect(await signedIn(h, before)).toBe(false);
    expect(await signedIn(h, after)).toBe(true);
    expect(await c.sessions(h.db).countDocuments({ 'session.userId': first.email })).toBe(0);
  });

  it('follows ?next= only to a page of the app under /admin', async () => {
    const user = await createUser(h.db, 'operations');
    const go = async (next: string) =>
      (await attempt(h, { email: user.email, password: user.password, next })).headers.get('location');
    for (const inside of ['/admin/cases?status=open', '/admin/customers#top', '/admin'])
      expect(await go(inside), inside).toBe(inside);
    for (const outside of [
      '//evil.example/admin',
      '/\\evil.example',
      '/admin\\..\\..\\evil',
      'https://evil.example/admin',
      'javascript:alert(1)',
      '/admin@evil.example',
      '/admin.evil.example',
      '/admin/../../evil',
      '/admin/%2e%2e/%2E%2E/evil',
      '/admin/..',
      '/%2F%2Fevil.example',
      '/admin%2F..%2F..%2Fevil',
      '/admin/\t//evil.example',
      '/admin/x\r\nSet-Cookie: a=b',
      `/admin/${'a'.repeat(600)}`,
    ])
      expect(await go(outside), outside).toBe('/admin');
    const page = await fetch(`${h.baseUrl}/admin/login?next=${encodeURIComponent('//evil.example')}`);
    expect(await page.text()).toContain('name="next" value="/admin"');
  });

  it('checks one password hash at the same cost whether the email has an account or not', async () => {
    // Response times cannot be asserted reliably; what makes them equal can: every attempt runs
    // exactly one Argon2id verification with the same parameters, known account or not.
    const user = await createUser(h.db, 'viewer');
    const verify = vi.spyOn(argon2, 'verify');
    try {
      const costs = async (email: string) => {
        verify.mockClear();
        expect((await attempt(h, { email, ip: '10.7.7.7' })).status).toBe(401);
        return verify.mock.calls.map(([hash]) => hash.split('$').slice(1, 4).join('$'));
      };
      const known = await costs(user.email);
      expect(known).toEqual(['argon2id$v=19$m=19456,p=1,t=2']);
      expect(await costs(`no-account-${Date.now()}@test.local`)).toEqual(known);
      expect(await costs('')).toEqual(known);
      await c.users(h.db).updateOne({ _id: user.email }, { $set: { disabled: true } });
      expect(await costs(user.email)).toEqual(known);
    } finally {
      verify.mockRestore();
    }
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
