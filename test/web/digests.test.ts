import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as c from '../../src/db/collections';
import { digestPreferences } from '../../src/db/digests';
import { digestFrequencies, syncPersonDigest } from '../../src/app/digests';
import { connectTemporalClient } from '../../src/temporal/connection';
import { digestScheduleFrequency, reconcileDigestSchedules } from '../../src/temporal/digest-schedules';
import { createUser, signIn } from '../support/admin';
import { ADMIN, type Harness, api, mailTo, postForm, startHarness, uid, waitUntil } from '../support/harness';

/** A week long past, so that the test's replies are the only ones in it. */
const PERIOD = '2026-W10';
const IN_PERIOD = new Date('2026-03-04T10:00:00Z');

describe('digests', () => {
  let h: Harness;
  let temporal: Client;
  let person: { email: string; password: string };

  beforeAll(async () => {
    h = await startHarness();
    temporal = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    // A viewer recorded before units: the whole organisation, weekly by default.
    person = await createUser(h.db, 'viewer');
    await c.responses(h.db).insertOne({
      _id: uid('reply'),
      invitationId: uid('inv'),
      programId: 'digest-test',
      customerId: uid('cust'),
      answers: {},
      submittedAt: IN_PERIOD,
      updatedAt: IN_PERIOD,
      editableUntil: IN_PERIOD,
      finalizedAt: IN_PERIOD,
      edits: 0,
      scores: {
        nps: 2,
        npsCategory: 'detractor',
        verbatim: 'The app crashed at checkout.',
        themes: ['app'],
        sentiment: 'negative',
        summary: 20,
      },
    });
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await h?.stop();
  });

  const runDigest = (period: string) =>
    temporal.workflow.execute('digestWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: uid('digest'),
      args: [{ userId: person.email, frequency: 'weekly', period }],
    });

  it('sends a period’s digest exactly once: a second run of the period sends nothing', async () => {
    expect(await runDigest(PERIOD)).toEqual({ status: 'sent' });
    const [mail] = await waitUntil('the digest email', async () => {
      const messages = await mailTo(h, person.email);
      return messages.length ? messages : undefined;
    });
    expect(mail!.subject).toBe('Your weekly CX digest, 2026-03-02 to 2026-03-08');
    expect(mail!.text).toContain('NEW DETRACTORS: 1');
    expect(mail!.text).toContain('"The app crashed at checkout."');
    expect(await c.emails(h.db).findOne({ _id: `digest:${person.email}:${PERIOD}` })).toMatchObject({
      status: 'sent',
      kind: 'digest',
    });

    expect(await runDigest(PERIOD)).toEqual({ status: 'already-sent' });
    // Also after the worker restarts: the key is in MongoDB, not in the worker.
    await h.stopWorker();
    await h.startWorker();
    expect(await runDigest(PERIOD)).toEqual({ status: 'already-sent' });
    // A week with nothing to say sends nothing either.
    expect(await runDigest('2026-W20')).toEqual({ status: 'empty' });
    expect(await mailTo(h, person.email)).toHaveLength(1);

    // The link in it works without signing in: a GET shows the choice and changes nothing …
    const link = /(https?:\/\/\S+\/u\/digest\/[A-Za-z0-9_-]+)/.exec(mail!.text)![1]!;
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/value="weekly" checked/);
    expect(await digestPreferences(h.db).findOne({ _id: person.email })).toBeNull();
    // … its form's POST does.
    const stopped = await postForm(link, { frequency: 'none', locale: 'en' });
    expect(stopped.status).toBe(200);
    expect(await stopped.text()).toContain('gets no more digests');
    expect(await digestPreferences(h.db).findOne({ _id: person.email })).toMatchObject({ frequency: 'none' });
    expect(await digestScheduleFrequency(temporal, h.taskQueue, person.email)).toBe('none');
    expect((await postForm(link, { frequency: 'hourly', locale: 'en' })).status).toBe(422);
    expect((await fetch(link.replace(/[^/]+$/, 'A'.repeat(43)))).status).toBe(404);
  });

  it('lets a person choose daily, weekly or none on their account page, with CSRF, checked input and the schedule following', async () => {
    const other = await createUser(h.db, 'case_owner');
    // The worker's start makes the schedules of people who never chose: a case owner's is daily.
    await reconcileDigestSchedules(temporal, h.taskQueue, await digestFrequencies(h.db));
    expect(await digestScheduleFrequency(temporal, h.taskQueue, other.email)).toBe('daily');

    const browser = await signIn(h.baseUrl, other.email, other.password);
    expect(await (await browser.get('/admin/account')).text()).toMatch(/<option value="daily" selected>/);
    expect(
      (await browser.post('/admin/account/digest', { frequency: 'weekly', locale: 'de', _csrf: 'forged' })).status,
    ).toBe(403);
    expect((await browser.post('/admin/account/digest', { frequency: 'hourly', locale: 'de' })).status).toBe(422);
    expect((await browser.post('/admin/account/digest', { frequency: 'weekly', locale: 'fr' })).status).toBe(422);
    expect(await digestScheduleFrequency(temporal, h.taskQueue, other.email)).toBe('daily');

    const saved = await browser.post('/admin/account/digest', { frequency: 'weekly', locale: 'de' });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('You get a weekly digest');
    expect(await digestScheduleFrequency(temporal, h.taskQueue, other.email)).toBe('weekly');
    expect(await c.auditLog(h.db).findOne({ action: 'user.digest', subject: `user ${other.email}` })).toMatchObject({
      actor: other.email,
      before: { frequency: 'daily', chosen: false },
      after: { frequency: 'weekly', locale: 'de' },
    });

    expect((await browser.post('/admin/account/digest', { frequency: 'none', locale: 'de' })).status).toBe(200);
    expect(await digestScheduleFrequency(temporal, h.taskQueue, other.email)).toBe('none');
  });

  it('makes a new person’s schedule at once, and follows a role change, disabling and enabling (form and API)', async () => {
    const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    const viewer = `${uid('new-viewer')}@example.com`;
    const created = await admin.post('/admin/users', {
      email: viewer,
      name: 'New Viewer',
      role: 'viewer',
      password: 'a long enough password',
    });
    expect(created.status).toBe(200);
    // No worker start in between: the route made the viewer's weekly schedule.
    expect(await digestScheduleFrequency(temporal, h.taskQueue, viewer)).toBe('weekly');
    expect(
      (await api(h, 'POST', `/api/users/${encodeURIComponent(viewer)}`, { action: 'role', role: 'case_owner' })).status,
    ).toBe(200);
    expect(await digestScheduleFrequency(temporal, h.taskQueue, viewer)).toBe('daily');
    expect((await admin.post(`/admin/users/${encodeURIComponent(viewer)}`, { action: 'disable' })).status).toBe(200);
    expect(await digestScheduleFrequency(temporal, h.taskQueue, viewer)).toBe('none');
    expect((await api(h, 'POST', `/api/users/${encodeURIComponent(viewer)}`, { action: 'enable' })).status).toBe(200);
    expect(await digestScheduleFrequency(temporal, h.taskQueue, viewer)).toBe('daily');

    const byApi = `${uid('api-owner')}@example.com`;
    const made = await api(h, 'POST', '/api/users', {
      email: byApi,
      name: 'By API',
      role: 'case_owner',
      password: 'a long enough password',
    });
    expect(made.status).toBe(201);
    expect(await digestScheduleFrequency(temporal, h.taskQueue, byApi)).toBe('daily');
  });

  it('leaves a schedule Temporal does not take to the next worker start, without failing', async () => {
    const logged: string[] = [];
    const down = {
      create: () => Promise.reject(new Error('Temporal is down')),
      getHandle: () => {
        throw new Error('Temporal is down');
      },
    };
    const loop = {
      temporal: { schedule: down } as unknown as Client,
      taskQueue: h.taskQueue,
      loopIdleTimeout: '1m',
      customerKeySecret: 'x',
      log: (msg: string) => logged.push(msg),
    };
    const someone = await createUser(h.db, 'viewer');
    expect(await syncPersonDigest(h.db, loop, someone.email)).toBe('pending');
    expect(logged.join('\n')).toContain('left to the next worker start');
  });
});
