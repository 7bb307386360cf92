import { MongoServerError, MongoUnexpectedServerResponseError } from 'mongodb';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { ensureAdmin, ensureApiKey } from '../../src/bootstrap';
import { Templates } from '../../src/mail/templates';
import { createMailer } from '../../src/mail/mailer';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { type RunningWeb, startWeb } from '../../src/runtime';
import { freePort } from '../../src/stack/ports';
import { createApp } from '../../src/web/app';
import { errorHandler } from '../../src/web/errors';
import { csrfIn, formBody, signIn } from '../support/admin';
import { ADMIN, type Harness, api, startHarness, uid } from '../support/harness';

const event = (type = 'purchase') => ({
  id: uid('evt'),
  type,
  occurredAt: new Date().toISOString(),
  customer: { id: uid('cust'), email: `${uid('c')}@example.com` },
});

describe('API keys: scopes, expiry, revocation', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ withWorker: false });
  });
  afterAll(() => h?.stop());

  const as = (key: string, method: string, path: string, body?: unknown) =>
    api({ ...h, apiKey: key }, method, path, body);

  it('a key that may only send events cannot read, change a program or its sender, or manage keys', async () => {
    const created = await api(h, 'POST', '/api/keys', { name: 'pos integration', scopes: ['events:write'] });
    expect(created.status).toBe(201);
    const key = created.json.key as string;
    expect(key).toMatch(/^cx_/);
    expect((await as(key, 'POST', '/api/events', event())).status).toBe(202);
    const change = await as(key, 'PUT', '/api/programs/p1', { sender: { name: 'Evil', email: 'evil@example.com' } });
    expect(change.status).toBe(403);
    expect(change.json.error).toMatch(/scope/);
    expect((await as(key, 'GET', '/api/customers')).status).toBe(403);
    expect((await as(key, 'POST', '/api/keys', { name: 'escalate', scopes: ['admin'] })).status).toBe(403);
  });

  it('a revoked key and an expired key stop working at once', async () => {
    const created = await api(h, 'POST', '/api/keys', { name: 'to revoke', scopes: ['read'] });
    const key = created.json.key as string;
    expect((await as(key, 'GET', '/api/customers')).status).toBe(200);
    expect((await api(h, 'DELETE', `/api/keys/${created.json.id as string}`)).status).toBe(204);
    expect((await as(key, 'GET', '/api/customers')).status).toBe(401);

    const expiring = `test-expiring-${uid('k')}`;
    await ensureApiKey(h.db, expiring, 'expired', ['read']);
    await h.db
      .collection('api_keys')
      .updateOne(
        { name: 'expired', prefix: expiring.slice(0, 6) },
        { $set: { expiresAt: new Date(Date.now() - 1000) } },
      );
    expect((await as(expiring, 'GET', '/api/customers')).status).toBe(401);
  });

  it('bad key input gets a 400 naming the field', async () => {
    const res = await api(h, 'POST', '/api/keys', { name: 'x', scopes: ['root'], expiresAt: '2000-01-01T00:00:00Z' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/scopes/);
    expect(res.text).toMatch(/expiresAt/);
  });

  it('admins create and revoke keys in the UI; the key is shown once', async () => {
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const res = await admin.post('/admin/keys', { name: 'from the UI', scopes: ['events:write', 'read'] });
    expect(res.status).toBe(200);
    const html = await res.text();
    const key = /id="new-key">(cx_[\w-]+)</.exec(html)?.[1];
    expect(key).toBeTruthy();
    expect((await as(key!, 'GET', '/api/customers')).status).toBe(200);
    const listed = await (await admin.get('/admin/keys')).text();
    expect(listed).not.toContain(key!);
    const id = (await api(h, 'GET', '/api/keys')).json.items as { id: string; name: string }[];
    const mine = id.find((k) => k.name === 'from the UI')!;
    expect((await admin.post(`/admin/keys/${mine.id}/revoke`)).status).toBe(200);
    expect((await as(key!, 'GET', '/api/customers')).status).toBe(401);
  });
});

