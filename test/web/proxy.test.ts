import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureAdmin } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { type RunningWeb, startWeb } from '../../src/runtime';
import { csrfIn, formBody } from '../support/admin';
import { type Deployment, startDeployment } from '../support/processes';
import { waitUntil } from '../support/wait';

/** The load balancer's own address: loopback, but not the one the web tier's clients use. */
const PROXY_ADDRESS = '127.0.0.2';
/** Two people's machines, as the load balancer sees them. */
const ALICE = '127.0.0.5';
const BOB = '127.0.0.6';
const ADMIN = { email: 'proxy-admin@test.local', password: 'a long proxy test password' };
const PUBLIC_BASE_URL = 'https://cx.example.test';

interface Answer {
  status: number;
  cookies: string[];
  location?: string;
  retryAfter?: string;
  text: string;
}

/** One HTTP request from a given source address (fetch cannot choose its own). */
function request(
  url: string,
  options: { from: string; method?: string; headers?: Record<string, string>; body?: string } = { from: ALICE },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, localAddress: options.from },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            cookies: res.headers['set-cookie'] ?? [],
            location: res.headers.location,
            retryAfter: res.headers['retry-after'] as string | undefined,
            text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Signs in as a browser at `from` would through `baseUrl`; returns the session cookie, if one was set. */
async function signIn(baseUrl: string, from: string): Promise<{ status: number; session?: string }> {
  const page = await request(`${baseUrl}/admin/login`, { from });
  const form = await request(`${baseUrl}/admin/login`, {
    from,
    method: 'POST',
    headers: {
      cookie: page.cookies.map((c) => c.split(';')[0]!).join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: formBody({ ...ADMIN, _csrf: csrfIn(page.text) ?? '' }).toString(),
  });
  const session = form.cookies.find((c) => /^__Host-cxloop=[^;]/.test(c));
  return { status: form.status, session };
}

/** A survey link that does not exist: a 404 that still counts against the per-client limit. */
const surveyPage = (baseUrl: string, from: string, headers: Record<string, string> = {}) =>
  request(`${baseUrl}/s/${'a'.repeat(43)}`, { from, headers }).then((a) => a.status);

interface ProxyProcess {
  url: string;
  stop(): Promise<void>;
}

/** The reverse proxy of test/support/reverse-proxy.ts, a separate process in front of `targets`. */
async function startProxy(targets: string[]): Promise<ProxyProcess> {
  const root = path.resolve(__dirname, '..', '..');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/reverse-proxy.ts', PROXY_ADDRESS, targets.join(',')],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await waitUntil('the reverse proxy to listen', async () => /listening (\S+)/.exec(output)?.[1]);
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A target URL on 127.0.0.1 (the proxy connects from its own IPv4 address). */
const ipv4 = (url: string) => url.replace('//localhost:', '//127.0.0.1:');

describe('behind a TLS-terminating load balancer on another address (TRUST_PROXY names it)', () => {
  let deployment: Deployment;
  let proxy: ProxyProcess;
  beforeAll(async () => {
    deployment = await startDeployment({
      webs: 2,
      workers: 0,
      env: {
        TRUST_PROXY: PROXY_ADDRESS,
        PUBLIC_BASE_URL,
        RATE_LIMIT_PUBLIC: '4',
        CXLOOP_ADMIN_EMAIL: ADMIN.email,
        CXLOOP_ADMIN_PASSWORD: ADMIN.password,
      },
    });
    proxy = await startProxy(deployment.webs.map((w) => ipv4(w.url!)));
  });
  afterAll(async () => {
    await proxy?.stop();
    await deployment?.stop();
  });

  it('signs in over "https": the __Host- cookie is Secure and the session works on both web processes', async () => {
    const { status, session } = await signIn(proxy.url, ALICE);
    expect(status).toBe(303);
    expect(session).toMatch(/^__Host-cxloop=[^;]+; Path=\/;.*HttpOnly; Secure; SameSite=Lax/);
    const cookie = session!.split(';')[0]!;
    // the proxy takes turns, so these two requests reach different web processes
    for (let i = 0; i < 2; i++)
      expect((await request(`${proxy.url}/admin/account`, { from: ALICE, headers: { cookie } })).status).toBe(200);
  });

  it('counts public requests per client, whatever X-Forwarded-For the client itself sends', async () => {
    const alice = [];
    for (let i = 0; i < 5; i++) alice.push(await surveyPage(proxy.url, ALICE));
    expect(alice).toEqual([404, 404, 404, 404, 429]);
    // a forged header is only the client's word: the proxy's appended address counts
    expect(await surveyPage(proxy.url, ALICE, { 'x-forwarded-for': '203.0.113.77' })).toBe(429);
    expect(await surveyPage(proxy.url, BOB)).toBe(404);
  });

  it('shares one budget between the web processes', async () => {
    // straight to the web processes (not through the proxy): the client is 127.0.0.1 for both
    const [first, second] = deployment.webs.map((w) => ipv4(w.url!));
    const statuses = [];
    for (const url of [first, second, first, second, first]) statuses.push(await surveyPage(url!, '127.0.0.1'));
    expect(statuses).toEqual([404, 404, 404, 404, 429]);
  });
});

describe('behind a load balancer that TRUST_PROXY does not name', () => {
  let web: RunningWeb;
  let proxy: ProxyProcess;
  beforeAll(async () => {
    const stack = inject('stack');
    // Every 127.x address is loopback, so the default would trust this proxy: name another one,
    // as a deployment whose load balancer is not in TRUST_PROXY does.
    const config = loadConfig({
      MONGODB_DB: stack.dbName,
      LOG_LEVEL: 'silent',
      TRUST_PROXY: '127.0.0.3',
      RATE_LIMIT_PUBLIC: '2',
    });
    web = await startWeb(
      config,
      { temporalAddress: stack.temporalAddress, mongoUri: stack.mongoUri, smtpUrl: stack.smtpUrl, embeddedMail: true },
      { port: 0, publicBaseUrl: PUBLIC_BASE_URL, rateLimitScope: 'untrusted-proxy-test' },
    );
    await ensureAdmin(web.database.db, ADMIN.email, ADMIN.password);
    proxy = await startProxy([ipv4(web.url)]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await web?.stop();
  });

  it('cannot sign in (no secure cookie over what looks like http) and all clients share one bucket', async () => {
    const { status, session } = await signIn(proxy.url, ALICE);
    expect(status).toBe(303);
    expect(session).toBeUndefined();
    expect([await surveyPage(proxy.url, ALICE), await surveyPage(proxy.url, ALICE)]).toEqual([404, 404]);
    expect(await surveyPage(proxy.url, BOB)).toBe(429);
  });
});
