import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as a from '../../src/db/alerts';
import * as c from '../../src/db/collections';
import { backfillRollupTotals } from '../../src/db/rollup-totals';
import { alertWindows } from '../../src/domain/alerts';
import { ALERT_WINDOW_DAYS } from '../../src/domain/alert-rules';
import type { Unit } from '../../src/domain/units';
import { temporalCliPath } from '../../src/stack/tools';
import { alertScheduleId } from '../../src/temporal/alert-schedule';
import { connectTemporalClient } from '../../src/temporal/connection';
import type { alertCheckWorkflow } from '../../workflows/alerts';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { type Harness, createProgram, mailTo, startHarness, uid, waitUntil } from '../support/harness';
import { mulberry32, sampleHits, sampleNps } from '../support/prng';

/**
 * Its own database (the organisation tree is one document): company → falling and steady. Over the
 * four weeks before DAY both units' customers answer alike (NPS about 30); in the week up to DAY
 * the NPS of `falling` drops to about −25, `steady` stays as it was (pure noise from one seeded
 * population, themes too). The company holds both, so its NPS falls as well.
 */
const DAY = '2001-03-31';
const NEXT_DAY = '2001-04-01';
const PER_DAY = 20;
const BEFORE = { promoters: 0.5, detractors: 0.2 };
const AFTER = { promoters: 0.25, detractors: 0.5 };

const RECORD = Boolean(process.env.RECORD_HISTORIES);

