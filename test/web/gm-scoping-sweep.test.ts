import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiKey } from '../../src/bootstrap';
import { hashApiKey } from '../../src/app/credentials';
import { CASE_TABLES } from '../../src/app/case-metrics';
import { readDigest } from '../../src/app/digests';
import * as c from '../../src/db/collections';
import * as a from '../../src/db/alerts';
import { backfillRollupTotals } from '../../src/db/rollup-totals';
import { storeRouting } from '../../src/db/routing';
import { fieldKey } from '../../src/domain/case-metrics';
import { ZRouting } from '../../src/domain/routing';
import { ZUnits } from '../../src/domain/units';
import { API_OPERATIONS } from '../../src/web/api-contract';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { caseDocOf } from '../support/cases';
import { contractProblems } from '../support/contract';
import { ADMIN, type Harness, api, createProgram, startHarness, uid } from '../support/harness';
import { countStoredJourneyReplies } from '../support/journey-counters';

/**
 * The promise, swept: a general manager of Europe (a viewer managing the unit, and a case
 * owner assigned to it) and a key restricted to Europe read every admin page, CSV export and API
 * GET, and no US customer's name, email, ID, comment, case or alert is in any answer; naming a US
 * object or segment is refused. The routes are read from the sources, so a new GET must be swept.
 */

const DAY = '2001-03-06';
const AT = new Date(`${DAY}T10:00:00Z`);
const CAUSE = 'Delivery delay';

/**
 * Everything that would give a US customer away, each unlike anything else in the database; the US
 * agent is not a customer (the routing names the teams' members), so only the figures per owner must hide them.
 */
const US = {
  customer: 'zq-us-customer',
  email: 'ulysses.zqus@us.example',
  name: 'Ulysses Zqus',
  comment: 'Zqus verbatim: the courier in Ohio never came',
  case: 'zq-us-case',
  owner: 'zq-us-agent@us.example',
  alert: 'zq-us-alert',
};
const EU = {
  customer: 'eu-customer-berlin',
  email: 'elsa.europa@eu.example',
  name: 'Elsa Europa',
  comment: 'Europa verbatim: the parcel came late',
  case: 'eu-case-berlin',
  owner: 'eu-agent@eu.example',
};

/** The GET routes a source file declares on its router (`router.get('/path'`). */
function declaredGets(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(/router\.get\(\s*'([^']+)'/g)].map((m) => m[1]!),
    );
}

