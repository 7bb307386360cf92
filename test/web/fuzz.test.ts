import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { ROLES, SCOPES } from '../../src/domain/access';
import { ZProgram } from '../../src/domain/program';
import { type AdminClient, csrfIn, signIn } from '../support/admin';
import { ADMIN, type Harness, createProgram, startHarness } from '../support/harness';

/** Requests per target; `npm run test:fuzz` raises it (FUZZ_RUNS). The default keeps `npm test` near a minute. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1700);
const SEED = Number(process.env.FUZZ_SEED ?? 20261124);
const PREFIX = 'fz';

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

const INJECTIONS = [
  '$where',
  '{"$gt": ""}',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '\u0000',
  '{{constructor.constructor("return process")()}}',
  "'; DROP TABLE users; --",
  '\ud800',
  'ｓｃｒｉｐｔ',
  '__proto__',
  'constructor',
];

const weird = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.integer().map(String),
  fc.constant('x'.repeat(70_000)),
);
const weirdValue = fc.oneof(
  weird,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(weird, { maxLength: 3 }),
  fc.dictionary(fc.oneof(weird, fc.constantFrom('$gt', '$where', 'a.b', '$set')), weird, { maxKeys: 3 }),
);

/** A valid event, so that mutations land close to what the handler accepts. */
const validEvent = (n: number) => ({
  id: `${PREFIX}-evt-${n}`,
  type: 'purchase',
  occurredAt: new Date().toISOString(),
  customer: { id: `${PREFIX}-cust-${n % 50}`, email: `${PREFIX}-${n % 50}@example.com`, name: 'Fuzz' },
  data: { store: 'berlin' },
});

/** Sets, replaces or deletes one field at a path of a valid document. */
function mutate(doc: Record<string, unknown>, path: readonly string[], value: unknown, remove: boolean): unknown {
  const copy = structuredClone(doc);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (remove) delete at[last];
  else at[last] = value;
  return copy;
}

const eventPaths = fc.constantFrom(
  ['id'],
  ['type'],
  ['occurredAt'],
  ['customer'],
  ['customer', 'id'],
  ['customer', 'email'],
  ['customer', 'locale'],
  ['customer', 'timezone'],
  ['customer', 'attributes'],
  ['customer', 'attributes', '$where'],
  ['customer', 'attributes', 'a.b'],
  ['data'],
  ['data', '__proto__'],
  ['extra'],
);

/** A valid program, so that mutations reach the deeper rules (durations, scales, follow-ups…). */
const validProgram = {
  name: 'Fuzzed',
  kind: 'transactional',
  triggers: ['purchase'],
  reminders: ['3d'],
  expiresAfter: '14d',
  survey: {
    questions: [
      { id: 'nps', type: 'nps', label: 'Recommend us?' },
      { id: 'stars', type: 'rating', label: 'Stars', scale: { min: 1, max: 5 }, showIf: { question: 'nps', min: 0 } },
      { id: 'pick', type: 'single', label: 'Pick', options: [{ value: 'a', label: 'A' }] },
    ],
  },
  email: { subject: 'Hi', intro: 'Thanks' },
  contactRules: { quietHours: { start: '21:00', end: '08:00' }, maxPerWindow: { count: 4, window: '365d' } },
  themes: { delivery: ['late'] },
};
const programPaths = fc.constantFrom(
  ['reminders', '0'],
  ['expiresAfter'],
  ['delay'],
  ['kind'],
  ['defaultLocale'],
  ['survey', 'editGrace'],
  ['survey', 'questions', '0', 'type'],
  ['survey', 'questions', '1', 'scale'],
  ['survey', 'questions', '1', 'scale', 'max'],
  ['survey', 'questions', '1', 'showIf', 'question'],
  ['survey', 'questions', '2', 'options'],
  ['email', 'subject'],
  ['email', 'template'],
  ['sender'],
  ['contactRules', 'quietHours', 'start'],
  ['contactRules', 'maxPerWindow', 'count'],
  ['audience'],
  ['themes', 'delivery'],
);
const programBody = fc
  .tuple(programPaths, weirdValue, fc.boolean())
  .map(([path, value, remove]) => JSON.stringify(mutate(validProgram, path, value, remove)));

