import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { ensureApiKey } from '../../src/bootstrap';
import { hashApiKey } from '../../src/app/credentials';
import { insertNewCustomers } from '../../src/db/customers';
import { backfillRollupTotals } from '../../src/db/rollup-totals';
import { OUT_OF_UNITS, type Unit } from '../../src/domain/units';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { contractProblems } from '../support/contract';
import { type Harness, api, createProgram, startHarness, uid } from '../support/harness';
import { countStoredJourneyReplies } from '../support/journey-counters';

/**
 * Its own database (the organisation tree is one document): company → eu (Berlin below it) and us.
 * On 2001-03-02 two EU promoters (one in Berlin, one in Paris) and one US detractor replied, as the
 * scores' owner counts them: each in its customer's units. The GM of EU is a viewer assigned to eu.
 */
const UNITS: Unit[] = [
  { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
  { id: 'eu', name: 'Europe', parentId: 'company', manager: null, match: { region: ['EU'] } },
  { id: 'us', name: 'United States', parentId: 'company', manager: null, match: { region: ['US'] } },
  { id: 'berlin', name: 'Berlin', parentId: 'eu', manager: null, match: { location: ['berlin'] } },
];

const promoter = (n: number) => ({ responses: n, nps: { count: n, sum: 10 * n, promoters: n } });
const detractor = { responses: 1, nps: { count: 1, sum: 2, detractors: 1 } };

describe('insight of the units a person or API key is responsible for', () => {
  let h: Harness;
  let programId: string;
  let gm: AdminClient;
  let admin: AdminClient;
  const euKey = `test-eu-${uid('k')}`;
  const period = (extra = '') => `from=2001-03-01&to=2001-03-10&program=${programId}${extra}`;

  /** The API with the EU key (the answer checked against the API's document, as `api` does). */
  async function asEuKey(path: string) {
    const response = await fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${euKey}` } });
    const text = await response.text();
    const problems = contractProblems('GET', path, response.status, response.headers.get('content-type'), text);
    expect(problems).toEqual([]);
    return {
      status: response.status,
      text,
      json: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined,
    };
  }

  beforeAll(async () => {
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop_${uid('units').replace(/-/g, '_')}` } });
    await c
      .orgUnits(h.db)
      .insertOne({ _id: 'units', units: UNITS, version: 1, updatedAt: new Date(), updatedBy: 'test' });
    programId = await createProgram(h, {
      triggers: ['signup', 'kyc'],
      journey: { name: 'Onboarding', touchPoints: ['signup', 'kyc'] },
    });
    const day = '2001-03-02';
    const rollup = (segment: string, counters: object) => ({
      _id: `${programId}|${day}|${segment}`,
      programId,
      day,
      segment,
      ...counters,
    });
    await c
      .rollups(h.db)
      .insertMany([
        rollup('all', { responses: 3, nps: { count: 3, sum: 22, promoters: 2, detractors: 1 }, cases: { opened: 3 } }),
        rollup('region:EU', promoter(2)),
        rollup('region:US', detractor),
        rollup('unit:company', { responses: 3, nps: { count: 3, sum: 22, promoters: 2, detractors: 1 } }),
        rollup('unit:eu', { ...promoter(2), cases: { opened: 1 } }),
        rollup('unit:berlin', promoter(1)),
        rollup('unit:us', detractor),
      ]);
    await backfillRollupTotals(h.db);

    const customer = (id: string, region: string, location: string, revenue: number) => ({
      id,
      email: `${id}@example.com`,
      name: id.toUpperCase(),
      attributes: { region, location, revenue },
    });
    await insertNewCustomers(h.db, [
      customer('eu-berlin', 'EU', 'berlin', 20_000),
      customer('eu-paris', 'EU', 'paris', 5_000),
      customer('us-ny', 'US', 'new-york', 30_000),
    ]);
    // Scores and cases against each account; all three replied at both touch points of the journey.
    await c.customerScores(h.db).insertMany([
      { _id: 'eu-berlin', count: 1, sum: 90, cases: 1 },
      { _id: 'eu-paris', count: 1, sum: 80 },
      { _id: 'us-ny', count: 1, sum: 20, cases: 4 },
    ]);
    const at = new Date();
    await c.journeyReplies(h.db).insertMany(
      ['eu-berlin', 'eu-paris', 'us-ny'].flatMap((customerId) =>
        ['signup', 'kyc'].map((touchPoint, step) => ({
          _id: `${customerId}:${step}`,
          programId,
          customerId,
          step,
          touchPoint,
          score: customerId === 'us-ny' ? 10 : 90,
          at,
        })),
      ),
    );
    await countStoredJourneyReplies(h.db);

    const gmUser = await createUser(h.db, 'viewer');
    await c.users(h.db).updateOne({ _id: gmUser.email }, { $set: { units: ['eu'] } });
    gm = await signIn(h.baseUrl, gmUser.email, gmUser.password);
    const adminUser = await createUser(h.db, 'admin');
    admin = await signIn(h.baseUrl, adminUser.email, adminUser.password);
    await ensureApiKey(h.db, euKey, 'eu key', ['read']);
    await c.apiKeys(h.db).updateOne({ _id: hashApiKey(euKey) }, { $set: { units: ['eu'] } });
  });
  afterAll(() => h?.stop());

  it("shows the GM of EU the EU figures on the dashboard, split by the units below, and offers EU's units only", async () => {
    const page = await gm.get(`/admin/dashboard?${period()}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/data-figure="Replies">\s*<div class="muted">Replies<\/div>\s*<div class="figure-value">2</);
    expect(html).toContain('<option value="unit:eu" selected>Unit: Europe</option>');
    expect(html).toContain('<option value="unit:berlin">Unit: Berlin</option>');
    expect(html).not.toContain('value="all"');
    expect(html).not.toContain('unit:us');
    expect(html).not.toContain('region:');
    expect(html).toContain('data-chart="by-unit"');

    const csv = await gm.get(`/admin/dashboard/over-time.csv?${period()}`);
    expect(csv.status).toBe(200);
    const rows = parse(await csv.text(), { columns: true }) as { responses: string }[];
    expect(rows.reduce((sum, row) => sum + Number(row.responses), 0)).toBe(2);
  });

  it.each(['&segment=all', '&segment=region:US', '&segment=unit:us', '&segment=unit:company'])(
    'refuses the GM of EU the dashboard of %s (page and CSV)',
    async (segment) => {
      const page = await gm.get(`/admin/dashboard?${period(segment)}`);
      expect(page.status).toBe(403);
      expect(await page.text()).toContain('a unit you are not responsible for');
      expect((await gm.get(`/admin/dashboard/themes.csv?${period(segment)}`)).status).toBe(403);
    },
  );

  it('shows an admin everyone, and any unit', async () => {
    const html = await (await admin.get(`/admin/dashboard?${period()}`)).text();
    expect(html).toMatch(/data-figure="Replies">\s*<div class="muted">Replies<\/div>\s*<div class="figure-value">3</);
    expect(html).toContain('data-chart="by-region"');
    const us = await (await admin.get(`/admin/dashboard?${period('&segment=unit:us')}`)).text();
    expect(us).toMatch(/data-figure="Replies">\s*<div class="muted">Replies<\/div>\s*<div class="figure-value">1</);
  });

  it('answers a key restricted to EU with the EU figures, and 403 elsewhere', async () => {
    const { status, json } = await asEuKey(`/api/metrics/experience?${period('&compare=none')}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      filters: { segment: 'unit:eu' },
      current: { responses: 2, nps: 100 },
      segments: ['unit:berlin', 'unit:eu'],
      split: [{ dimension: 'unit', rows: [{ value: 'berlin', responses: 1, nps: 100 }] }],
    });
    for (const segment of ['all', 'region:US', 'unit:us']) {
      const refused = await asEuKey(`/api/metrics/experience?${period(`&segment=${segment}`)}`);
      expect(refused.status, segment).toBe(403);
      expect(refused.json.error).toBe(OUT_OF_UNITS);
      expect((await asEuKey(`/api/metrics/experience/funnel.csv?${period(`&segment=${segment}`)}`)).status).toBe(403);
    }
    const everyone = await api(h, 'GET', `/api/metrics/experience?${period()}`);
    expect(everyone.json).toMatchObject({ filters: { segment: 'all' }, current: { responses: 3 } });
  });

  it('places only EU customers in the quadrants for the GM and the EU key', async () => {
    const counts = (html: string) =>
      [
        ...html.matchAll(/data-quadrant="[^"]+"><div class="muted">[^<]*<\/div><div class="figure-value">(\d+)</g),
      ].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(counts(await (await gm.get('/admin/quadrants')).text())).toBe(2);
    expect(counts(await (await admin.get('/admin/quadrants')).text())).toBe(3);

    const { json } = await asEuKey('/api/metrics/quadrants');
    expect(Object.values(json.counts as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
    expect((json.accounts as { id: string }[]).map((a) => a.id).sort()).toEqual(['eu-berlin', 'eu-paris']);
    const csv = await asEuKey('/api/metrics/quadrants/accounts.csv');
    expect((parse(csv.text, { columns: true }) as { id: string }[]).map((r) => r.id).sort()).toEqual([
      'eu-berlin',
      'eu-paris',
    ]);
  });

  it('counts only EU customers along the journeys for the GM and the EU key', async () => {
    const html = await (await gm.get('/admin/journeys')).text();
    expect(html).toMatch(/<tr data-step="signup"><td>signup<\/td><td>2<\/td>/);
    const all = await (await admin.get('/admin/journeys')).text();
    expect(all).toMatch(/<tr data-step="signup"><td>signup<\/td><td>3<\/td>/);

    const { json } = await asEuKey(`/api/metrics/journeys/${programId}`);
    expect(json).toMatchObject({ steps: [{ customers: 2, averageScore: 90 }, { customers: 2 }] });
    const csv = await asEuKey(`/api/metrics/journeys/${programId}.csv`);
    expect((parse(csv.text, { columns: true }) as { customers: string }[])[0]!.customers).toBe('2');
  });

  it('lists only EU accounts in the case metrics, on the EU unit, and refuses other segments', async () => {
    const { status, json } = await asEuKey(`/api/metrics/cases?${period()}`);
    expect(status).toBe(200);
    expect((json.accounts as { customerId: string }[]).map((a) => a.customerId)).toEqual(['eu-berlin']);
    expect(json).toMatchObject({ current: { opened: 1 } });
    const accounts = await asEuKey(`/api/metrics/cases/accounts.csv?${period()}`);
    expect(accounts.text).not.toContain('us-ny');
    expect((await asEuKey(`/api/metrics/cases?${period('&segment=unit:us')}`)).status).toBe(403);

    expect((await gm.get(`/admin/case-metrics?${period()}`)).status).toBe(200);
    expect((await gm.get(`/admin/case-metrics?${period('&segment=all')}`)).status).toBe(403);
    const everyone = await api(h, 'GET', `/api/metrics/cases?${period()}`);
    expect(everyone.json).toMatchObject({ current: { opened: 3 } });
    expect((everyone.json.accounts as { customerId: string }[]).map((a) => a.customerId)).toEqual([
      'us-ny',
      'eu-berlin',
    ]);
  });

  it("counts only EU customers in a root cause's fix effect for the EU key", async () => {
    const fixedAt = new Date('2001-03-10T00:00:00Z');
    const campaignId = uid('fix-campaign');
    await c.campaigns(h.db).insertOne({ _id: campaignId, name: 'We fixed it' } as c.CampaignDoc);
    await c.rootCauseFixes(h.db).insertOne({
      _id: uid('fix'),
      rootCause: 'Delivery delay',
      note: 'Faster couriers',
      from: '2001-03-01',
      to: '2001-03-09',
      resurvey: false,
      programId,
      campaignId,
      by: 'test',
      at: fixedAt,
    });
    for (const customerId of ['eu-berlin', 'us-ny']) {
      await c.cases(h.db).insertOne({
        _id: `case-${customerId}`,
        customerId,
        rootCause: 'Delivery delay',
        resolvedAt: new Date('2001-03-05T00:00:00Z'),
      } as c.CaseDoc);
      for (const [n, at, summary] of [
        [0, '2001-03-01T00:00:00Z', 20],
        [1, '2001-03-20T00:00:00Z', 80],
      ] as const)
        await c.responses(h.db).insertOne({
          _id: `rc-${customerId}-${n}`,
          programId,
          customerId,
          submittedAt: new Date(at),
          scores: { summary },
        } as c.ResponseDoc);
    }
    const path = `/api/root-causes/${encodeURIComponent('Delivery delay')}`;
    const eu = await asEuKey(path);
    expect(eu.json.fixes[0].effect).toEqual({ customers: 1, before: 20, after: 80, improved: 1 });
    const everyone = await api(h, 'GET', path);
    expect((everyone.json.fixes as { effect: { customers: number } }[])[0]!.effect.customers).toBe(2);
    const csv = await asEuKey(`${path}/fixes.csv`);
    expect(
      (parse(csv.text, { columns: true }) as { customersBeforeAndAfter: string }[])[0]!.customersBeforeAndAfter,
    ).toBe('1');
  });
});
