import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role, SCOPES, type Scope } from '../../src/domain/access';
import { type Access, isAccessHandler } from '../../src/web/access';
import { API_OPERATIONS } from '../../src/web/api-contract';
import { ensureApiKey } from '../../src/bootstrap';
import { hashApiKey } from '../../src/app/credentials';
import * as c from '../../src/db/collections';
import { storeRouting } from '../../src/db/routing';
import { CASE_ACTIONS } from '../../src/domain/cases';
import { ZRouting } from '../../src/domain/routing';
import { connectTemporalClient } from '../../src/temporal/connection';
import { caseWorkflowId } from '../../workflows/definitions';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { caseDocOf } from '../support/cases';
import { type Harness, startHarness, uid } from '../support/harness';

interface RouteInfo {
  method: string;
  path: string;
  access?: Access;
}

interface Layer {
  rawPath?: string | string[];
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
  handle: { stack?: Layer[] };
}

/** Every route in Express's own table, with the access declaration found among its handlers. */
function routesOf(stack: Layer[], prefix = ''): RouteInfo[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const access = layer.route.stack.map((l) => l.handle).find(isAccessHandler)?.access;
      return Object.keys(layer.route.methods).map((method) => ({
        method: method.toUpperCase(),
        path: `${prefix}${layer.route!.path}`,
        access,
      }));
    }
    if (!layer.handle.stack) return [];
    const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
    return routesOf(layer.handle.stack, `${prefix}${mount}`);
  });
}

/** A concrete URL for a route pattern: parameters get harmless made-up values. */
const concrete = (path: string) => path.replace(/\\:/g, ':').replace(/\/:(\w+)/g, '/x0000000000000000');

/** `teamKey`: an admin key restricted to a team, which only the routes declared for team keys accept. */
type Identity =
  { kind: 'nobody' } | { kind: 'role'; role: Role } | { kind: 'scope'; scope: Scope } | { kind: 'teamKey' };
const label = (who: Identity) =>
  who.kind === 'nobody' || who.kind === 'teamKey' ? who.kind : who.kind === 'role' ? who.role : `key:${who.scope}`;