const deepJson = fc
  .integer({ min: 100, max: 20_000 })
  .chain((depth) =>
    fc.constantFrom(`${'['.repeat(depth)}${']'.repeat(depth)}`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  );

/** A JSON-ish body: mutated valid events, random values, deep nesting, huge or broken text. */
const jsonBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.nat(), eventPaths, weirdValue, fc.boolean())
      .map(([n, p, v, r]) => JSON.stringify(mutate(validEvent(n), p, v, r))),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: deepJson },
  { weight: 1, arbitrary: weird },
  { weight: 1, arbitrary: fc.nat().map((n) => JSON.stringify({ events: [validEvent(n), 'x', null, { id: 1 }] })) },
  { weight: 1, arbitrary: fc.constant(`{"events":[${Array(1001).fill('{}').join(',')}]}`) },
  { weight: 1, arbitrary: fc.constant('"' + 'y'.repeat(1_000_000) + '"') },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-7',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'gibberish/\u00ff',
  '',
);

/** Body bytes, sometimes not UTF-8 and sometimes "gzipped" garbage. */
const encoded = (body: string) =>
  fc
    .constantFrom<'plain' | 'invalid-utf8' | 'gzip' | 'gzip-garbage' | 'br'>(
      'plain',
      'plain',
      'plain',
      'invalid-utf8',
      'gzip',
      'gzip-garbage',
      'br',
    )
    .map((how): { body: string | Buffer; headers: Record<string, string> } => {
      if (how === 'invalid-utf8')
        return {
          body: Buffer.concat([Buffer.from(body.slice(0, 100)), Buffer.from([0xff, 0xfe, 0xc3, 0x28])]),
          headers: {},
        };
      if (how === 'gzip') return { body: gzipSync(body), headers: { 'content-encoding': 'gzip' } };
      if (how === 'gzip-garbage')
        return { body: Buffer.from('not gzip at all'), headers: { 'content-encoding': 'gzip' } };
      if (how === 'br') return { body: Buffer.from(body.slice(0, 100)), headers: { 'content-encoding': 'br' } };
      return { body, headers: {} };
    });

const token = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    '../../etc/passwd',
    '%00',
    '%2e%2e%2f',
    'A'.repeat(43),
    'A'.repeat(101),
    '%F0%9F%92%A9',
    '<script>',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).map(safeEncode),
  fc.stringMatching(/^[A-Za-z0-9_-]{20,100}$/),
);

const queryString = fc
  .array(fc.tuple(fc.constantFrom('limit', 'offset', 'customerId', 'programId', 'to', 'q', 'score', '$where'), weird), {
    maxLength: 4,
  })
  .map((pairs) => new URLSearchParams(pairs.map(([k, v]): [string, string] => [k, v.slice(0, 200)])).toString());

const formFields = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'email',
      'password',
      'name',
      'role',
      'action',
      'scopes',
      'expiresAt',
      'current',
      'confirm',
      'routing',
      'nps',
      '_oneclick',
      '_shown',
      '__proto__',
      'a[b]',
    ),
    weird,
  ),
  weird,
  { maxKeys: 6 },
);

