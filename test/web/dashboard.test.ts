import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { backfillRollupTotals, copyRollupTotals } from '../../src/db/rollup-totals';
import { rollupDay } from '../../src/domain/rollup';
import { type Harness, api, createProgram, startHarness, uid } from '../support/harness';
import { createUser, signIn } from '../support/admin';

/**
 * Rollups of one program, as the scores' owner writes them, in a year no other test uses:
 * 2001-03-02 two promoters (themes: delivery) and four invitations, one reminded, 2001-03-05 one
 * detractor with CSAT 2 (delivery, price; the example reply) and one expiry, and in the period
 * before, 2001-02-25, one promoter.
 */
function fixture(programId: string): c.RollupDoc[] {
  const doc = (day: string, segment: string, counters: Omit<c.RollupDoc, '_id' | 'programId' | 'day' | 'segment'>) => ({
    _id: `${programId}|${day}|${segment}`,
    programId,
    day,
    segment,
    ...counters,
  });
  const twoPromoters = {
    responses: 2,
    nps: { count: 2, sum: 19, promoters: 2 },
    themes: { delivery: 1 },
  };
  const invitations = { funnel: { invited: 4, reminded: 1 } };
  const detractor = {
    responses: 1,
    nps: { count: 1, sum: 3, detractors: 1 },
    csat: { count: 1, sum: 2 },
    themes: { delivery: 1, price: 1 },
    funnel: { expired: 1 },
    examples: { delivery: [exampleReply(programId)], price: [exampleReply(programId)] },
  };
  return [
    doc('2001-03-02', 'all', { ...twoPromoters, ...invitations }),
    doc('2001-03-02', 'region:EU', twoPromoters),
    doc('2001-03-05', 'all', detractor),
    doc('2001-03-05', 'region:NA', detractor),
    doc('2001-02-25', 'all', { responses: 1, nps: { count: 1, sum: 10, promoters: 1 } }),
  ];
}

const exampleReply = (programId: string) => `${programId}:r3`;

