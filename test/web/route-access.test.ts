import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role, SCOPES, type Scope } from '../../src/domain/access';
import { type Access, isAccessHandler } from '../../src/web/access';
import { openApiDocument } from '../../src/web/routes/openapi';
import { ensureApiKey } from '../../src/bootstrap';
import { type AdminClient, createUser, signIn } from '../support/admin';
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

type Identity = { kind: 'nobody' } | { kind: 'role'; role: Role } | { kind: 'scope'; scope: Scope };
const label = (who: Identity) =>
  who.kind === 'nobody' ? 'nobody' : who.kind === 'role' ? who.role : `key:${who.scope}`;

describe('every route declares who may use it, and the declaration is enforced', () => {
  let h: Harness;
  let routes: RouteInfo[];
  const sessions = new Map<Role, AdminClient>();
  const keys = new Map<Scope, string>();

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
    expect(rolesOf('POST', '/api/cases/:id/:action')).toEqual({ kind: 'scopes', scopes: ['write'] });
    expect(rolesOf('POST', '/api/webhooks')).toEqual({ kind: 'scopes', scopes: ['admin'] });
  });

  it('every API route is in the OpenAPI document', () => {
    const documented = Object.entries(openApiDocument.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    const api = routes
      .filter((r) => r.path.startsWith('/api/') && r.path !== '/api/openapi.json')
      .map((r) => `${r.method} ${r.path.replace('\\:', ':')}`);
    expect(api.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('tries each route as nobody, as each role and with each key scope', async () => {
    const identities: Identity[] = [
      { kind: 'nobody' },
      ...ROLES.map((role) => ({ kind: 'role' as const, role })),
      ...SCOPES.map((scope) => ({ kind: 'scope' as const, scope })),
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
  });

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
        (who.scope === 'admin' || access.scopes.includes(who.scope)));
    if (mayUse && denied && status !== 303) return 'refused although allowed';
    if (!mayUse && !denied) return 'allowed although not declared';
    return undefined;
  }
});