describe('alerts on real changes only', () => {
  let h: Harness;
  let client: Client;
  let receiver: Server;
  const posts: { path: string; body: { text?: string } }[] = [];
  /** Requests the receiver answered 503, as a chat service that is briefly down: the first one. */
  let refused = 0;
  let hookUrl = '';
  const people: Record<'falling' | 'steady' | 'company', { email: string; password: string }> = {} as never;
  let admin: AdminClient;

  const run = (day: string, workflowId = uid('alert-check')) =>
    client.workflow.execute<typeof alertCheckWorkflow>('alertCheckWorkflow', {
      taskQueue: h.taskQueue,
      workflowId,
      args: [{ day }],
    });

  /** `RECORD_HISTORIES=1`: the run's history for the replay test (test/workflow/replay.test.ts). */
  const record = (workflowId: string) => {
    const shown = spawnSync(
      temporalCliPath(),
      [
        'workflow',
        'show',
        '--workflow-id',
        workflowId,
        '--address',
        inject('stack').temporalAddress,
        '--output',
        'json',
      ],
      { encoding: 'utf8' },
    );
    expect(shown.status, shown.stderr).toBe(0);
    writeFileSync(path.join(__dirname, 'histories', 'alert-check.json'), shown.stdout);
  };

  beforeAll(async () => {
    h = await startHarness({
      env: {
        MONGODB_DB: `cxloop_${uid('alerts').replace(/-/g, '_')}`,
        // Recorded without the payload codec, so the checked-in history stays readable in review.
        ...(RECORD ? { TEMPORAL_CODEC_KEYS: '' } : {}),
      },
    });
    client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        if (refused === 0) {
          refused++;
          res.writeHead(503).end('busy');
          return;
        }
        posts.push({ path: req.url ?? '', body: JSON.parse(body) as { text?: string } });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/services/T000/B000/secret-path`;

    for (const key of ['falling', 'steady', 'company'] as const) people[key] = await createUser(h.db, 'viewer');
    const units: Unit[] = [
      { id: 'company', name: 'Company', parentId: null, manager: people.company.email, match: {} },
      { id: 'falling', name: 'Falling', parentId: 'company', manager: people.falling.email, match: { region: ['F'] } },
      { id: 'steady', name: 'Steady', parentId: 'company', manager: people.steady.email, match: { region: ['S'] } },
    ];
    await c.orgUnits(h.db).insertOne({ _id: 'units', units, version: 1, updatedAt: new Date(), updatedBy: 'test' });
    for (const key of ['falling', 'steady'] as const)
      await c.users(h.db).updateOne({ _id: people[key].email }, { $set: { units: [] } });

    const programId = await createProgram(h, { triggers: ['alerts'] });
    const random = mulberry32(24);
    const { recent, baseline } = alertWindows(DAY, ALERT_WINDOW_DAYS);
    const rollups: c.RollupDoc[] = [];
    for (let t = Date.parse(baseline.from); t <= Date.parse(NEXT_DAY); t += 86_400_000) {
      const day = new Date(t).toISOString().slice(0, 10);
      const dropped = day >= recent.from;
      const of = (shares: typeof BEFORE) => {
        const nps = sampleNps(random, PER_DAY, shares);
        return { nps, late: sampleHits(random, PER_DAY, 0.15) };
      };
      const falling = of(dropped ? AFTER : BEFORE);
      const steady = of(BEFORE);
      const doc = (segment: string, parts: (typeof falling)[]) => {
        const sum = (pick: (p: typeof falling) => number) => parts.reduce((s, p) => s + pick(p), 0);
        return {
          _id: `${programId}|${day}|${segment}`,
          programId,
          day,
          segment,
          responses: PER_DAY * parts.length,
          nps: {
            count: PER_DAY * parts.length,
            sum: 0,
            promoters: sum((p) => p.nps.promoters),
            passives: sum((p) => p.nps.passives),
            detractors: sum((p) => p.nps.detractors),
          },
          themes: { late: sum((p) => p.late) },
        };
      };
      rollups.push(doc('all', [falling, steady]), doc('unit:falling', [falling]), doc('unit:steady', [steady]));
    }
    await c.rollups(h.db).insertMany(rollups);
    await backfillRollupTotals(h.db);

    const adminUser = await createUser(h.db, 'admin');
    admin = await signIn(h.baseUrl, adminUser.email, adminUser.password);
  });

  afterAll(async () => {
    await client?.schedule
      .getHandle(alertScheduleId(h.taskQueue))
      .delete()
      .catch(() => undefined);
    await client?.connection.close();
    await new Promise((resolve) => receiver?.close(resolve));
    await h?.stop();
  });

  it('refuses a webhook URL that is no URL, and keeps its secret path out of the page and the audit log', async () => {
    const bad = await admin.post('/admin/alerts/settings', { webhookUrl: 'ftp://example.com/x', locale: 'en' });
    expect(bad.status).toBe(400);
    const saved = await admin.post('/admin/alerts/settings', { webhookUrl: hookUrl, locale: 'en' });
    expect(saved.status).toBe(200);
    const html = await saved.text();
    expect(html).toContain('Alert settings saved.');
    expect(html).toContain('http://127.0.0.1');
    expect(html).not.toContain('secret-path');
    const entry = await c.auditLog(h.db).findOne({ action: 'alerts.settings' });
    expect(JSON.stringify(entry)).not.toContain('secret-path');
    expect((await a.loadAlertSettings(h.db)).webhookUrl).toBe(hookUrl);
  });

  it('alerts the manager of a unit whose NPS fell, once per episode; a unit of pure noise gets none', async () => {
    const firstRun = uid('alert-check');
    const first = await run(DAY, firstRun);
    if (RECORD) record(firstRun);
    const history = await client.workflow.getHandle(firstRun).fetchHistory();
    expect(JSON.stringify(history)).not.toContain('secret-path');
    expect(first.delivered).toBe(2);
    const alerts = await a.alerts(h.db).find({}).sort({ _id: 1 }).toArray();
    expect(alerts.map((alert) => alert._id)).toEqual([`company|nps|${DAY}`, `falling|nps|${DAY}`]);
    const falling = alerts[1]!;
    expect(falling.pValue).toBeLessThanOrEqual(0.01);
    expect(falling.change).toBeLessThan(-30);
    expect(falling.recentReplies).toBe(7 * PER_DAY);
    expect(falling.baselineReplies).toBe(28 * PER_DAY);

    const mail = await waitUntil('the alert email', async () => {
      const mails = await mailTo(h, people.falling.email);
      return mails.length ? mails : undefined;
    });
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toBe('[Alert] Falling: NPS fell significantly');
    expect(mail[0]!.text).toContain(`NPS, 2001-03-25 to ${DAY}: ${Math.round(falling.recent * 10) / 10}`);
    expect(mail[0]!.text).toContain('Baseline, 2001-02-25 to 2001-03-24');
    expect(mail[0]!.text).toContain('p-value');
    expect(mail[0]!.text).toContain('false-alarm rate');
    expect(mail[0]!.text).toContain(`${h.baseUrl}/admin/dashboard?segment=unit%3Afalling`);
    expect(await mailTo(h, people.steady.email)).toHaveLength(0);
    expect(await mailTo(h, people.company.email)).toHaveLength(1);
    // The 503 was retried by the activity: one message per alert arrived.
    expect(refused).toBe(1);
    expect(posts.map((p) => p.path)).toEqual(['/services/T000/B000/secret-path', '/services/T000/B000/secret-path']);
    expect(posts.map((p) => p.body.text?.split('\n')[0]).sort()).toEqual([
      '*Company: NPS fell significantly*',
      '*Falling: NPS fell significantly*',
    ]);

    // The same day again, and the next day (the drop still under way): the episode is not told again.
    expect((await run(DAY)).delivered).toBe(0);
    const next = await run(NEXT_DAY);
    expect(next.delivered).toBe(0);
    expect(next.checked).toBeGreaterThan(0);
    expect(await a.alerts(h.db).countDocuments({})).toBe(2);
    expect(await mailTo(h, people.falling.email)).toHaveLength(1);
    expect(posts).toHaveLength(2);
  });

  it('lists a unit’s alerts to the people responsible for it, and no other unit’s', async () => {
    const steadyManager = await signIn(h.baseUrl, people.steady.email, people.steady.password);
    const fallingManager = await signIn(h.baseUrl, people.falling.email, people.falling.password);
    const rows = async (who: AdminClient) => {
      const page = await who.get('/admin/alerts');
      expect(page.status).toBe(200);
      return [...(await page.text()).matchAll(/data-alert="([^"]+)"/g)].map((m) => m[1]);
    };
    expect(await rows(fallingManager)).toEqual([`falling|nps|${DAY}`]);
    expect(await rows(steadyManager)).toEqual([]);
    expect((await rows(admin)).sort()).toEqual([`company|nps|${DAY}`, `falling|nps|${DAY}`]);
    // Only admins change where alerts go.
    expect((await fallingManager.post('/admin/alerts/settings', { webhookUrl: '', locale: 'de' })).status).toBe(403);
  });
});