describe('a general manager of Europe sees no other region on any page, API or export', () => {
  let h: Harness;
  let programId: string;
  const euKey = `eu-sweep-${uid('key')}`;
  const gms: Record<'manager' | 'assigned', { email: string; client?: AdminClient }> = {
    manager: { email: '' },
    assigned: { email: '' },
  };
  const period = (extra = '') => `from=2001-03-01&to=2001-03-31&program=${programId}${extra}`;

  /** The GETs of the admin UI as the GM reaches them, by route; each body must not name the US. */
  const adminPaths = (): Record<string, string[]> => ({
    '/': ['/admin/'],
    '/login': [],
    '/dashboard': [`/admin/dashboard?${period()}`, `/admin/dashboard?${period('&segment=unit:eu')}`],
    '/dashboard/:table.csv': ['over-time', 'by-segment', 'funnel', 'themes'].map(
      (table) => `/admin/dashboard/${table}.csv?${period()}`,
    ),
    '/quadrants': ['/admin/quadrants'],
    '/quadrants/accounts.csv': ['/admin/quadrants/accounts.csv'],
    '/journeys': ['/admin/journeys'],
    '/journeys/:programId': [`/admin/journeys/${programId}`],
    '/journeys/:programId.csv': [`/admin/journeys/${programId}.csv`],
    '/case-metrics': [`/admin/case-metrics?${period()}`],
    '/case-metrics/:table.csv': CASE_TABLES.map((table) => `/admin/case-metrics/${table}.csv?${period()}`),
    '/cases': ['all', 'team', 'mine', 'unassigned'].map((view) => `/admin/cases?view=${view}`),
    '/cases/:id': [`/admin/cases/${EU.case}`],
    '/audit': ['/admin/audit'],
    '/my-feedback': ['/admin/my-feedback'],
    '/root-causes/:cause': [`/admin/root-causes/${encodeURIComponent(CAUSE)}`],
    '/root-causes/:cause/fixes.csv': [`/admin/root-causes/${encodeURIComponent(CAUSE)}/fixes.csv`],
    '/units': ['/admin/units'],
    '/units/:id/edit': ['/admin/units/eu/edit'],
    '/units/compare': ['/admin/units/compare', '/admin/units/compare?unit=eu&period=2001-Q1'],
    '/alerts': ['/admin/alerts'],
    '/customers': ['/admin/customers', '/admin/customers?q=ulysses'],
    '/customers/import': ['/admin/customers/import'],
    '/customers/:id': [`/admin/customers/${EU.customer}`],
    '/imports/:id': [],
    '/imports/:id/errors.csv': [],
    '/programs': ['/admin/programs'],
    '/programs/:id': [`/admin/programs/${programId}`],
    '/programs/new': ['/admin/programs/new'],
    '/programs/:id/edit': [`/admin/programs/${programId}/edit`],
    '/campaigns': ['/admin/campaigns'],
    '/campaigns/:id': [],
    '/campaigns/:id/progress': [],
    '/api': ['/admin/api'],
    '/outbox': ['/admin/outbox'],
    '/outbox/:id': [],
    '/outbox/:id/html': [],
    '/users': ['/admin/users'],
    '/account': ['/admin/account'],
    '/keys': ['/admin/keys'],
    '/teams': ['/admin/teams'],
    '/webhooks': ['/admin/webhooks'],
    '/export/customers.csv': ['/admin/export/customers.csv'],
    '/export/replies.csv': ['/admin/export/replies.csv'],
    '/export/cases.csv': ['/admin/export/cases.csv'],
  });

  /** The US objects and segments named outright: each refused (403) or not found (404). */
  const adminRefusals = () => [
    `/admin/customers/${US.customer}`,
    `/admin/cases/${US.case}`,
    `/admin/dashboard?${period('&segment=unit:us')}`,
    `/admin/dashboard?${period('&segment=region:US')}`,
    `/admin/dashboard?${period('&segment=all')}`,
    `/admin/dashboard/themes.csv?${period('&segment=unit:us')}`,
    `/admin/case-metrics?${period('&segment=unit:us')}`,
    `/admin/case-metrics/by-owner.csv?${period('&segment=unit:us')}`,
    '/admin/units/compare?unit=us',
    '/admin/units/compare?unit=company',
  ];

  /** The API's GETs with the EU key, by the contract's path; each body must not name the US. */
  const apiPaths = (): Record<string, string[]> => ({
    '/api/openapi.json': [],
    '/api/customers': ['/api/customers', '/api/customers?limit=1'],
    '/api/customers/{id}': [`/api/customers/${EU.customer}`],
    '/api/imports/{id}': [],
    '/api/imports/{id}/errors.csv': [],
    '/api/export/customers.csv': ['/api/export/customers.csv'],
    '/api/export/replies.csv': ['/api/export/replies.csv'],
    '/api/export/cases.csv': ['/api/export/cases.csv'],
    '/api/invitations': ['/api/invitations', `/api/invitations?customerId=${EU.customer}`],
    '/api/responses': [`/api/responses?customerId=${EU.customer}`],
    '/api/programs': ['/api/programs'],
    '/api/programs/{id}': [`/api/programs/${programId}`],
    '/api/campaigns': ['/api/campaigns'],
    '/api/campaigns/{id}': [],
    '/api/metrics/experience': [`/api/metrics/experience?${period()}`],
    '/api/metrics/experience/{table}.csv': ['over-time', 'by-segment', 'funnel', 'themes'].map(
      (table) => `/api/metrics/experience/${table}.csv?${period()}`,
    ),
    '/api/metrics/cases': [`/api/metrics/cases?${period()}`],
    '/api/metrics/cases/{table}.csv': CASE_TABLES.map((table) => `/api/metrics/cases/${table}.csv?${period()}`),
    '/api/metrics/journeys': ['/api/metrics/journeys'],
    '/api/metrics/journeys/{programId}': [`/api/metrics/journeys/${programId}`],
    '/api/metrics/journeys/{programId}.csv': [`/api/metrics/journeys/${programId}.csv`],
    '/api/metrics/quadrants': ['/api/metrics/quadrants'],
    '/api/metrics/quadrants/accounts.csv': ['/api/metrics/quadrants/accounts.csv'],
    '/api/quadrant-cutoffs': ['/api/quadrant-cutoffs'],
    '/api/root-causes/{cause}': [`/api/root-causes/${encodeURIComponent(CAUSE)}`],
    '/api/root-causes/{cause}/fixes.csv': [`/api/root-causes/${encodeURIComponent(CAUSE)}/fixes.csv`],
    '/api/cases': ['/api/cases', `/api/cases?customerId=${US.customer}`],
    '/api/cases/{id}': [`/api/cases/${EU.case}`],
    '/api/routing': ['/api/routing'],
    '/api/units': ['/api/units'],
    '/api/units/{id}/comparison': ['/api/units/eu/comparison', '/api/units/eu/comparison?period=2001-Q1'],
    '/api/goals': ['/api/goals', '/api/goals?unit=eu&period=2001-Q1'],
    '/api/outbox': ['/api/outbox'],
    '/api/users': ['/api/users'],
    '/api/webhooks': ['/api/webhooks'],
    '/api/keys': ['/api/keys'],
  });

  const apiRefusals = () => [
    `/api/customers/${US.customer}`,
    `/api/cases/${US.case}`,
    `/api/responses?customerId=${US.customer}`,
    `/api/metrics/experience?${period('&segment=unit:us')}`,
    `/api/metrics/experience?${period('&segment=region:US')}`,
    `/api/metrics/cases?${period('&segment=unit:us')}`,
    `/api/metrics/cases/by-owner.csv?${period('&segment=unit:us')}`,
    '/api/units/us/comparison',
    '/api/units/company/comparison',
    '/api/goals?unit=us&period=2001-Q1',
  ];

  /** Which US markers a body holds. */
  const leaks = (body: string) =>
    [US.customer, US.email, US.name, US.comment, US.case, US.alert].filter((marker) =>
      body.toLowerCase().includes(marker.toLowerCase()),
    );

  /** The case figures and queues name owners: no US agent there. */
  const ownerLeak = (path: string, body: string) => /cases|case-metrics/.test(path) && body.includes(US.owner);

  beforeAll(async () => {
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop_${uid('gmsweep').replace(/-/g, '_')}` } });
    const manager = await createUser(h.db, 'viewer');
    const assigned = await createUser(h.db, 'case_owner');
    await c.orgUnits(h.db).insertOne({
      _id: 'units',
      units: ZUnits.parse([
        { id: 'company', name: 'Company', parentId: null },
        { id: 'eu', name: 'Europe', parentId: 'company', manager: manager.email, match: { region: ['EU'] } },
        { id: 'us', name: 'United States', parentId: 'company', match: { region: ['US'] } },
      ]),
      version: 1,
      updatedAt: AT,
      updatedBy: 'test',
    });
    // The manager of Europe is assigned to nothing else; the case owner is assigned to Europe.
    await c.users(h.db).updateOne({ _id: manager.email }, { $set: { units: [] } });
    await c.users(h.db).updateOne({ _id: assigned.email }, { $set: { units: ['eu'] } });
    programId = await createProgram(h, {
      triggers: ['signup', 'kyc'],
      journey: { name: 'Onboarding', touchPoints: ['signup', 'kyc'] },
    });

    const owners = { [EU.owner]: 'eu-care', [US.owner]: 'us-care' };
    for (const email of Object.keys(owners))
      await c.users(h.db).insertOne({
        _id: email,
        email,
        name: email,
        role: 'case_owner',
        passwordHash: 'x',
        authVersion: 0,
        createdAt: AT,
      } as c.UserDoc);
    await storeRouting(
      h.db,
      ZRouting.parse({
        teams: [
          { id: 'eu-care', name: 'EU care', members: [EU.owner, assigned.email], manager: EU.owner, unit: 'eu' },
          { id: 'us-care', name: 'US care', members: [US.owner], manager: US.owner, unit: 'us' },
        ],
        fallbackTeam: 'us-care',
        rootCauses: [CAUSE, 'Other'],
      }),
      'test',
    );

    for (const [who, region] of [
      [EU, 'EU'],
      [US, 'US'],
    ] as const) {
      await c.customers(h.db).insertOne({
        _id: who.customer,
        email: who.email,
        name: who.name,
        locale: 'en',
        attributes: { region, revenue: 10_000 },
        unsubscribed: false,
        createdAt: AT,
        updatedAt: AT,
      });
      await c.responses(h.db).insertOne({
        _id: who.case,
        invitationId: who.case,
        programId,
        customerId: who.customer,
        answers: { nps: 2, comment: who.comment },
        submittedAt: AT,
        updatedAt: AT,
        editableUntil: AT,
        finalizedAt: AT,
        edits: 0,
        agent: who.owner,
        scores: {
          nps: 2,
          npsCategory: 'detractor',
          verbatim: who.comment,
          themes: ['delivery'],
          sentiment: 'negative',
          summary: 20,
        },
      } as c.ResponseDoc);
      await c.cases(h.db).insertOne({
        ...caseDocOf(who.case, owners[who.owner]!, who.owner, who.customer, programId),
        openedAt: AT,
        rootCause: CAUSE,
        status: 'resolved',
        resolvedAt: new Date(AT.getTime() + 3_600_000),
      } as c.CaseDoc);
      await c.customerScores(h.db).insertOne({ _id: who.customer, count: 1, sum: 20, cases: 1 });
      await c.journeyReplies(h.db).insertMany(
        ['signup', 'kyc'].map((touchPoint, step) => ({
          _id: `${who.customer}:${step}`,
          programId,
          customerId: who.customer,
          step,
          touchPoint,
          score: 20,
          at: AT,
        })),
      );
    }
    // One resolution per region, counted per owner as the scores' owner does.
    const resolved = (...owners: string[]) => ({
      opened: owners.length,
      resolved: owners.length,
      byOwner: Object.fromEntries(owners.map((owner) => [fieldKey(owner), { resolved: 1, hours: { '1': 1 } }])),
      byRootCause: { [fieldKey(CAUSE)]: { resolved: owners.length, hours: { '1': owners.length } } },
    });
    const reply = { responses: 1, nps: { count: 1, sum: 2, detractors: 1 } };
    const eu = { ...reply, cases: resolved(EU.owner) };
    const us = { ...reply, cases: resolved(US.owner) };
    const all = { responses: 2, nps: { count: 2, sum: 4, detractors: 2 }, cases: resolved(EU.owner, US.owner) };
    await c.rollups(h.db).insertMany(
      (
        [
          ['all', all],
          ['unit:company', all],
          ['unit:eu', eu],
          ['unit:us', us],
          ['region:EU', eu],
          ['region:US', us],
        ] as const
      ).map(([segment, counters]) => ({
        _id: `${programId}|${DAY}|${segment}`,
        programId,
        day: DAY,
        segment,
        ...counters,
      })),
    );
    await backfillRollupTotals(h.db);
    await countStoredJourneyReplies(h.db);

    for (const unit of ['eu', 'us'])
      expect(
        (await api(h, 'PUT', '/api/goals', { unit, metric: 'nps', comparator: '>=', target: 40, period: '2001-Q1' }))
          .status,
      ).toBe(200);
    await a.alerts(h.db).insertMany(
      (['eu', 'us'] as const).map((unitId) => ({
        _id: unitId === 'us' ? US.alert : 'eu-alert',
        unitId,
        day: DAY,
        openedAt: AT,
        check: 'nps' as const,
        unitName: unitId === 'us' ? US.alert : 'Europe',
        recent: -20,
        baseline: 30,
        change: -50,
        pValue: 0.001,
        recentReplies: 40,
        baselineReplies: 200,
        windows: { recent: { from: DAY, to: DAY }, baseline: { from: '2001-02-01', to: '2001-03-05' } },
      })),
    );

    await ensureApiKey(h.db, euKey, 'eu sweep', ['read']);
    await c.apiKeys(h.db).updateOne({ _id: hashApiKey(euKey) }, { $set: { units: ['eu'] } });
    gms.manager = { email: manager.email, client: await signIn(h.baseUrl, manager.email, manager.password) };
    gms.assigned = { email: assigned.email, client: await signIn(h.baseUrl, assigned.email, assigned.password) };
  });
  afterAll(() => h?.stop());

  it('sweeps every GET route the admin UI and the exports declare', () => {
    const declared = [...declaredGets('src/web/routes'), ...declaredGets('src/web')].filter(
      // Health, metrics and the token links of surveys, unsubscribes and digests: no signed-in person.
      (route) => !['/healthz', '/readyz', '/s/:token', '/u/:token', '/u/digest/:token', '/metrics'].includes(route),
    );
    const apiRouter = declaredGets('src/web/routes').filter((route) =>
      API_OPERATIONS.some((op) => op.method === 'get' && op.path === `/api${route.replace(/:(\w+)/g, '{$1}')}`),
    );
    const swept = Object.keys(adminPaths());
    expect(declared.filter((route) => !swept.includes(route) && !apiRouter.includes(route))).toEqual([]);
  });

  it('sweeps every GET of the API contract', () => {
    const gets = API_OPERATIONS.filter((op) => op.method === 'get').map((op) => op.path);
    expect(gets.filter((path) => !(path in apiPaths()))).toEqual([]);
  });

  it.each(['manager', 'assigned'] as const)(
    'shows the GM of Europe (%s) Europe and never a US customer on any admin page or export',
    async (which) => {
      const gm = gms[which].client!;
      const seen: Record<string, number> = {};
      for (const path of Object.values(adminPaths()).flat()) {
        const response = await gm.get(path);
        const body = await response.text();
        expect(response.status, path).toBeLessThan(500);
        expect(leaks(body), `${path} (${response.status})`).toEqual([]);
        expect(ownerLeak(path, body), path).toBe(false);
        seen[path] = response.status;
        if (response.status === 200 && [EU.customer, EU.case].some((marker) => body.includes(marker)))
          seen[`${path} names Europe`] = 1;
      }
      // The sweep is not vacuous: the pages that list Europe's customers open, and name them.
      for (const path of [`/admin/dashboard?${period()}`, '/admin/alerts', '/admin/units/compare', '/admin/quadrants'])
        expect(seen[path], path).toBe(200);
      if (which === 'assigned') {
        for (const path of ['/admin/cases?view=all', `/admin/cases/${EU.case}`, '/admin/export/cases.csv'])
          expect(seen[`${path} names Europe`], path).toBe(1);
      }
    },
  );

  it('shows an admin the US markers on the same pages (the sweep can see a leak)', async () => {
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    for (const path of [
      '/admin/customers',
      '/admin/export/customers.csv',
      '/admin/export/replies.csv',
      '/admin/export/cases.csv',
      '/admin/cases?view=all',
      '/admin/alerts',
    ])
      expect(leaks(await (await admin.get(path)).text()), path).not.toEqual([]);
    const byOwner = await (await admin.get(`/admin/case-metrics/by-owner.csv?${period()}`)).text();
    expect(ownerLeak('/admin/case-metrics', byOwner)).toBe(true);
  });

  it.each(['manager', 'assigned'] as const)(
    'refuses the GM of Europe (%s) a US customer, case, segment or unit named outright',
    async (which) => {
      const gm = gms[which].client!;
      for (const path of adminRefusals()) {
        const response = await gm.get(path);
        expect([403, 404], path).toContain(response.status);
        expect(leaks(await response.text()), path).toEqual([]);
      }
    },
  );

  it('renders the GM of Europe’s digest with Europe’s detractor and no US one', async () => {
    for (const { email } of Object.values(gms)) {
      const user = (await c.users(h.db).findOne({ _id: email }))!;
      const digest = JSON.stringify(await readDigest(h.db, user, '2001-W10'));
      expect(digest).toContain(EU.comment);
      expect(leaks(digest)).toEqual([]);
    }
  });

  it('answers a key restricted to Europe with Europe only on every API GET, and refuses the US', async () => {
    const get = async (path: string) => {
      const response = await fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${euKey}` } });
      const text = await response.text();
      expect(contractProblems('GET', path, response.status, response.headers.get('content-type'), text), path).toEqual(
        [],
      );
      return { status: response.status, text };
    };
    const named: string[] = [];
    for (const path of Object.values(apiPaths()).flat()) {
      const { status, text } = await get(path);
      expect(status, path).toBeLessThan(500);
      expect(leaks(text), `${path} (${status})`).toEqual([]);
      expect(ownerLeak(path, text), path).toBe(false);
      if (status === 200 && text.includes(EU.customer)) named.push(path);
    }
    expect(named).toEqual(
      expect.arrayContaining([
        '/api/customers',
        '/api/cases',
        '/api/export/customers.csv',
        '/api/export/replies.csv',
        '/api/export/cases.csv',
      ]),
    );
    for (const path of apiRefusals()) {
      const { status, text } = await get(path);
      expect([403, 404], path).toContain(status);
      expect(leaks(text), path).toEqual([]);
    }
    const goals = await get('/api/goals?period=2001-Q1');
    expect(goals.text).toContain('"eu"');
    expect(goals.text).not.toContain('"us"');
  });
});