describe('headers, body limits and rate limits', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      withWorker: false,
      env: { RATE_LIMIT_API: '8', RATE_LIMIT_PUBLIC: '5', METRICS_TOKEN: 'metrics-token-0123456789' },
    });
  });
  afterAll(() => h?.stop());

  it('sends a strict content security policy and no framing', async () => {
    const res = await fetch(`${h.baseUrl}/admin/login`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(await res.text()).not.toMatch(/<script(?![^>]*\bsrc=)|<style|\sstyle="|\son\w+="/);
  });

  it('checks the API key before reading the body', async () => {
    const huge = `{"events":[${'"x",'.repeat(3_000_000)}"x"]}`;
    const res = await fetch(`${h.baseUrl}/api/events:batch`, { method: 'POST', body: huge });
    expect(res.status).toBe(401);
  });

  it('applies the admin form limit to admin forms', async () => {
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const res = await admin.post('/admin/users', { name: 'x'.repeat(30_000) });
    expect(res.status).toBe(413);
  });

  it('rate-limits the API per key with 429 and Retry-After', async () => {
    const other = `test-other-${uid('k')}`;
    await ensureApiKey(h.db, other, 'other', ['read']);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${h.baseUrl}/api/customers`, { headers: { authorization: `Bearer ${h.apiKey}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(8)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // another key has its own budget
    expect((await fetch(`${h.baseUrl}/api/customers`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(
      200,
    );
  });

  it('rate-limits the public survey pages per IP', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await fetch(`${h.baseUrl}/s/${'a'.repeat(43)}`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status,
      );
    expect(statuses.slice(0, 5).every((s) => s === 404)).toBe(true);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(
      (await fetch(`${h.baseUrl}/s/${'a'.repeat(43)}`, { headers: { 'x-forwarded-for': '10.1.2.4' } })).status,
    ).toBe(404);
  });

  it('serves /metrics only with the metrics token, with latency by route pattern', async () => {
    expect((await fetch(`${h.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const res = await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/cxloop_http_request_duration_seconds_bucket\{[^}]*route="\/api\/customers"/);
    expect(text).not.toMatch(/route="\/s\/[A-Za-z0-9_-]{20,}/);
  });
});

describe('deployment behind https, metrics port, readiness', () => {
  let web: RunningWeb | undefined;
  afterAll(() => web?.stop());

  it('uses a __Host- Secure cookie, HSTS, and serves metrics on METRICS_PORT', async () => {
    const stack = inject('stack');
    const config = loadConfig({
      MONGODB_DB: stack.dbName,
      LOG_LEVEL: 'silent',
      METRICS_PORT: String(await freePort()),
    });
    web = await startWeb(
      config,
      { temporalAddress: stack.temporalAddress, mongoUri: stack.mongoUri, smtpUrl: stack.smtpUrl, embeddedMail: true },
      { port: 0, publicBaseUrl: 'https://cx.example.com' },
    );
    // TLS ends at the proxy in front, which says so (trusted from loopback).
    const https = { 'x-forwarded-proto': 'https' };
    const res = await fetch(`${web.url}/admin/login`, { headers: https });
    const [formCookie] = res.headers.getSetCookie();
    expect(formCookie).toMatch(/^__Host-cxloop-login=.*; Path=\/;.*HttpOnly; Secure; SameSite=Lax/);
    await ensureAdmin(web.database.db, ADMIN.email, ADMIN.password);
    const signedIn = await fetch(`${web.url}/admin/login`, {
      method: 'POST',
      headers: { ...https, cookie: formCookie!.split(';')[0]!, 'content-type': 'application/x-www-form-urlencoded' },
      body: formBody({ ...ADMIN, _csrf: csrfIn(await res.text())! }),
      redirect: 'manual',
    });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.getSetCookie()).toContainEqual(
      expect.stringMatching(/^__Host-cxloop=[^;]+; Path=\/;.*HttpOnly; Secure; SameSite=Lax/),
    );
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
    expect((await fetch(`${web.url}/metrics`)).status).toBe(404);
    const metrics = await fetch(`${web.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('cxloop_http_request_duration_seconds');
  });

  it('readiness reports Temporal down as degraded, still ready, without echoing internal errors', async () => {
    const h = await startHarness({ withWorker: false });
    // Nothing listens on port 9 (discard): Temporal is unreachable from this app.
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
    const app = createApp({
      db: h.db,
      mongoClient: h.web.database.client,
      temporal,
      templates: new Templates(),
      taskQueue: 'unused',
      loopIdleTimeout: '1m',
      customerKeySecret: 'a-test-customer-key-secret-0123456789',
      sessionSecret: 'a-test-session-secret',
      embeddedMail: true,
      publicBaseUrl: 'http://localhost',
      logger: pino({ level: 'silent' }),
      rateLimits: h.config.rateLimits,
      trustProxy: 'loopback',
      mailer: createMailer(inject('stack').smtpUrl),
      mailFrom: 'cxloop <noreply@test.local>',
    });
    const server = app.listen(0);
    try {
      await new Promise((r) => server.once('listening', r));
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/readyz`);
      // Ready all the same: survey pages and event intake work without Temporal.
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ready', checks: { mongodb: 'ok', temporal: 'degraded' } });
    } finally {
      server.close();
      await h.stop();
    }
  });
});

describe('unexpected errors', () => {
  function appThatThrows(error: Error) {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const app = express();
    app.use(pinoHttp({ logger: pino({ level: 'info' }, sink) }));
    app.get('/boom', () => {
      throw error;
    });
    app.use(errorHandler(new Templates()));
    return { app, lines };
  }

  async function get(app: express.Express, path: string, accept = 'application/json') {
    const server = app.listen(0);
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as { port: number };
      return await fetch(`http://127.0.0.1:${port}${path}`, { headers: { accept } });
    } finally {
      server.close();
    }
  }

  it('a bug is a 500 with an error ID that the log shows next to the stack', async () => {
    const { app, lines } = appThatThrows(new TypeError('cannot read x of undefined'));
    const res = await get(app, '/boom');
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; details: { errorId: string } };
    const errorId = body.details.errorId;
    expect(errorId).toMatch(/^[0-9a-f]{12}$/);
    expect(body.error).toContain(errorId);
    expect(JSON.stringify(body)).not.toContain('cannot read x');
    const logged = lines.find((l) => l.errorId === errorId) as { err?: { stack?: string } } | undefined;
    expect(logged?.err?.stack).toContain('TypeError: cannot read x of undefined');
  });

  it('an unreachable database is a 503 with Retry-After', async () => {
    const err = new Error('connection refused');
    err.name = 'MongoServerSelectionError';
    const res = await get(appThatThrows(err).app, '/boom', 'text/html');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).not.toContain('connection refused');
  });

  it('an overloaded embedded database (write lock held too long, an unreadable answer) is a 503 with Retry-After', async () => {
    const busy = new MongoServerError({ ok: 0, errmsg: 'InsertAll: database is locked (5) (SQLITE_BUSY)' });
    const res = await get(appThatThrows(busy).app, '/boom');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const unreadable = new MongoUnexpectedServerResponseError('BSON element "cursor" is missing');
    expect((await get(appThatThrows(unreadable).app, '/boom')).status).toBe(503);
    const other = new MongoServerError({ ok: 0, errmsg: 'E11000 duplicate key error' });
    expect((await get(appThatThrows(other).app, '/boom')).status).toBe(500);
  });
});

describe('request logs', () => {
  it('carry a request ID and never an API key, a cookie or a whole survey token', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const stack = inject('stack');
    const config = loadConfig({ MONGODB_DB: stack.dbName });
    const web = await startWeb(
      config,
      { temporalAddress: stack.temporalAddress, mongoUri: stack.mongoUri, smtpUrl: stack.smtpUrl, embeddedMail: true },
      { port: 0, logger },
    );
    try {
      const token = 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0PpOoNnMmLlKk';
      const key = `secret-key-${uid('k')}`;
      const survey = await fetch(`${web.url}/s/${token}?score=3`, { headers: { 'x-request-id': 'req-1234' } });
      expect(survey.headers.get('x-request-id')).toBe('req-1234');
      await fetch(`${web.url}/api/customers`, {
        headers: { authorization: `Bearer ${key}`, cookie: 'cxloop.sid=s%3Asecret' },
      });
      const log = lines.join('');
      expect(log).toContain('"id":"req-1234"');
      expect(log).toContain('/s/Zz9Yy8…');
      expect(log).not.toContain(token.slice(6));
      expect(log).not.toContain(key);
      expect(log).not.toContain('s%3Asecret');
    } finally {
      await web.stop();
    }
  });
});

describe('bounded input at the API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ withWorker: false });
  });
  afterAll(() => h?.stop());

  it('pages every list with whole numbers within limits, or says which parameter is wrong', async () => {
    for (const path of ['/api/customers', '/api/programs', '/api/invitations', '/api/responses', '/api/keys']) {
      expect((await api(h, 'GET', `${path}?limit=2`)).json.limit, path).toBe(2);
      for (const query of ['limit=0', 'limit=201', 'limit=abc', 'limit=1.5', 'offset=-1', 'limit=1&limit=2']) {
        const res = await api(h, 'GET', `${path}?${query}`);
        expect(res.status, `${path}?${query}`).toBe(400);
        expect(res.json.error).toMatch(/limit|offset/);
      }
    }
  });

  it('takes concurrent first saves of one program without a 5xx (found by the fuzz test)', async () => {
    const body = {
      name: 'Race',
      kind: 'transactional',
      triggers: ['purchase'],
      survey: { questions: [{ id: 'nps', type: 'nps', label: 'NPS' }] },
      email: { subject: 'Hi', intro: 'Thanks' },
    };
    const id = `race-${Date.now()}`;
    const results = await Promise.all(Array.from({ length: 12 }, () => api(h, 'PUT', `/api/programs/${id}`, body)));
    expect(results.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
    expect((await api(h, 'GET', `/api/programs/${id}`)).json.name).toBe('Race');
  });

  it('refuses a program whose template or default locale does not ship', async () => {
    const program = {
      name: 'Locales',
      kind: 'transactional',
      triggers: ['purchase'],
      survey: { questions: [{ id: 'nps', type: 'nps', label: 'Recommend us?' }] },
      email: { subject: 'Hi', intro: 'Thanks' },
    };
    const noTemplate = await api(h, 'PUT', '/api/programs/tpl-check', {
      ...program,
      email: { ...program.email, template: 'nonexistent' },
    });
    expect(noTemplate.status).toBe(400);
    expect(noTemplate.json.error).toMatch(/email.template/);
    const noLocale = await api(h, 'PUT', '/api/programs/tpl-check', { ...program, defaultLocale: 'fr' });
    expect(noLocale.status).toBe(400);
    expect(noLocale.json.error).toMatch(/defaultLocale: page wording ships for de, en/);
    expect((await api(h, 'PUT', '/api/programs/tpl-check', { ...program, defaultLocale: 'de' })).status).toBe(201);
  });
});
