import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { insertNewCustomers } from '../../src/db/customers';
import type { CustomerProfile } from '../../src/domain/customer';
import { createUser, signIn } from '../support/admin';
import { type Harness, api, startHarness, uid } from '../support/harness';

/**
 * Its own database, so that the counts are exactly these customers':
 *   ada   revenue 20,000, score 80 before September 2026, 60 now  → model → at-risk
 *   bob   revenue 10,000, score 70 (both cut-offs exactly)        → model
 *   cy    no revenue,     score 69.9                              → dangling
 *   dee   revenue 50,000, score 10, first reply in October        → new → at-risk, with an open case
 *   eve   erased; fay never answered: in no quadrant.
 */
describe('customer quadrants', () => {
  let h: Harness;
  const caseId = uid('case');

  beforeAll(async () => {
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop_${uid('quadrants').replace(/-/g, '_')}` } });
    const profile = (id: string, revenue?: number): CustomerProfile => ({
      id,
      email: `${id}@example.com`,
      name: id.toUpperCase(),
      attributes: revenue === undefined ? {} : { revenue },
    });
    await insertNewCustomers(h.db, [
      profile('ada', 20_000),
      profile('bob', 10_000),
      profile('cy'),
      profile('dee', 50_000),
      profile('eve', 90_000),
      profile('fay', 90_000),
    ]);
    await c.customers(h.db).updateOne({ _id: 'eve' }, { $set: { erasedAt: new Date() } });
    const score = (_id: string, count: number, sum: number, months?: c.CustomerScoreDoc['months']) => ({
      _id,
      count,
      sum,
      ...(months ? { months } : {}),
    });
    await c
      .customerScores(h.db)
      .insertMany([
        score('ada', 2, 120, { '2026-05': { count: 1, sum: 100 }, '2026-10': { count: 1, sum: 20 } }),
        score('bob', 1, 70),
        score('cy', 1, 69.9),
        score('dee', 1, 10, { '2026-10': { count: 1, sum: 10 } }),
        score('eve', 1, 0),
      ]);
    await c.openCases(h.db).insertOne({ _id: `p:dee`, caseId, at: new Date() });
    await c.cases(h.db).insertOne({ _id: caseId, customerId: 'dee' } as c.CaseDoc);
  });
  afterAll(() => h?.stop());

  it('places every scored customer, counts movement, and lists At-Risk by revenue (API and CSV)', async () => {
    const { status, json } = await api(h, 'GET', '/api/metrics/quadrants?since=2026-09');
    expect(status).toBe(200);
    expect(json).toMatchObject({
      cutoffs: { score: 70, revenue: 10_000, revenueAttribute: 'revenue' },
      counts: { model: 1, growth: 0, 'at-risk': 2, dangling: 1 },
      movement: [
        { from: 'model', to: 'at-risk', count: 1 },
        { from: 'new', to: 'at-risk', count: 1 },
      ],
    });
    expect((json.atRisk as { id: string }[]).map((a) => a.id)).toEqual(['dee', 'ada']);

    const csv = await fetch(`${h.baseUrl}/api/metrics/quadrants/accounts.csv?since=2026-09`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.id, r.quadrant, r.previousQuadrant]).sort()).toEqual([
      ['ada', 'at-risk', 'model'],
      ['bob', 'model', 'model'],
      ['cy', 'dangling', 'dangling'],
      ['dee', 'at-risk', ''],
    ]);

    for (const since of ['2026-13', 'September', '2026-09-01'])
      expect((await api(h, 'GET', `/api/metrics/quadrants?since=${since}`)).status, since).toBe(400);
  });

  it('shows the scatter chart and the At-Risk list with the open case; only operations change the cut-offs', async () => {
    const viewer = await createUser(h.db, 'viewer');
    const asViewer = await signIn(h.baseUrl, viewer.email, viewer.password);
    const page = await asViewer.get('/admin/quadrants?since=2026-09');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<svg role="img" aria-label="Accounts by summary score and revenue" class="chart"/);
    expect(html).toMatch(/data-quadrant="at-risk">[\s\S]*?<div class="figure-value">2</);
    // Viewers see aggregates: no account's name, revenue or link, nor the accounts download.
    expect(html).not.toContain('/admin/customers/dee');
    expect(html).toContain('id="at-risk-hidden"');
    expect((await asViewer.get('/admin/quadrants/accounts.csv?since=2026-09')).status).toBe(403);
    expect(html).not.toContain('Save cut-offs');
    expect(html).not.toContain('Survey these'); // viewers do not run campaigns
    expect((await asViewer.post('/admin/quadrants/cutoffs', { score: '50' })).status).toBe(403);

    const ops = await createUser(h.db, 'operations');
    const asOps = await signIn(h.baseUrl, ops.email, ops.password);
    // "Survey these" opens the campaign form with the quadrant chosen; nothing is launched.
    const opsPage = await (await asOps.get('/admin/quadrants?since=2026-09')).text();
    expect(opsPage).toContain(`<a href="/admin/customers/dee">DEE</a>`);
    expect(opsPage).toContain(`<a href="/admin/cases/${caseId}">open case</a>`);
    const survey = /data-quadrant="at-risk">[\s\S]*?<a href="([^"]+)">Survey these<\/a>/.exec(opsPage)?.[1];
    const link = survey!.replaceAll('&#x3D;', '=').replaceAll('&amp;', '&');
    expect(link).toBe('/admin/campaigns?quadrants=at-risk&name=At-Risk+customers');
    const form = await (await asOps.get(link)).text();
    expect(form).toMatch(/<input type="checkbox" name="quadrants" value="at-risk" checked>/);
    expect(form).not.toMatch(/value="growth" checked/);
    expect(form).toMatch(/name="name"[^>]*value="At-Risk customers"/);
    expect(await c.campaigns(h.db).countDocuments()).toBe(0);
    const refused = await asOps.post('/admin/quadrants/cutoffs', {
      score: '101',
      revenue: '5000',
      revenueAttribute: 'revenue',
    });
    expect(refused.status, await refused.clone().text()).toBe(422);
    expect(await refused.text()).toMatch(/id="c-score-error">[^<]*100/);
    const saved = await asOps.post('/admin/quadrants/cutoffs', {
      score: '50',
      revenue: '5000',
      revenueAttribute: 'revenue',
    });
    expect(saved.status).toBe(303);
    // ada (60, 20,000) is high on both now; dee (10) stays At-Risk.
    const { json } = await api(h, 'GET', '/api/metrics/quadrants?since=2026-09');
    expect(json).toMatchObject({ cutoffs: { score: 50, revenue: 5000 }, counts: { model: 2, 'at-risk': 1 } });
    const [entry] = await c.auditLog(h.db).find({ action: 'quadrant-cutoffs.update' }).toArray();
    expect(entry).toMatchObject({ actor: ops.email, before: { score: 70 }, after: { score: 50, revenue: 5000 } });
  });

  it('takes cut-offs from the API too, with a 400 naming a bad field', async () => {
    const bad = await api(h, 'PUT', '/api/quadrant-cutoffs', { score: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/score/);
    expect((await api(h, 'PUT', '/api/quadrant-cutoffs', { score: 70, extra: 1 })).status).toBe(400);
    const ok = await api(h, 'PUT', '/api/quadrant-cutoffs', { score: 75, revenue: 15_000 });
    expect(ok.json).toEqual({ score: 75, revenue: 15_000, revenueAttribute: 'revenue' });
  });
});
