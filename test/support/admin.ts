import type { Db } from 'mongodb';
import { users } from '../../src/db/collections';
import type { Role } from '../../src/domain/access';
import { hashPassword } from '../../src/app/credentials';
import { uid } from './ids';

/** A browser-like client of the admin UI: keeps the session cookie and the page's CSRF token. */
export interface AdminClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  /** Posts a form with the CSRF token (unless `_csrf` is given explicitly). */
  post(path: string, fields?: Record<string, string | string[]>): Promise<Response>;
}

const cookieOf = (res: Response) =>
  res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .find((c) => !c.endsWith('='));

export const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1];

export function formBody(fields: Record<string, string | string[]>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) for (const v of [value].flat()) body.append(key, v);
  return body;
}

/** Opens the sign-in page (for its form token and pre-session cookie), then signs in. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<AdminClient> {
  const loginPage = await fetch(`${baseUrl}/admin/login`);
  let cookie = cookieOf(loginPage) ?? '';
  let csrf = csrfIn(await loginPage.text()) ?? '';
  const res = await fetch(`${baseUrl}/admin/login`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: formBody({ email, password, _csrf: csrf }),
    redirect: 'manual',
  });
  if (res.status !== 303) throw new Error(`sign-in as ${email} failed with ${res.status}: ${await res.text()}`);
  cookie = cookieOf(res) ?? cookie;
  const client: AdminClient = {
    get cookie() {
      return cookie;
    },
    get csrf() {
      return csrf;
    },
    async get(path) {
      const page = await fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
      const type = page.headers.get('content-type') ?? '';
      if (!type.includes('html')) return page;
      const html = await page.text();
      csrf = csrfIn(html) ?? csrf;
      return new Response(html, { status: page.status, headers: page.headers });
    },
    async post(path, fields = {}) {
      return fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: formBody({ _csrf: csrf, ...fields }),
        redirect: 'manual',
      });
    },
  };
  await client.get('/admin/account');
  return client;
}

/** A user with the given role and a random password, created directly in MongoDB. */
export async function createUser(db: Db, role: Role): Promise<{ email: string; password: string }> {
  const email = `${uid(role)}@test.local`.toLowerCase();
  const password = `pw-${uid('secret')}-long`;
  await users(db).insertOne({
    _id: email,
    email,
    name: `Test ${role}`,
    role,
    passwordHash: await hashPassword(password),
    authVersion: 0,
    createdAt: new Date(),
  });
  return { email, password };
}