describe('the experience dashboard', () => {
  let h: Harness;
  const credentials = async (role: 'operations') => {
    const user = await createUser(h.db, role);
    return [user.email, user.password] as const;
  };
  let programId: string;
  const period = (extra = '') => `from=2001-03-01&to=2001-03-10&program=${programId}${extra}`;

  beforeAll(async () => {
    h = await startHarness({ withWorker: false });
    programId = uid('dash');
    await c.rollups(h.db).insertMany(fixture(programId));
    const at = new Date('2001-03-05T12:00:00Z');
    await c.responses(h.db).insertOne({
      _id: exampleReply(programId),
      invitationId: exampleReply(programId),
      programId,
      customerId: 'cust-r3',
      answers: { nps: 3, comment: 'Late delivery & too pricey' },
      submittedAt: at,
      updatedAt: at,
      editableUntil: at,
      finalizedAt: at,
      edits: 0,
      scores: {
        nps: 3,
        npsCategory: 'detractor',
        summary: 30,
        themes: ['delivery', 'price'],
        sentiment: 'negative',
        verbatim: 'Late delivery & too pricey',
      },
    });
    await backfillRollupTotals(h.db);
  });
  afterAll(() => h?.stop());

  it("backfills each rollup into its month's document, without reply lists, listing the month's segments", async () => {
    const month = await c.rollupMonths(h.db).findOne({ _id: `${programId}|2001-03|all` });
    expect(month).toMatchObject({ programId, month: '2001-03', segment: 'all' });
    expect(month?.days?.['02']).toEqual({
      responses: 2,
      nps: { count: 2, sum: 19, promoters: 2 },
      themes: { delivery: 1 },
      funnel: { invited: 4, reminded: 1 },
    });
    expect(month?.segments?.sort()).toEqual(['all', 'region:EU', 'region:NA']);
    // The owner's copy is the rollup's current state.
    const id = `${programId}|2001-03-05|all`;
    await c.rollups(h.db).updateOne({ _id: id }, { $inc: { responses: 1 } });
    await copyRollupTotals(h.db, [id]);
    const after = await c.rollupMonths(h.db).findOne({ _id: `${programId}|2001-03|all` });
    expect(after?.days?.['05']?.responses).toBe(2);
    await c.rollups(h.db).updateOne({ _id: id }, { $inc: { responses: -1 } });
    await copyRollupTotals(h.db, [id]);
  });

  it('answers the figures as JSON: headline, comparison, series, split and themes', async () => {
    const { status, json } = await api(h, 'GET', `/api/metrics/experience?${period()}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({
      bucket: 'day',
      comparison: { from: '2001-02-19', to: '2001-02-28' },
      current: { responses: 3, nps: 33.3, csatPercent: 0, cesAverage: null },
      previous: { responses: 1, nps: 100 },
      split: [
        {
          dimension: 'region',
          rows: [
            { value: 'EU', responses: 2, nps: 100 },
            { value: 'NA', responses: 1, nps: -100 },
          ],
        },
      ],
      themes: [
        {
          theme: 'delivery',
          count: 2,
          previous: 0,
          examples: [
            {
              replyId: exampleReply(programId),
              customerId: 'cust-r3',
              submittedAt: '2001-03-05T12:00:00.000Z',
              comment: 'Late delivery & too pricey',
            },
          ],
        },
        { theme: 'price', count: 1, previous: 0 },
      ],
      funnel: [
        { stage: 'invited', count: 4, percentOfInvited: 100, previous: 0 },
        { stage: 'reminded', count: 1, percentOfInvited: 25, previous: 0 },
        { stage: 'answered', count: 3, percentOfInvited: 75, previous: 1 },
        { stage: 'expired', count: 1, percentOfInvited: 25, previous: 0 },
        { stage: 'unsubscribed', count: 0, percentOfInvited: 0, previous: 0 },
      ],
    });
    const series = json.series as { bucket: string; responses: number; nps: number | null }[];
    expect(series.map((p) => p.bucket)).toHaveLength(10);
    expect(series.find((p) => p.bucket === '2001-03-05')).toMatchObject({ responses: 1, nps: -100 });

    const eu = await api(h, 'GET', `/api/metrics/experience?${period('&segment=region:EU&compare=none')}`);
    expect(eu.json).toMatchObject({ current: { responses: 2, nps: 100 }, previous: null, comparison: null });
  });

  it('downloads each table as CSV', async () => {
    const res = await fetch(`${h.baseUrl}/api/metrics/experience/over-time.csv?${period()}`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const rows = parse(await res.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    expect(rows.find((r) => r.day === '2001-03-02')).toEqual({
      day: '2001-03-02',
      responses: '2',
      nps: '100',
      csatPercent: '',
      cesAverage: '',
    });
    const themes = await fetch(`${h.baseUrl}/api/metrics/experience/themes.csv?${period()}`, {
      headers: { authorization: `Bearer ${h.apiKey}` },
    });
    expect(parse(await themes.text(), { columns: true })).toEqual([
      { theme: 'delivery', count: '2', previousCount: '0', exampleReplyIds: exampleReply(programId) },
      { theme: 'price', count: '1', previousCount: '0', exampleReplyIds: exampleReply(programId) },
    ]);
  });

  it('refuses bad filters with a 400 naming the field, and an unknown table with a 404', async () => {
    const cases: [string, RegExp][] = [
      ['from=2001-13-01', /from: /],
      ['from=2001-03-10&to=2001-03-01', /starts after it ends/],
      ['from=1999-01-01&to=2001-03-01', /at most 731 days/],
      ['segment=colour:red', /segment: /],
      ['compare=yesterday', /compare: /],
      ['from=2001-03-01&from=2001-03-02', /from: /],
      ['limit=5', /limit/],
    ];
    for (const [query, message] of cases) {
      const res = await api(h, 'GET', `/api/metrics/experience?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.json.error, query).toMatch(message);
    }
    expect((await api(h, 'GET', `/api/metrics/experience/nothing.csv?${period()}`)).status).toBe(404);
  });

  it("shows a program's own page its figures from the totals", async () => {
    const id = await createProgram(h);
    const day = rollupDay(Date.now());
    await c.rollups(h.db).insertOne({
      _id: `${id}|${day}|all`,
      programId: id,
      day,
      segment: 'all',
      responses: 4,
      nps: { count: 4, sum: 37, promoters: 3, detractors: 1 },
    });
    await backfillRollupTotals(h.db);
    const viewer = await createUser(h.db, 'viewer');
    const client = await signIn(h.baseUrl, viewer.email, viewer.password);
    const html = await (await client.get(`/admin/programs/${id}`)).text();
    expect(html).toMatch(/<td>4<\/td><td data-metric="nps"><strong>50<\/strong><\/td>/);
  });

  it('shows every signed-in role the charts as SVG, each with its table', async () => {
    const viewer = await createUser(h.db, 'viewer');
    const client = await signIn(h.baseUrl, viewer.email, viewer.password);
    const res = await client.get(`/admin/dashboard?${period()}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    // NPS, CSAT, CES, region, funnel
    expect(html.match(/<svg role="img" aria-label="[^"]+" class="chart"/g)).toHaveLength(5);
    expect(html).not.toMatch(/ style="/); // the page's CSP allows no inline styles
    expect(html).toContain('<td>2001-03-05</td><td>-100</td><td>1</td>');
    expect(html).toMatch(/data-figure="NPS"[\s\S]*?33\.3[\s\S]*?was 100 \(-66\.7\)/);
    expect(html).toContain(`/admin/dashboard/themes.csv?`);
    expect(html).toMatch(/<tr data-stage="answered"><td>Answered<\/td><td>3<\/td><td>75 %<\/td><td>1<\/td><\/tr>/);
    // The example comment is quoted (escaped); a viewer, who may not open customers, gets no link.
    expect(html).toContain('“Late delivery &amp; too pricey”');
    expect(html).not.toContain('/admin/customers/cust-r3');
    const operations = await signIn(h.baseUrl, ...(await credentials('operations')));
    const operationsPage = await (await operations.get(`/admin/dashboard?${period()}`)).text();
    expect(operationsPage).toContain(`href="/admin/customers/cust-r3#reply-${exampleReply(programId)}"`);

    const csv = await client.get(`/admin/dashboard/by-segment.csv?${period()}`);
    expect(parse(await csv.text(), { columns: true })).toEqual([
      { dimension: 'region', value: 'EU', responses: '2', nps: '100', csatPercent: '', cesAverage: '' },
      { dimension: 'region', value: 'NA', responses: '1', nps: '-100', csatPercent: '0', cesAverage: '' },
    ]);
    expect((await client.get('/admin/dashboard?to=tomorrow')).status).toBe(400);
  });

  it('when a viewer or case owner reads the example comments, then they are anonymised; operations read them as written', async () => {
    await c
      .responses(h.db)
      .updateOne(
        { _id: exampleReply(programId) },
        { $set: { 'scores.verbatim': 'Late delivery, call me on +49 30 1234-567 or jo.r3@example.com' } },
      );
    const anonymised = '“Late delivery, call me on [phone] or [email]”';
    for (const role of ['viewer', 'case_owner'] as const) {
      const user = await createUser(h.db, role);
      const client = await signIn(h.baseUrl, user.email, user.password);
      const html = await (await client.get(`/admin/dashboard?${period()}`)).text();
      expect(html, role).toContain(anonymised);
      expect(html, role).not.toContain('jo.r3@example.com');
      expect(html, role).not.toContain('cust-r3');
      const themes = parse(await (await client.get(`/admin/dashboard/themes.csv?${period()}`)).text(), {
        columns: true,
      }) as Record<string, string>[];
      expect(themes.map((t) => t.exampleReplyIds)).toEqual(themes.map(() => ''));
    }
    const operations = await signIn(h.baseUrl, ...(await credentials('operations')));
    const html = await (await operations.get(`/admin/dashboard?${period()}`)).text();
    expect(html).toContain('jo.r3@example.com');
  });
});