describe('fuzzing the web tier', () => {
  let h: Harness;
  let admin: AdminClient;
  let startedAt: Date;
  const statuses = new Map<string, number>();
  const failures: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      withWorker: false,
      env: { RATE_LIMIT_API: '10000000', RATE_LIMIT_PUBLIC: '10000000', RATE_LIMIT_LOGIN: '10000000' },
    });
    await createProgram(h, { id: `${PREFIX}-program`, triggers: ['purchase'] });
    admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    startedAt = new Date();
  });
  afterAll(() => h?.stop());

  async function send(req: FuzzRequest): Promise<void> {
    let status: number;
    try {
      const res = await fetch(`${h.baseUrl}${req.path}`, {
        method: req.method,
        headers: req.headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
        redirect: 'manual',
      });
      await res.arrayBuffer();
      status = res.status;
    } catch (err) {
      // A reset connection is how Node refuses an oversized header; anything else is a failure.
      if (/fetch failed/.test((err as Error).message) && JSON.stringify(req.headers).length > 16_000) status = 431;
      else throw err;
    }
    const bucket = `${Math.floor(status / 100)}xx`;
    statuses.set(bucket, (statuses.get(bucket) ?? 0) + 1);
    if (status >= 500)
      failures.push(`${status} ${req.method} ${req.path.slice(0, 120)} ${String(req.body ?? '').slice(0, 200)}`);
  }

  async function run(name: string, arbitrary: fc.Arbitrary<FuzzRequest>, runs = RUNS): Promise<void> {
    const requests = fc.sample(arbitrary, { numRuns: runs, seed: SEED + name.length });
    const limit = pLimit(12);
    for (let i = 0; i < requests.length; i += 200) {
      await Promise.all(requests.slice(i, i + 200).map((req) => limit(() => send(req))));
      // The process stays up: every batch is followed by a health check.
      expect((await fetch(`${h.baseUrl}/healthz`)).status).toBe(200);
    }
  }

  const apiHeaders = (key: string) => ({ authorization: `Bearer ${key}` });

  it('the events API', async () => {
    const arb = fc
      .tuple(fc.constantFrom('/api/events', '/api/events:batch'), jsonBody, contentType)
      .chain(([path, body, type]) =>
        encoded(body).map((enc) => ({
          method: 'POST',
          path,
          headers: { ...apiHeaders(h.apiKey), ...(type ? { 'content-type': type } : {}), ...enc.headers },
          body: enc.body,
        })),
      );
    await run('events', arb, RUNS * 2);
  });

  it('the other API routes, with odd paging and forged keys', async () => {
    const arb = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(
            '/api/customers',
            '/api/programs',
            '/api/invitations',
            '/api/responses',
            '/api/outbox',
            '/api/keys',
          ),
          queryString,
        )
        .map(([path, q]) => ({ method: 'GET', path: `${path}?${q}`, headers: apiHeaders(h.apiKey) })),
      fc.tuple(fc.oneof(programBody, programBody, jsonBody), fc.constantFrom('fz-p', 'fz-q')).map(([body, id]) => ({
        method: 'PUT',
        path: `/api/programs/${id}`,
        headers: { ...apiHeaders(h.apiKey), 'content-type': 'application/json' },
        body,
      })),
      jsonBody.map((body) => ({
        method: 'PUT',
        path: '/api/routing',
        headers: { ...apiHeaders(h.apiKey), 'content-type': 'application/json' },
        body,
      })),
      fc.tuple(fc.constantFrom('customers', 'programs'), token, jsonBody).map(([kind, id, body]) => ({
        method: 'PUT',
        path: `/api/${kind}/${id}`,
        headers: { ...apiHeaders(h.apiKey), 'content-type': 'application/json' },
        body,
      })),
      fc.tuple(jsonBody, weird).map(([body, key]) => ({
        method: 'POST',
        path: '/api/keys',
        // raw UTF-8 bytes in the header, as a client that does not encode would send them
        headers: {
          authorization: `Bearer ${headerSafe(Buffer.from(key.slice(0, 300)).toString('latin1'))}`,
          'content-type': 'application/json',
        },
        body,
      })),
      fc
        .tuple(token, fc.constantFrom('acknowledge', 'note', 'resolve', 'reassign', 'explode'), jsonBody)
        .map(([id, action, body]) => ({
          method: 'POST',
          path: `/api/cases/${id}/${action}`,
          headers: { ...apiHeaders(h.apiKey), 'content-type': 'application/json', 'idempotency-key': id.slice(0, 120) },
          body,
        })),
      fc.tuple(fc.constantFrom('/api/cases', '/api/cases/x', '/api/webhooks'), queryString).map(([path, q]) => ({
        method: 'GET',
        path: `${path}?${q}`,
        headers: apiHeaders(h.apiKey),
      })),
      fc.tuple(jsonBody, token).map(([body, id]) => ({
        method: id.length % 2 ? 'POST' : 'DELETE',
        path: id.length % 2 ? '/api/webhooks' : `/api/webhooks/${id}`,
        headers: { ...apiHeaders(h.apiKey), 'content-type': 'application/json' },
        body,
      })),
      fc.tuple(weirdValue, fc.constantFrom('POST', 'DELETE')).map(([v, method]) => ({
        method,
        path: method === 'POST' ? '/api/keys' : `/api/keys/${safeEncode(JSON.stringify(v) ?? '').slice(0, 100)}`,
        headers: { ...apiHeaders(h.apiKey), 'content-type': 'application/json' },
        body: JSON.stringify({ name: v, scopes: [v], expiresAt: v }),
      })),
    );
    await run('api', arb);
  });

  it('the survey and unsubscribe pages, with forged and truncated tokens', async () => {
    const arb = fc
      .tuple(
        fc.constantFrom('s', 'u'),
        token,
        fc.constantFrom('GET', 'HEAD', 'POST'),
        formFields,
        queryString,
        contentType,
      )
      .map(([kind, t, method, fields, q, type]) => ({
        method,
        path: `/${kind}/${t}${method === 'GET' ? `?${q}` : ''}`,
        headers: type ? { 'content-type': type } : ({} as Record<string, string>),
        body: new URLSearchParams(
          Object.entries(fields).map(([k, v]): [string, string] => [k, v.slice(0, 5000)]),
        ).toString(),
      }));
    await run('survey', arb);
  });

  it('sign-in, with and without a CSRF token, and forged cookies', async () => {
    const page = await fetch(`${h.baseUrl}/admin/login`);
    const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
    const csrf = csrfIn(await page.text())!;
    const cookies = fc.oneof(
      fc.constant(cookie),
      weird.map((v) => `cxloop.sid=${safeEncode(v).slice(0, 4000)}`),
      fc.constant(`__Host-cxloop=${'z'.repeat(3000)}`),
      fc.constant(`cxloop.sid=${'q'.repeat(20_000)}`),
      fc.constant(''),
    );
    const arb = fc.tuple(cookies, formFields, fc.boolean()).map(([c, fields, withToken]) => ({
      method: 'POST',
      path: '/admin/login',
      headers: { cookie: c, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...fields, ...(withToken ? { _csrf: csrf } : {}) }).toString(),
    }));
    await run('login', arb);
  });

  it('the admin forms, signed in with the right CSRF token', async () => {
    const arb = fc
      .tuple(
        fc.constantFrom(
          '/admin/users',
          '/admin/users/x@y.z',
          '/admin/keys',
          '/admin/keys/0123456789abcdef/revoke',
          '/admin/account/password',
          '/admin/teams',
          '/admin/webhooks',
          '/admin/cases/no-such-case/note',
          '/admin/cases/no-such-case/resolve',
          '/admin/logout',
        ),
        formFields,
        token,
      )
      .map(([path, fields, t]) => ({
        method: 'POST',
        // logging out would end the session the other requests use: its target is a made-up path instead
        path: path === '/admin/logout' ? `/admin/users/${t}` : path,
        headers: { cookie: admin.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...fields, _csrf: admin.csrf }).toString(),
      }));
    await run('admin', arb);
  });

  it('answered none with a 5xx, and stored nothing malformed', async () => {
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.log(`fuzz: ${total} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(total).toBeGreaterThanOrEqual(RUNS * 6);
    if (!process.env.FUZZ_RUNS) expect(total).toBeGreaterThanOrEqual(10_000);
    expect(failures).toEqual([]);

    const since = { $gte: startedAt };
    const customers = await c.customers(h.db).find({ updatedAt: since }).toArray();
    for (const cu of customers) {
      expect(cu._id).toMatch(/^[A-Za-z0-9._:@/+-]{1,200}$/);
      expect(cu.email.length).toBeLessThanOrEqual(254);
      expect(Object.keys(cu.attributes).length).toBeLessThanOrEqual(100);
    }
    // Events from the API (a program's own events, from waves and campaigns, report no profile).
    const events = await c
      .events(h.db)
      .find({ receivedAt: since, programId: { $exists: false } })
      .toArray();
    for (const ev of events) {
      expect(ev.type).toMatch(/^[a-z][a-z0-9_.-]{0,63}$/);
      expect(ev.occurredAt).toBeInstanceOf(Date);
      // The profile the event reported, which the customer's loop writes to the record.
      expect(ev.customer?.id).toBe(ev.customerId);
      expect(ev.customer!.email.length).toBeLessThanOrEqual(254);
      expect(Object.keys(ev.customer!.attributes ?? {}).length).toBeLessThanOrEqual(100);
    }
    for (const program of await c.programs(h.db).find({ updatedAt: since }).toArray()) {
      const { _id, createdAt: _c, updatedAt: _u, versionId: _v, ...definition } = program;
      expect(ZProgram.safeParse(definition).success, _id).toBe(true);
    }
    for (const user of await c.users(h.db).find({ createdAt: since }).toArray()) {
      expect(ROLES).toContain(user.role);
      expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    }
    for (const key of await c.apiKeys(h.db).find({ createdAt: since }).toArray()) {
      for (const scope of key.scopes ?? []) expect(SCOPES).toContain(scope);
    }
    const stored = [...customers, ...events];
    expect(stored.filter((doc) => hasOperatorKey(doc))).toEqual([]);
  }, 60_000);
});

/** What an HTTP client can put in a header: no control characters (fetch refuses them). */
function headerSafe(text: string): string {
  return [...text].filter((ch) => ch.charCodeAt(0) > 0x1f && ch.charCodeAt(0) !== 0x7f).join('');
}

/** Percent-encodes what can be encoded; a lone surrogate becomes its escaped code unit. */
function safeEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return encodeURIComponent(text.replace(/[\ud800-\udfff]/g, '?')) + '%ED%A0%80';
  }
}

/** Any key at any depth that MongoDB would read as an operator or a path. */
function hasOperatorKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasOperatorKey);
  if (value === null || typeof value !== 'object' || value instanceof Date) return false;
  return Object.entries(value).some(([k, v]) => k.startsWith('$') || k.includes('.') || hasOperatorKey(v));
}
