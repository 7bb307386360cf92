import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { ensureApiKey } from '../../src/bootstrap';
import { hashApiKey } from '../../src/app/credentials';
import { backfillRollupTotals } from '../../src/db/rollup-totals';
import type { CaseCounters } from '../../src/domain/case-metrics';
import type { Unit } from '../../src/domain/units';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { type Harness, api, createProgram, startHarness, uid } from '../support/harness';

/**
 * Its own database: company → eu and us. On 2001-03-02 Ann (EU) resolved three cases of billing
 * errors (2, 2 and 6 business hours) and both follow-up answers were satisfied; Zed (US) resolved
 * two late deliveries (10 hours each), his one answer dissatisfied. The GM of EU is a viewer
 * assigned to eu.
 */
const UNITS: Unit[] = [
  { id: 'company', name: 'Company', parentId: null, manager: null, match: {} },
  { id: 'eu', name: 'Europe', parentId: 'company', manager: null, match: { region: ['EU'] } },
  { id: 'us', name: 'United States', parentId: 'company', manager: null, match: { region: ['US'] } },
];
const ANN = 'ann@eu.example';
const ZED = 'zed@us.example';
const EU_CASES: CaseCounters = {
  resolved: 3,
  byOwner: { 'ann@eu%2Eexample': { resolved: 3, hours: { '2': 2, '6': 1 }, followUps: 2, satisfied: 2 } },
  byRootCause: { 'Billing error': { resolved: 3, hours: { '2': 2, '6': 1 }, followUps: 2, satisfied: 2 } },
};
const US_CASES: CaseCounters = {
  resolved: 2,
  byOwner: { 'zed@us%2Eexample': { resolved: 2, hours: { '10': 2 }, followUps: 1 } },
  byRootCause: { 'Delivery delay': { resolved: 2, hours: { '10': 2 }, followUps: 1 } },
};
const ALL_CASES: CaseCounters = {
  resolved: 5,
  byOwner: { ...EU_CASES.byOwner, ...US_CASES.byOwner },
  byRootCause: { ...EU_CASES.byRootCause, ...US_CASES.byRootCause },
};

const HEADER =
  'resolved,medianResolutionHours,p90ResolutionHours,postResolutionCsat,postResolutionCsatLow,postResolutionCsatHigh,followUps';

describe('resolution time and post-resolution CSAT per owner and root cause, within the units one sees', () => {
  let h: Harness;
  let programId: string;
  let gm: AdminClient;
  let admin: AdminClient;
  const euKey = `test-eu-${uid('k')}`;
  const period = () => `from=2001-03-01&to=2001-03-10&program=${programId}`;

  beforeAll(async () => {
    h = await startHarness({ withWorker: false, env: { MONGODB_DB: `cxloop_${uid('groups').replace(/-/g, '_')}` } });
    await c
      .orgUnits(h.db)
      .insertOne({ _id: 'units', units: UNITS, version: 1, updatedAt: new Date(), updatedBy: 'test' });
    programId = await createProgram(h, { triggers: ['signup'] });
    const day = '2001-03-02';
    const rollup = (segment: string, cases: CaseCounters) => ({
      _id: `${programId}|${day}|${segment}`,
      programId,
      day,
      segment,
      cases,
    });
    await c
      .rollups(h.db)
      .insertMany([
        rollup('all', ALL_CASES),
        rollup('unit:company', ALL_CASES),
        rollup('unit:eu', EU_CASES),
        rollup('unit:us', US_CASES),
      ]);
    await backfillRollupTotals(h.db);

    const gmUser = await createUser(h.db, 'viewer');
    await c.users(h.db).updateOne({ _id: gmUser.email }, { $set: { units: ['eu'] } });
    gm = await signIn(h.baseUrl, gmUser.email, gmUser.password);
    const adminUser = await createUser(h.db, 'admin');
    admin = await signIn(h.baseUrl, adminUser.email, adminUser.password);
    await ensureApiKey(h.db, euKey, 'eu key', ['read']);
    await c.apiKeys(h.db).updateOne({ _id: hashApiKey(euKey) }, { $set: { units: ['eu'] } });
  });
  afterAll(() => h?.stop());

  it('shows an admin every owner and root cause with median, p90, CSAT, its interval and n', async () => {
    const page = await admin.get(`/admin/case-metrics?${period()}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    // Ann: 2, 2, 6 hours; 2 of 2 satisfied, Wilson interval 34.2–100 %.
    expect(html).toContain(
      `<tr data-owner="${ANN}"><td>${ANN}</td><td>3</td><td>2 h</td><td>6 h</td><td>100 %<br><span class="muted" data-interval>34.2 to 100</span></td><td>2</td></tr>`,
    );
    // Zed: 0 of 1 satisfied, 0–79.3 %.
    expect(html).toContain(
      `<tr data-owner="${ZED}"><td>${ZED}</td><td>2</td><td>10 h</td><td>10 h</td><td>0 %<br><span class="muted" data-interval>0 to 79.3</span></td><td>1</td></tr>`,
    );
    expect(html).toContain('data-root-cause="Billing error"');
    expect(html).toContain('data-root-cause="Delivery delay"');

    const csv = await admin.get(`/admin/case-metrics/by-owner.csv?${period()}`);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toBe(`ownerId,${HEADER}\n${ANN},3,2,6,100,34.2,100,2\n${ZED},2,10,10,0,0,79.3,1\n`);
  });

  it('shows the GM of EU the owners and root causes of EU only, on the page and in the CSV', async () => {
    const html = await (await gm.get(`/admin/case-metrics?${period()}`)).text();
    expect(html).toContain(`<tr data-owner="${ANN}">`);
    expect(html).toContain('data-root-cause="Billing error"');
    expect(html).not.toContain(ZED);
    expect(html).not.toContain('Delivery delay');
    for (const table of ['by-owner', 'by-root-cause']) {
      const csv = await gm.get(`/admin/case-metrics/${table}.csv?${period()}`);
      expect(csv.status).toBe(200);
      const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
      expect(rows.map((row) => row.ownerId ?? row.rootCause)).toEqual([table === 'by-owner' ? ANN : 'Billing error']);
    }
    expect((await gm.get(`/admin/case-metrics/by-owner.csv?${period()}&segment=unit:us`)).status).toBe(403);
  });

  it('answers a key restricted to EU with EU’s owners and root causes only', async () => {
    const auth = { authorization: `Bearer ${euKey}` };
    const report = await api(h, 'GET', `/api/metrics/cases?${period()}`, undefined, auth);
    expect(report.status).toBe(200);
    expect((report.json.byOwner as { id: string }[]).map((row) => row.id)).toEqual([ANN]);
    const csv = await api(h, 'GET', `/api/metrics/cases/by-root-cause.csv?${period()}`, undefined, auth);
    expect(csv.text).toBe(`rootCause,${HEADER}\nBilling error,3,2,6,100,34.2,100,2\n`);
  });
});