describe('every route declares who may use it, and the declaration is enforced', () => {
  let h: Harness;
  let routes: RouteInfo[];
  const sessions = new Map<Role, AdminClient>();
  const keys = new Map<Scope, string>();
  const teamKey = `test-team-${uid('k')}`;

  beforeAll(async () => {
    h = await startHarness({ withWorker: false });
    const app = h.web.server.listeners('request')[0] as Express;
    routes = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
    for (const role of ROLES) {
      const user = await createUser(h.db, role);
      sessions.set(role, await signIn(h.baseUrl, user.email, user.password));
    }
    for (const scope of SCOPES) {
      const key = `test-${scope}-${uid('k')}`;
      await ensureApiKey(h.db, key, `scope ${scope}`, [scope]);
      keys.set(scope, key);
    }
    await ensureApiKey(h.db, teamKey, 'team key', ['admin']);
    await c.apiKeys(h.db).updateOne({ _id: hashApiKey(teamKey) }, { $set: { teams: ['north'] } });
  });
  afterAll(() => h?.stop());

  it('finds the routes, and none is left undeclared', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(['POST /api/events', 'GET /admin/outbox', 'POST /admin/login', 'GET /s/:token']),
    );
    const undeclared = routes.filter((r) => !r.access).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
  });

  it('the outbox, users and API keys are for admins only', () => {
    for (const path of ['/admin/outbox', '/admin/outbox/:id', '/admin/users', '/admin/keys']) {
      const route = routes.find((r) => r.method === 'GET' && r.path === path);
      expect(route?.access, path).toEqual({ kind: 'roles', roles: ['admin'] });
    }
    expect(routes.find((r) => r.path === '/api/outbox')?.access).toEqual({ kind: 'scopes', scopes: ['admin'] });
  });

  it('the cases are for the roles that handle them, the audit log and webhooks for admins', () => {
    const rolesOf = (method: string, path: string) =>
      routes.find((r) => r.method === method && r.path === path)?.access;
    for (const path of ['/admin/cases', '/admin/cases/:id'])
      expect(rolesOf('GET', path)).toEqual({ kind: 'roles', roles: ['admin', 'operations', 'case_owner'] });
    expect(rolesOf('POST', '/admin/cases/:id/:action')).toEqual({
      kind: 'roles',
      roles: ['admin', 'operations', 'case_owner'],
    });
    for (const path of ['/admin/audit', '/admin/webhooks'])
      expect(rolesOf('GET', path)).toEqual({ kind: 'roles', roles: ['admin'] });
    expect(rolesOf('POST', '/api/cases/:id/:action')).toEqual({ kind: 'scopes', scopes: ['write'], teamKeys: true });
    expect(rolesOf('POST', '/api/webhooks')).toEqual({ kind: 'scopes', scopes: ['admin'] });
  });

  it('the organisation units are shown to admins and operations, changed by admins only', () => {
    const accessOf = (method: string, path: string) =>
      routes.find((r) => r.method === method && r.path === path)?.access;
    expect(accessOf('GET', '/admin/units')).toEqual({ kind: 'roles', roles: ['admin', 'operations'] });
    for (const [method, path] of [
      ['GET', '/admin/units/:id/edit'],
      ['POST', '/admin/units'],
      ['POST', '/admin/units/:id'],
      ['POST', '/admin/units/:id/delete'],
    ] as const)
      expect(accessOf(method, path), `${method} ${path}`).toEqual({ kind: 'roles', roles: ['admin'] });
    for (const [method, path] of [
      ['GET', '/admin/units/compare'],
      ['POST', '/admin/units/:id/goals'],
    ] as const)
      expect(accessOf(method, path), `${method} ${path}`).toEqual({
        kind: 'roles',
        roles: ['admin', 'operations', 'case_owner', 'viewer'],
      });
    expect(accessOf('GET', '/api/units')).toEqual({ kind: 'scopes', scopes: ['read'] });
    expect(accessOf('PUT', '/api/units')).toEqual({ kind: 'scopes', scopes: ['admin'] });
  });

  it('the API contract lists every API route once, with the access the route declares', () => {
    const api = routes
      .filter((r) => r.path.startsWith('/api/'))
      .map((r) => ({
        // `:id` is a parameter, `\:` a literal colon (`/api/events:batch`).
        route: `${r.method} ${r.path.replace(/(?<!\\):(\w+)/g, '{$1}').replace(/\\:/g, ':')}`,
        access: r.access,
      }));
    const contract = API_OPERATIONS.map((op) => ({
      route: `${op.method.toUpperCase()} ${op.path}`,
      access: { kind: 'scopes', scopes: op.scopes, ...(op.teamKeys ? { teamKeys: true } : {}) },
    }));
    const byRoute = (a: { route: string }, b: { route: string }) => a.route.localeCompare(b.route);
    expect(api.sort(byRoute)).toEqual(contract.sort(byRoute));
  });

  it('tries each route as nobody, as each role, with each key scope and with a team-restricted key', async () => {
    const identities: Identity[] = [
      { kind: 'nobody' },
      ...ROLES.map((role) => ({ kind: 'role' as const, role })),
      ...SCOPES.map((scope) => ({ kind: 'scope' as const, scope })),
      { kind: 'teamKey' },
    ];
    const problems: string[] = [];
    // Signing out ends the session it is tried with, so it goes last.
    const ordered = routes
      .filter((r) => r.access)
      .sort((a, b) => Number(a.path === '/admin/logout') - Number(b.path === '/admin/logout'));
    for (const route of ordered) {
      for (const who of identities) {
        const status = await call(route, who).catch((err: Error) => {
          throw new Error(`${route.method} ${route.path} as ${label(who)}: ${err.message}`, { cause: err });
        });
        const verdict = judge(route.access!, who, status);
        if (verdict) problems.push(`${route.method} ${route.path} as ${label(who)}: ${status} (${verdict})`);
      }
    }
    expect(problems).toEqual([]);
    // Every route as every identity: over a minute when the machine is busy.
  }, 300_000);

  async function call(route: RouteInfo, who: Identity): Promise<number> {
    const url = `${h.baseUrl}${concrete(route.path)}`;
    if (who.kind === 'role') {
      const client = sessions.get(who.role)!;
      const res =
        route.method === 'GET' ? await client.get(concrete(route.path)) : await client.post(concrete(route.path));
      await res.arrayBuffer();
      return res.status;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (who.kind === 'scope') headers.authorization = `Bearer ${keys.get(who.scope)}`;
    if (who.kind === 'teamKey') headers.authorization = `Bearer ${teamKey}`;
    const res = await fetch(url, {
      method: route.method,
      headers,
      body: route.method === 'GET' || route.method === 'HEAD' ? undefined : '{}',
      redirect: 'manual',
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** What is wrong with this status for this identity, or undefined when it is as declared. */
  function judge(access: Access, who: Identity, status: number): string | undefined {
    if (status >= 500) return 'server error';
    if (access.kind === 'public') return undefined;
    const denied = status === 401 || status === 403 || status === 303;
    const mayUse =
      (access.kind === 'roles' && who.kind === 'role' && access.roles.includes(who.role)) ||
      (access.kind === 'scopes' &&
        who.kind === 'scope' &&
        (who.scope === 'admin' || access.scopes.includes(who.scope))) ||
      (access.kind === 'scopes' && who.kind === 'teamKey' && access.teamKeys === true);
    if (mayUse && denied && status !== 303) return 'refused although allowed';
    if (!mayUse && !denied) return 'allowed although not declared';
    return undefined;
  }
});

/** Express's route table of a running harness. */
function routeTable(h: Harness): RouteInfo[] {
  const app = h.web.server.listeners('request')[0] as Express;
  return routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
}

describe('every case route checks the case against the person’s teams', () => {
  let h: Harness;
  let routes: RouteInfo[];
  const people = new Map<string, AdminClient>();
  const northCase = uid('case-north');
  const northCustomer = uid('cust-north');
  /**
   * A north case whose workflow is started on a task queue no worker polls: an action that reached
   * Temporal would wait for it and fail with 503, so a 403 proves the refusal came first.
   */
  const guardedCase = uid('case-guarded');
  let stopGuardedWorkflow = async () => {};

  beforeAll(async () => {
    // Its own database: the routing document is one per database.
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop-case-access-${Date.now()}` } });
    routes = routeTable(h);
    const emails = new Map<string, string>();
    for (const person of ['northOwner', 'northManager', 'southOwner', 'southManager', 'director']) {
      const user = await createUser(h.db, 'case_owner');
      emails.set(person, user.email);
      people.set(person, await signIn(h.baseUrl, user.email, user.password));
    }
    const email = (person: string) => emails.get(person)!;
    await storeRouting(
      h.db,
      ZRouting.parse({
        teams: [
          { id: 'north', name: 'North', members: [email('northOwner')], manager: email('northManager') },
          { id: 'south', name: 'South', members: [email('southOwner')], manager: email('southManager') },
        ],
        fallbackTeam: 'south',
        managerAbove: { [email('northManager')]: email('director'), [email('southManager')]: email('director') },
        rootCauses: ['Delivery delay', 'Other'],
      }),
      'test',
    );
    const now = new Date();
    await c.customers(h.db).insertOne({
      _id: northCustomer,
      email: `${northCustomer}@example.com`,
      name: 'Nora North-Customer',
      locale: 'en',
      attributes: { revenue: 5000 },
      unsubscribed: false,
      createdAt: now,
      updatedAt: now,
    });
    await c.cases(h.db).insertOne(caseDocOf(northCase, 'north', email('northOwner'), northCustomer, 'walk-program'));
    await c.cases(h.db).insertOne(caseDocOf(guardedCase, 'north', email('northOwner'), northCustomer, 'walk-program'));
    const temporal = await connectTemporalClient({
      address: h.temporalAddress,
      namespace: h.config.temporal.namespace,
    });
    const handle = await temporal.workflow.start('caseWorkflow', {
      workflowId: caseWorkflowId(guardedCase),
      taskQueue: uid('no-worker'),
      args: [],
    });
    stopGuardedWorkflow = async () => {
      await handle.terminate('test over').catch(() => undefined);
      await temporal.connection.close();
    };
  });
  afterAll(async () => {
    await stopGuardedWorkflow();
    await h?.stop();
  });

  /** Every route a case owner may use that names a case or a customer, with a north case's or customer's ID. */
  function objectRoutes(caseId: string): { method: string; url: string }[] {
    const forOwners = routes.filter(
      (r) => r.access?.kind === 'roles' && r.access.roles.includes('case_owner') && r.path.includes('/:'),
    );
    const caseRoutes = forOwners.filter((r) => r.path.startsWith('/admin/cases/:id'));
    const customerRoutes = forOwners.filter((r) => r.path.startsWith('/admin/customers/:id'));
    expect(caseRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      'GET /admin/cases/:id',
      'POST /admin/cases/:id/:action',
    ]);
    expect(customerRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /admin/customers/:id']);
    return [...caseRoutes, ...customerRoutes].flatMap((r) => {
      const withId = r.path.replace(':id', r.path.startsWith('/admin/cases') ? caseId : northCustomer);
      return withId.includes(':action')
        ? CASE_ACTIONS.map((action) => ({ method: r.method, url: withId.replace(':action', action) }))
        : [{ method: r.method, url: withId }];
    });
  }

  async function statusOf(person: string, route: { method: string; url: string }): Promise<number> {
    const client = people.get(person)!;
    const res = route.method === 'GET' ? await client.get(route.url) : await client.post(route.url);
    await res.arrayBuffer();
    return res.status;
  }

  it('refuses another team’s owner and a sibling team’s manager on every case route, with 403', async () => {
    const problems: string[] = [];
    for (const route of objectRoutes(guardedCase))
      for (const person of ['southOwner', 'southManager']) {
        const status = await statusOf(person, route);
        if (status !== 403) problems.push(`${route.method} ${route.url} as ${person}: ${status}`);
      }
    expect(problems).toEqual([]);
    const refused = await people.get('southOwner')!.get(`/admin/cases/${guardedCase}`);
    expect(refused.headers.get('content-type')).toContain('html');
    expect(await refused.text()).toContain('belongs to a team you are not part of');
  });

  it('lets the team’s owner, its manager and the manager above through on every case route', async () => {
    const problems: string[] = [];
    for (const route of objectRoutes(northCase))
      for (const person of ['northOwner', 'northManager', 'director']) {
        const status = await statusOf(person, route);
        // Through the check: the page, or the action refused by the case itself (no workflow runs here).
        if (status === 403 || status >= 500) problems.push(`${route.method} ${route.url} as ${person}: ${status}`);
      }
    expect(problems).toEqual([]);
  });

  it('lists, and exports, only the cases and customers of the person’s teams', async () => {
    const sees = async (person: string, path: string, text: string) => {
      const res = await people.get(person)!.get(path);
      expect(res.status, `${person} ${path}`).toBe(200);
      return (await res.text()).includes(text);
    };
    for (const [person, expected] of [
      ['southOwner', false],
      ['southManager', false],
      ['northOwner', true],
      ['director', true],
    ] as const) {
      for (const view of ['mine', 'team', 'all'])
        if (view === 'all' || !expected)
          expect(await sees(person, `/admin/cases?view=${view}`, northCase), `${person} ${view}`).toBe(expected);
      expect(await sees(person, '/admin/customers', northCustomer), `${person} customers`).toBe(expected);
      expect(await sees(person, '/admin/export/cases.csv', northCase), `${person} cases.csv`).toBe(expected);
    }
    // The manager above has no team of their own: their Team queue offers the teams below them.
    expect(await sees('director', '/admin/cases?view=team', northCase)).toBe(true);
  });

  describe('an API key restricted to a team', () => {
    const southCase = uid('case-south-key');
    const southCustomer = uid('cust-south-key');
    const adminKey = `test-admin-${uid('k')}`;
    let southKey = '';
    let everyTeamKey = '';

    const api = (key: string, method: string, path: string, body?: unknown) =>
      fetch(`${h.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const createKey = async (input: object) => {
      const res = await api(adminKey, 'POST', '/api/keys', { scopes: ['read', 'write'], ...input });
      expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
      return ((await res.json()) as { key: string }).key;
    };

    beforeAll(async () => {
      await c.cases(h.db).insertOne(caseDocOf(southCase, 'south', 'nobody@test.local', southCustomer, 'walk-program'));
      await ensureApiKey(h.db, adminKey, 'walk admin', ['admin']);
      southKey = await createKey({ name: 'south helpdesk', teams: ['south'] });
      everyTeamKey = await createKey({ name: 'every team' });
    });

    /** The API's case routes that name a case, with the case's ID, one URL per action. */
    function apiCaseRoutes(caseId: string): { method: string; url: string }[] {
      const named = routes.filter((r) => r.path.startsWith('/api/cases/:id'));
      expect(named.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
        'GET /api/cases/:id',
        'POST /api/cases/:id/:action',
      ]);
      return named.flatMap((r) => {
        const withId = r.path.replace(':id', caseId);
        return withId.includes(':action')
          ? CASE_ACTIONS.map((action) => ({ method: r.method, url: withId.replace(':action', action) }))
          : [{ method: r.method, url: withId }];
      });
    }

    it('when it is created with a team the routing lacks, then 400 names the team', async () => {
      const res = await api(adminKey, 'POST', '/api/keys', {
        name: 'typo',
        scopes: ['read'],
        teams: ['south', 'nort'],
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain('nort');
    });

    it('when keys are listed, then the restricted one shows its teams and the other none', async () => {
      const res = await api(adminKey, 'GET', '/api/keys?limit=100');
      const { items } = (await res.json()) as { items: { name: string; teams: string[] | null }[] };
      expect(items.find((k) => k.name === 'south helpdesk')?.teams).toEqual(['south']);
      expect(items.find((k) => k.name === 'every team')?.teams).toBeNull();
    });

    it('lists and exports only its team’s cases; an unrestricted key sees both teams', async () => {
      const listed = async (key: string) =>
        ((await (await api(key, 'GET', '/api/cases?limit=100')).json()) as { items: { _id: string }[] }).items.map(
          (doc) => doc._id,
        );
      const exported = async (key: string) => await (await api(key, 'GET', '/api/export/cases.csv')).text();
      expect(await listed(southKey)).toContain(southCase);
      expect(await listed(southKey)).not.toContain(northCase);
      expect(await exported(southKey)).toContain(southCase);
      expect(await exported(southKey)).not.toContain(northCase);
      expect(await listed(everyTeamKey)).toEqual(expect.arrayContaining([southCase, northCase]));
      expect(await exported(everyTeamKey)).toContain(northCase);
    });

    it('refuses another team’s case on every case route with 403, before anything reaches its workflow', async () => {
      const problems: string[] = [];
      for (const route of apiCaseRoutes(guardedCase)) {
        const res = await api(southKey, route.method, route.url, route.method === 'POST' ? {} : undefined);
        const body = (await res.json()) as { error?: string };
        if (res.status !== 403 || !body.error?.includes('not restricted to'))
          problems.push(`${route.method} ${route.url}: ${res.status} ${body.error}`);
      }
      expect(problems).toEqual([]);
    });

    it('lets it through on its own team’s case, and an unrestricted key on every case', async () => {
      const problems: string[] = [];
      for (const [key, caseId] of [
        [southKey, southCase],
        [everyTeamKey, northCase],
      ])
        for (const route of apiCaseRoutes(caseId!)) {
          const res = await api(key!, route.method, route.url, route.method === 'POST' ? {} : undefined);
          await res.arrayBuffer();
          // Through the check: the case, or the action refused by the case itself (no workflow runs here).
          if (res.status === 403 || res.status >= 500) problems.push(`${route.method} ${route.url}: ${res.status}`);
        }
      expect(problems).toEqual([]);
    });

    it('when an admin restricts a key on the keys page, then the list shows its teams; an unknown team is refused', async () => {
      const user = await createUser(h.db, 'admin');
      const admin = await signIn(h.baseUrl, user.email, user.password);
      const form = await (await admin.get('/admin/keys')).text();
      expect(form).toContain('name="teams" value="north"');
      const created = await admin.post('/admin/keys', { name: 'north desk', scopes: ['read'], teams: ['north'] });
      expect(created.status).toBe(200);
      expect(await created.text()).toMatch(/north desk[\s\S]*cases of<\/span> <span class="tag">north<\/span>/);
      const refused = await admin.post('/admin/keys', { name: 'typo desk', scopes: ['read'], teams: ['nort'] });
      expect(refused.status).toBe(422);
      expect(await refused.text()).toContain('nort is not a team of the routing');
    });

    it('refuses it on customer-wide routes and exports, which no team limits', async () => {
      for (const path of [
        '/api/customers',
        `/api/customers/${southCustomer}`,
        '/api/export/customers.csv',
        '/api/responses',
      ]) {
        const res = await api(southKey, 'GET', path);
        expect(res.status, path).toBe(403);
        expect(((await res.json()) as { error: string }).error).toContain('restricted to the teams south');
      }
    });
  });

  it('shows on a case page only the customer’s other cases that the person may see', async () => {
    // Last: after this the north customer also has a south case (and so a customer page for the south team).
    const southCase = uid('case-south');
    await c.cases(h.db).insertOne(caseDocOf(southCase, 'south', 'nobody@test.local', northCustomer, 'walk-program'));
    const page = async (person: string) => await (await people.get(person)!.get(`/admin/cases/${northCase}`)).text();
    expect(await page('northOwner')).not.toContain(southCase);
    expect(await page('director')).toContain(southCase);
  });
});
