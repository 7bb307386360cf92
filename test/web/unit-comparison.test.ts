import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { ensureApiKey } from '../../src/bootstrap';
import { hashApiKey } from '../../src/app/credentials';
import { backfillRollupTotals } from '../../src/db/rollup-totals';
import type { Unit } from '../../src/domain/units';
import { rollupDay } from '../../src/domain/rollup';
import { quarterOf } from '../../src/app/unit-comparison';
import { seedDemoGoals } from '../../src/demo/goals';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { type Harness, api, createProgram, startHarness, uid } from '../support/harness';

/**
 * Its own database (the organisation tree is one document): company → eu and us. In 2001-Q1, 40 EU
 * customers replied (NPS 50: 25 promoters, 10 passives, 5 detractors) and 5 US ones. The GM of EU
 * manages eu and is assigned nothing else; another viewer is assigned to eu but manages nothing.
 */
const counters = (n: number, [promoters, passives, detractors]: [number, number, number], satisfied: number) => ({
  responses: n,
  nps: { count: n, sum: 8 * n, promoters, passives, detractors },
  csat: { count: n, sum: 4 * n, satisfied },
  ces: { count: n, sum: 5 * n },
  summary: { count: n, sum: 70 * n },
});
const EU = counters(40, [25, 10, 5], 30);
const today = rollupDay(Date.now());
const thisQuarter = quarterOf(today);
const US = counters(5, [1, 2, 2], 2);

