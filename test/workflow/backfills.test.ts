import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { rollupDay } from '../../src/domain/rollup';
import { ALWAYS_OPEN } from '../../src/domain/business-hours';
import { connectTemporalClient } from '../../src/temporal/connection';
import { backfillCaseMetrics, backfillFunnel } from '../../src/temporal/backfills';
import type { CaseMetricsReport } from '../../src/app/case-metrics';
import type { ExperienceReport } from '../../src/app/insight';
import { type Harness, api, createProgram, startHarness, uid } from '../support/harness';

/**
 * The one-off backfills of `npm run backfill:rollups` on records written before the funnel and
 * case metrics were counted. Its own database: a backfill hands over every record of the database
 * to this deployment's scores' owner, which must not race the owners of other test files.
 */
describe('the backfill of the funnel and the case metrics', () => {
  let h: Harness;
  let client: Awaited<ReturnType<typeof connectTemporalClient>>;
  beforeAll(async () => {
    h = await startHarness({ env: { MONGODB_DB: `cxloop_${uid('backfills').replace(/-/g, '_')}` } });
    client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
  });
  afterAll(async () => {
    await client?.connection.close();
    await h?.stop();
  });

  const DAY = 86_400_000;
  const around = () => `from=${rollupDay(Date.now() - DAY)}&to=${rollupDay(Date.now() + DAY)}`;
  const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3_600_000);

  it('counts each funnel step of earlier invitations once, however often it runs', async () => {
    const programId = await createProgram(h);
    const sentAt = hoursAgo(1);
    const legacy = (status: c.InvitationStatus, extra: Partial<c.InvitationDoc> = {}): c.InvitationDoc => ({
      _id: uid('inv'),
      tokenHash: uid('hash'),
      programId,
      customerId: uid('cust'),
      eventId: uid('evt'),
      email: 'someone@example.com',
      locale: 'en',
      status,
      known: { region: 'NA' },
      sendAt: sentAt,
      sentAt,
      createdAt: sentAt,
      updatedAt: sentAt,
      ...extra,
    });
    await c
      .invitations(h.db)
      .insertMany([
        legacy('expired', { remindedAt: [sentAt], expiresAt: sentAt }),
        legacy('sent'),
        legacy('scheduled', { sentAt: undefined }),
      ]);
    for (let run = 0; run < 2; run++) await backfillFunnel(h.db, client, h.taskQueue);
    // backfillFunnel returns once the owner has counted what it handed over.
    const res = await api(h, 'GET', `/api/metrics/experience?program=${programId}&${around()}&segment=region:NA`);
    const funnel = (res.json as unknown as ExperienceReport).funnel.map((f) => [f.stage, f.count]);
    expect(Object.fromEntries(funnel)).toEqual({ invited: 2, reminded: 1, answered: 0, expired: 1, unsubscribed: 0 });
  });

  it('rebuilds the changes of earlier cases from their timelines, each counted once however often it runs', async () => {
    const programId = await createProgram(h);
    const opened = hoursAgo(5);
    const legacyCase = (id: string, status: c.CaseDoc['status']): c.CaseDoc => ({
      _id: id,
      customerId: `${id}-customer`,
      programId,
      replyIds: [id],
      reasons: ['Detractor'],
      status,
      priority: 'normal',
      teamId: 'care',
      ownerId: 'olga@example.com',
      mayContact: true,
      escalation: 1,
      calendar: ALWAYS_OPEN,
      firstResponse: { startedAt: opened.getTime(), budgetMs: 1000, pauses: [], breaches: 1 },
      resolution: { startedAt: opened.getTime(), budgetMs: 1000, pauses: [], breaches: 0 },
      openedAt: opened,
      updatedAt: opened,
      version: 0,
    });
    const entry = (caseId: string, seq: number, kind: string, at: Date, summary = kind): c.CaseTimelineDoc => ({
      _id: `${caseId}:${seq}`,
      caseId,
      seq,
      at,
      actor: 'cxloop',
      kind,
      summary,
    });
    const [closed, open] = [uid('case'), uid('case')];
    await c.cases(h.db).insertMany([legacyCase(closed, 'closed'), legacyCase(open, 'in_progress')]);
    await c
      .caseTimeline(h.db)
      .insertMany([
        entry(closed, 0, 'opened', opened),
        entry(closed, 1, 'escalated', hoursAgo(4)),
        entry(closed, 2, 'contact', hoursAgo(3)),
        entry(closed, 3, 'resolve', hoursAgo(2.5), 'Resolved (root cause: Billing error)'),
        entry(closed, 4, 'closed', hoursAgo(1)),
        entry(open, 0, 'opened', opened),
        entry(open, 1, 'acknowledge', hoursAgo(4)),
      ]);
    for (let run = 0; run < 2; run++) await backfillCaseMetrics(h.db, client, h.taskQueue);
    const res = await api(h, 'GET', `/api/metrics/cases?program=${programId}&${around()}`);
    const report = res.json as unknown as CaseMetricsReport;
    expect(report.current).toEqual({
      opened: 2,
      resolved: 1,
      reopened: 0,
      closed: 1,
      escalations: 1,
      slaBreachRate: 100,
      reopenRate: 0,
      firstContactRate: 100,
      // 2.5 business hours (always open), rounded up.
      medianResolutionHours: 3,
      p90ResolutionHours: 3,
    });
    expect(report.rootCauses).toEqual([{ rootCause: 'Billing error', count: 1, previous: 0 }]);
    expect(report.backlog).toEqual({ owners: [{ id: 'olga@example.com', open: 1 }], teams: [{ id: 'care', open: 1 }] });
  });
});
