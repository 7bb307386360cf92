import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import * as c from '../../src/db/collections';
import { type EmbeddedStack, startEmbeddedStack } from '../../src/stack/embedded';
import { freePort } from '../../src/stack/ports';
import {
  type Harness,
  api,
  createProgram,
  eventFor,
  inviteNewCustomer,
  postForm,
  startHarness,
  triggerOf,
  uid,
  waitUntil,
  mailTo,
  surveyLinkIn,
} from '../support/harness';
import { createCaseProgram, createFollowUpProgram, setUpCaseRouting } from '../support/cases';

/** A Temporal server of its own, with its state on disk, stopped and started again mid-test. */
describe('when Temporal restarts', () => {
  let dataDir: string;
  let port: number;
  let temporal: EmbeddedStack | undefined;
  let h: Harness;

  const startTemporal = () =>
    startEmbeddedStack({
      dataDir,
      mongoUri: inject('stack').mongoUri,
      smtpUrl: inject('stack').smtpUrl,
      mongoDbName: inject('stack').dbName,
      mode: 'test',
      persistTemporal: true,
      temporalPort: port,
    });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-restart-'));
    // A second dev server on a port found free a moment ago: if another process took one of its
    // ports meanwhile, it is tried once more on new ones (the first failure is shown).
    for (let attempt = 1; !temporal; attempt++) {
      port = await freePort();
      temporal = await startTemporal().catch((err: Error) => {
        if (attempt === 2) throw err;
        console.warn(`the test's Temporal server did not start, trying other ports: ${err.message}`);
        return undefined;
      });
    }
    h = await startHarness({ temporalAddress: temporal.temporalAddress });
  });
  afterAll(async () => {
    await h?.stop();
    await temporal?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('then replies, events and case actions that came in while it was down are processed once it is back, exactly once', async () => {
    const programId = await createProgram(h);
    const { link, invitationId } = await inviteNewCustomer(h, programId);
    // An open case too, which an owner tries to resolve while Temporal is away.
    await setUpCaseRouting(h);
    const followUp = await createFollowUpProgram(h);
    const caseProgram = await createCaseProgram(h, {
      firstResponse: '1h',
      resolution: '1d',
      followUpProgram: followUp,
    });
    // Its own Temporal server shares the machine with every other test file: give its loop time.
    const detractor = await inviteNewCustomer(h, caseProgram, { timeoutMs: 90_000 });
    const caseId = detractor.invitationId;
    expect((await postForm(detractor.link, { nps: '2', went_wrong: 'Broken' })).status).toBe(200);
    await waitUntil('the case to be ready', () =>
      c.emails(h.db).findOne({ _id: `case:${caseId}:assigned-0`, status: 'sent' }),
    );
    // Retried with one Idempotency-Key: an attempt that timed out may still have been taken.
    const resolve = () =>
      api(
        h,
        'POST',
        `/api/cases/${encodeURIComponent(caseId)}/resolve`,
        { rootCause: 'Other', customerMessage: 'Repaired.' },
        { 'idempotency-key': `resolve-${caseId.replace(/\W/g, '-')}` },
      );

    await temporal!.stop();
    temporal = undefined;
    const refused = await resolve();
    expect(refused.status).toBe(503);
    expect(refused.text).toMatch(/try again/i);
    // Still ready: the load balancer keeps sending customers and integrations.
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { checks: { temporal: string } }).checks.temporal).toBe('degraded');

    // Customers and integrations carry on: nothing is refused while Temporal is away.
    // Answered with its follow-up in one go: one request, one signal that waits out its deadline.
    expect((await postForm(link, { nps: '9', went_well: 'Quick delivery' })).status).toBe(200);
    const customer = { id: uid('cust'), email: `${uid('c')}@example.com` };
    const event = eventFor({ trigger: await triggerOf(h, programId) }, customer);
    expect((await api(h, 'POST', '/api/events', event)).status).toBe(202);
    expect(await c.replyAcks(h.db).findOne({ _id: invitationId })).toBeNull();

    temporal = await startTemporal();
    const reply = await waitUntil(
      'the reply to be scored after the restart',
      async () => {
        const r = await c.responses(h.db).findOne({ _id: invitationId });
        return r?.scores ? r : undefined;
      },
      45_000,
    );
    expect(reply.scores?.npsCategory).toBe('promoter');
    await waitUntil(
      'the new customer’s survey',
      async () => (await c.invitations(h.db).countDocuments({ customerId: customer.id })) === 1,
      45_000,
    );
    expect(await c.contactDecisions(h.db).countDocuments({ eventId: event.id })).toBe(1);
    await waitUntil('the web to see Temporal again', async () => {
      const ready = (await (await fetch(`${h.baseUrl}/readyz`)).json()) as { checks: { temporal: string } };
      return ready.checks.temporal === 'ok';
    });

    const resolved = await waitUntil(
      'the case to take the action',
      async () => {
        const res = await resolve();
        return res.status === 200 ? res : undefined;
      },
      45_000,
    );
    expect(resolved.json.status).toBe('resolved');
    const survey = await waitUntil('the follow-up survey', async () =>
      (await mailTo(h, detractor.customer.email)).find((m) => m.subject === 'Is your problem solved?'),
    );
    expect((await postForm(surveyLinkIn(survey.text), { solved: 'yes', csat: '4' })).status).toBe(200);
    await waitUntil(
      'the case to close',
      async () => (await c.cases(h.db).findOne({ _id: caseId }))?.status === 'closed',
    );
    expect(await c.caseTimeline(h.db).countDocuments({ caseId, kind: 'resolve' })).toBe(1);
    // Two Temporal starts and two bounded waits: more than the default minute on a busy machine.
  }, 200_000);
});