/** The row of a unit in the comparison table. */
const rowOf = (html: string, unitId: string) =>
  new RegExp(`<tr data-unit="${unitId}"[^>]*>[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
const cellOf = (row: string, metric: string) =>
  new RegExp(`<td data-metric="${metric}"[^>]*>([\\s\\S]*?)</td>`).exec(row)?.[1] ?? '';

describe('units compared side by side, with their goals', () => {
  let h: Harness;
  let admin: AdminClient;
  let gm: AdminClient;
  let gmEmail: string;
  let assigned: AdminClient;
  const euKey = `test-eu-${uid('k')}`;

  beforeAll(async () => {
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop_${uid('cmp').replace(/-/g, '_')}` } });
    const gmUser = await createUser(h.db, 'viewer');
    gmEmail = gmUser.email;
    const units: Unit[] = [
      { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
      { id: 'eu', name: 'Europe', parentId: 'company', manager: gmEmail, match: { region: ['EU'] } },
      { id: 'us', name: 'United States', parentId: 'company', manager: null, match: { region: ['US'] } },
    ];
    await c.orgUnits(h.db).insertOne({ _id: 'units', units, version: 1, updatedAt: new Date(), updatedBy: 'test' });
    await c.users(h.db).updateOne({ _id: gmEmail }, { $set: { units: [] } });
    const programId = await createProgram(h, { triggers: ['signup'] });
    const rollup = (segment: string, values: object, day = '2001-02-15') => ({
      _id: `${programId}|${day}|${segment}`,
      programId,
      day,
      segment,
      ...values,
    });
    await c.rollups(h.db).insertMany([
      rollup('all', counters(45, [26, 12, 7], 32)),
      rollup('unit:company', counters(45, [26, 12, 7], 32)),
      rollup('unit:eu', EU),
      rollup('unit:us', US),
      // The same EU replies today: goals of this quarter, still running, have a pace.
      rollup('all', EU, today),
      rollup('unit:company', EU, today),
      rollup('unit:eu', EU, today),
    ]);
    await backfillRollupTotals(h.db);

    gm = await signIn(h.baseUrl, gmUser.email, gmUser.password);
    const adminUser = await createUser(h.db, 'admin');
    admin = await signIn(h.baseUrl, adminUser.email, adminUser.password);
    const assignedUser = await createUser(h.db, 'viewer');
    await c.users(h.db).updateOne({ _id: assignedUser.email }, { $set: { units: ['eu'] } });
    assigned = await signIn(h.baseUrl, assignedUser.email, assignedUser.password);
    await ensureApiKey(h.db, euKey, 'eu admin key', ['admin']);
    await c.apiKeys(h.db).updateOne({ _id: hashApiKey(euKey) }, { $set: { units: ['eu'] } });
  });
  afterAll(() => h?.stop());

  it('shows EU ranked with its intervals and the US greyed for too few replies', async () => {
    const page = await admin.get('/admin/units/compare?unit=company&period=2001-Q1');
    expect(page.status).toBe(200);
    const html = await page.text();
    const eu = rowOf(html, 'eu');
    expect(eu).toContain('data-comparable="true"');
    expect(eu).not.toContain('too few replies to compare');
    // NPS 50 with the trinomial variance 5000 over 40 replies: ± 1.96 · √125 = ± 21.9.
    expect(cellOf(eu, 'nps')).toContain('50<br><span class="muted" data-interval>28.1 to 71.9</span>');
    // CSAT 75 % satisfied with its Wilson interval.
    expect(cellOf(eu, 'csat')).toContain('75<br><span class="muted" data-interval>59.8 to 85.8</span>');
    const us = rowOf(html, 'us');
    expect(us).toContain('data-comparable="false"');
    expect(us).toContain('class="muted"');
    expect(us).toContain('too few replies to compare');
    expect(cellOf(us, 'nps')).toMatch(/^-20<br>/);
    expect(rowOf(html, 'company')).toContain('(whole unit)');
  });

  it('gives the GM of EU the comparison of EU, not of the company', async () => {
    const own = await gm.get('/admin/units/compare?period=2001-Q1');
    expect(own.status).toBe(200);
    const html = await own.text();
    expect(html).toContain('<h1>Compare units: Europe</h1>');
    expect(html).not.toContain('value="company"');
    expect(html).not.toContain('data-unit="us"');
    const refused = await gm.get('/admin/units/compare?unit=company&period=2001-Q1');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('a unit you are not responsible for');
  });

  it('stores a goal the GM of EU sets for EU, audited, and shows where it stands', async () => {
    await gm.get('/admin/units/compare?period=2001-Q1');
    const set = await gm.post('/admin/units/eu/goals', {
      metric: 'nps',
      comparator: '>=',
      target: '20',
      period: '2001-Q1',
      back: 'eu',
    });
    expect(set.status).toBe(200);
    const html = await set.text();
    expect(html).toContain('Goal set for eu: NPS ≥ 20 in 2001-Q1.');
    expect(html).toMatch(
      /<tr data-goal-status="met-with-confidence"><td>Europe<\/td><td>NPS ≥ 20 in 2001-Q1<\/td><td>50<br><span class="muted">28.1 to 71.9<\/span><\/td><td>40<\/td><td>Met with confidence<\/td>/,
    );
    expect(await c.goals(h.db).findOne({ _id: 'eu|nps|2001-Q1' })).toMatchObject({
      unitId: 'eu',
      metric: 'nps',
      comparator: '>=',
      target: 20,
      setBy: gmEmail,
    });
    expect(await c.auditLog(h.db).findOne({ action: 'goal.set', subject: 'eu|nps|2001-Q1' })).toMatchObject({
      actor: gmEmail,
    });

    // Set again, the goal is replaced; a target inside the interval is not judged with confidence.
    await gm.post('/admin/units/eu/goals', { metric: 'nps', comparator: '>=', target: '60', period: '2001-Q1' });
    expect(await c.goals(h.db).countDocuments({ unitId: 'eu' })).toBe(1);
    const admins = await (await admin.get('/admin/units/compare?unit=company&period=2001-Q1')).text();
    expect(admins).toContain(
      '<tr data-goal-status="not-met-within-margin"><td>Europe</td><td>NPS ≥ 60 in 2001-Q1</td>',
    );
  });

  it('shows a running period’s goals with their pace: on track or at risk by the value so far', async () => {
    // NPS 50 (28.1–71.9) against 45 and 55, CSAT 75 % (59.8–85.8) against 70: neither end of the interval decides the goal,
    // whatever share of the quarter has gone.
    await gm.get('/admin/units/compare');
    for (const target of ['45', '55'])
      await gm.post('/admin/units/eu/goals', { metric: 'nps', comparator: '>=', target, period: thisQuarter });
    await gm.post('/admin/units/eu/goals', { metric: 'csat', comparator: '>=', target: '70', period: thisQuarter });
    const html = await (await gm.get(`/admin/units/compare?period=${thisQuarter}`)).text();
    expect(html).toMatch(
      new RegExp(
        `data-goal-pace="at-risk"><td>Europe</td><td>NPS ≥ 55 in ${thisQuarter}</td>[\\s\\S]*?<td>At risk</td>`,
      ),
    );
    const goals = await api(h, 'GET', '/api/goals?unit=eu');
    expect(goals.status).toBe(200);
    expect(goals.json).toEqual([
      expect.objectContaining({ metric: 'nps', target: 55, progress: expect.objectContaining({ pace: 'at-risk' }) }),
      expect.objectContaining({ metric: 'csat', target: 70, progress: expect.objectContaining({ pace: 'on-track' }) }),
    ]);
  });

  it('deletes a goal for its setters only, audited; an unknown goal is a 404', async () => {
    await c.goals(h.db).insertOne({
      _id: 'eu|ces|2001-Q1',
      unitId: 'eu',
      metric: 'ces',
      comparator: '>=',
      target: 4,
      period: '2001-Q1',
      setBy: 'test',
      setAt: new Date(),
    });
    await assigned.get('/admin/units/compare?period=2001-Q1');
    const fields = { metric: 'ces', period: '2001-Q1', back: 'eu' };
    const refused = await assigned.post('/admin/units/eu/goals/delete', fields);
    expect(refused.status).toBe(403);
    expect(await c.goals(h.db).findOne({ _id: 'eu|ces|2001-Q1' })).not.toBeNull();

    const page = await gm.get('/admin/units/compare?period=2001-Q1');
    expect(await page.text()).toContain('data-goal-delete="eu|ces|2001-Q1"');
    const deleted = await gm.post('/admin/units/eu/goals/delete', fields);
    expect(deleted.status).toBe(200);
    const html = await deleted.text();
    expect(html).toContain('Goal deleted for eu: CES ≥ 4 in 2001-Q1.');
    expect(html).not.toContain('CES ≥ 4 in 2001-Q1</td>');
    expect(await c.goals(h.db).findOne({ _id: 'eu|ces|2001-Q1' })).toBeNull();
    expect(await c.auditLog(h.db).findOne({ action: 'goal.delete', subject: 'eu|ces|2001-Q1' })).toMatchObject({
      actor: gmEmail,
      before: { target: 4 },
    });
    expect((await gm.post('/admin/units/eu/goals/delete', fields)).status).toBe(404);
    expect((await gm.post('/admin/units/eu/goals/delete', { ...fields, metric: 'joy' })).status).toBe(400);
  });

  it('deletes a goal on the API with an admin key of the unit', async () => {
    for (const unitId of ['eu', 'us'])
      await c.goals(h.db).insertOne({
        _id: `${unitId}|summary|2001`,
        unitId,
        metric: 'summary',
        comparator: '>=',
        target: 50,
        period: '2001',
        setBy: 'test',
        setAt: new Date(),
      });
    const auth = { authorization: `Bearer ${euKey}` };
    expect((await api(h, 'DELETE', '/api/goals/us/summary/2001', undefined, auth)).status).toBe(403);
    const deleted = await api(h, 'DELETE', '/api/goals/eu/summary/2001', undefined, auth);
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ unit: 'eu', metric: 'summary', target: 50, period: '2001' });
    expect(await c.goals(h.db).countDocuments({ _id: { $in: ['eu|summary|2001', 'us|summary|2001'] } })).toBe(1);
    expect((await api(h, 'DELETE', '/api/goals/eu/summary/2001', undefined, auth)).status).toBe(404);
    expect((await api(h, 'DELETE', '/api/goals/eu/summary/2001-Q9')).status).toBe(400);
  });

  it('refuses goals from people who manage neither the unit nor one above it', async () => {
    await assigned.get('/admin/units/compare?period=2001-Q1');
    const refused = await assigned.post('/admin/units/eu/goals', {
      metric: 'nps',
      comparator: '>=',
      target: '10',
      period: '2001-Q1',
    });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Goals are set by the unit’s manager');
    const above = await gm.post('/admin/units/company/goals', {
      metric: 'nps',
      comparator: '>=',
      target: '10',
      period: '2001-Q1',
    });
    expect(above.status).toBe(403);
    expect(await c.goals(h.db).countDocuments({ unitId: 'company' })).toBe(0);
  });

  it.each([
    [{ metric: 'happiness', comparator: '>=', target: '10', period: '2001-Q1' }, 'metric'],
    [{ metric: 'nps', comparator: '>=', target: '10', period: '2001-Q5' }, 'a year (2027), quarter (2027-Q1)'],
    [{ metric: 'nps', comparator: '>=', target: '150', period: '2001-Q1' }, 'within the metric’s range'],
    [{ metric: 'ces', comparator: '>=', target: 'lots', period: '2001-Q1' }, 'target'],
  ])('refuses a bad goal %j with a 400 that says why', async (fields, message) => {
    await gm.get('/admin/units/compare?period=2001-Q1');
    const refused = await gm.post('/admin/units/eu/goals', fields);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(message);
  });

  it('refuses an unreadable period or unknown unit on the page', async () => {
    expect((await admin.get('/admin/units/compare?period=2001-13')).status).toBe(400);
    expect((await admin.get('/admin/units/compare?unit=mars')).status).toBe(404);
  });

  it('answers the comparison and the goals on the API, within the key’s units', async () => {
    const { status, json } = await api(h, 'GET', '/api/units/company/comparison?period=2001-Q1');
    expect(status).toBe(200);
    const rows = json.rows as {
      unit: { id: string };
      metrics: Record<string, { ranked: boolean; estimate: object }>;
    }[];
    expect(rows.map((row) => row.unit.id)).toEqual(['company', 'eu', 'us']);
    expect(rows[1]!.metrics.nps).toMatchObject({ ranked: true, estimate: { value: 50, replies: 40 } });
    expect(rows[2]!.metrics.nps).toMatchObject({ ranked: false, estimate: { value: -20 } });

    const set = await api(
      h,
      'PUT',
      '/api/goals',
      { unit: 'eu', metric: 'csat', comparator: '>=', target: 90, period: '2001-Q1' },
      { authorization: `Bearer ${euKey}` },
    );
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      unit: 'eu',
      metric: 'csat',
      target: 90,
      setBy: expect.stringContaining('eu admin key'),
    });
    const goals = await api(h, 'GET', '/api/goals?unit=eu&period=2001-Q1');
    expect(goals.json).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          metric: 'csat',
          target: 90,
          progress: expect.objectContaining({ status: 'missed-with-confidence' }),
        }),
      ]),
    );

    const outside = { unit: 'us', metric: 'nps', comparator: '>=', target: 0, period: '2001-Q1' };
    const refused = await api(h, 'PUT', '/api/goals', outside, { authorization: `Bearer ${euKey}` });
    expect(refused.status).toBe(403);
    const comparison = await api(h, 'GET', '/api/units/company/comparison', undefined, {
      authorization: `Bearer ${euKey}`,
    });
    expect(comparison.status).toBe(403);
    const bad = await api(h, 'PUT', '/api/goals', { ...outside, unit: 'eu', target: -101 });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toContain('within the metric’s range');
  });

  it('seeds the demo goals once, for the units the tree has', async () => {
    await seedDemoGoals(h.db, '2031-05-10');
    const ids = async () =>
      (
        await c
          .goals(h.db)
          .find({ period: { $in: ['2031-Q1', '2031-Q2'] } })
          .toArray()
      )
        .map((g) => g._id)
        .sort();
    // The demo's North America and Asia-Pacific are not in this tree.
    expect(await ids()).toEqual(['company|nps|2031-Q2', 'eu|nps|2031-Q1', 'eu|nps|2031-Q2']);
    await c.goals(h.db).deleteOne({ _id: 'eu|nps|2031-Q1' });
    await seedDemoGoals(h.db, '2031-05-10');
    expect(await ids()).toEqual(['company|nps|2031-Q2', 'eu|nps|2031-Q2']);
  });
});
