import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Db } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ResolveAll, createWebhookActivities } from '../../activities/webhooks';
import * as c from '../../src/db/collections';
import { rebuildWebhookIndex } from '../../src/db/webhook-index';
import { parseAllowList } from '../../src/domain/webhook-destination';
import { signIn } from '../support/admin';
import { ADMIN, type Harness, api, startHarness } from '../support/harness';

describe('webhook destinations', () => {
  let h: Harness;
  let receiver: Server;
  let port: number;
  let requests = 0;

  beforeAll(async () => {
    // No allow-list: the rule as production has it by default.
    h = await startHarness({ withWorker: false, env: { WEBHOOK_ALLOWED_HOSTS: '' } });
    receiver = createServer((req, res) => {
      requests++;
      res.writeHead(200).end('internal secrets a port scan would love to read');
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    port = (receiver.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
    await h?.stop();
  });

  describe('at creation', () => {
    it.each([
      ['loopback address', () => `http://127.0.0.1:${port}/hook`, /loopback/],
      ['loopback in another notation', () => `http://0x7f000001:${port}/hook`, /127.0.0.1 is a loopback/],
      ['IPv6 loopback', () => `http://[::1]:${port}/hook`, /loopback/],
      ['IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${port}/hook`, /loopback/],
      ['localhost', () => `http://localhost:${port}/hook`, /names this machine/],
      ['a *.localhost name', () => 'https://helpdesk.localhost/hook', /names this machine/],
      ['private address', () => 'http://10.0.0.5/hook', /private/],
      ['private address 192.168', () => 'https://192.168.1.20/hook', /private/],
      ['carrier-grade NAT', () => 'http://100.64.0.1/hook', /carrierGradeNat/],
      ['unique-local IPv6', () => 'http://[fd00::1]/hook', /uniqueLocal/],
      ['cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', /linkLocal/],
      ['cloud metadata name', () => 'http://metadata.google.internal/computeMetadata/v1/', /metadata/],
      ['unspecified address', () => `http://0.0.0.0:${port}/`, /unspecified/],
    ])('refuses a %s', async (_what, url, reason) => {
      const res = await api(h, 'POST', '/api/webhooks', { url: url(), events: ['case.opened'] });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/^url: /);
      expect(res.json.error).toMatch(reason);
      expect(await c.webhooks(h.db).countDocuments({ url: url() })).toBe(0);
    });

    it("refuses a name that resolves to loopback (this machine's own name)", async (ctx) => {
      // Debian's /etc/hosts maps the machine's name to 127.0.x.1; where it does not, there is nothing to see.
      const own = hostname();
      const addresses = await lookup(own, { all: true }).catch(() => []);
      if (!addresses.some((a) => a.address.startsWith('127.'))) ctx.skip();
      const res = await api(h, 'POST', '/api/webhooks', { url: `http://${own}:${port}/`, events: ['case.opened'] });
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/resolves to 127\.\S+ is a loopback address/);
    });

    it('shows the refusal next to the URL in the admin form', async () => {
      const admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
      const res = await admin.post('/admin/webhooks', { url: 'http://169.254.169.254/', events: 'case.opened' });
      expect(res.status).toBe(422);
      expect(await res.text()).toMatch(/<span class="error">169\.254\.169\.254 is a linkLocal address/);
    });
  });

  describe('at delivery', () => {
    let db: Db;
    beforeAll(() => {
      // A database of its own: the activity delivers to every webhook subscribed to the event.
      db = h.web.database.client.db(`webhook-destinations-${randomUUID().slice(0, 8)}`);
    });
    // One subscription at a time, so each test sees only its own.
    beforeEach(() => c.webhooks(db).deleteMany({}));
    afterAll(() => db?.dropDatabase());

    /** DNS as a rebinding attacker runs it: the name passed the check at creation, now it points inside. */
    const rebound: ResolveAll = async () => [{ address: '127.0.0.1', family: 4 }];

    async function subscribed(url: string) {
      const hookId = randomUUID();
      const caseId = `case-${randomUUID()}`;
      await c.webhooks(db).insertOne({
        _id: hookId,
        url,
        events: ['case.opened'],
        secret: 'whsec_test',
        createdBy: 'test',
        createdAt: new Date(),
      });
      // Stored by hand (the API refuses these URLs), so the index the activity reads is rebuilt by hand.
      await rebuildWebhookIndex(db);
      await db.collection('cases').insertOne({ _id: caseId as never, status: 'open' });
      return { hookId, caseId };
    }

    const deliver = (activities: ReturnType<typeof createWebhookActivities>, caseId: string, attempt: number) =>
      new MockActivityEnvironment({ attempt }).run(activities.deliverCaseWebhooks, {
        caseId,
        event: 'case.opened' as const,
        seq: 1,
      });

    it('when a name resolves to loopback at delivery, then nothing is sent, the refusal is logged without a body, and it is not retried', async () => {
      const { hookId, caseId } = await subscribed(`http://helpdesk.rebind.example:${port}/hook`);
      const activities = createWebhookActivities(db, { resolve: rebound });
      const before = requests;

      expect(await deliver(activities, caseId, 1)).toEqual({ delivered: 0 });
      expect(requests).toBe(before);
      const attempts = await c.webhookAttempts(db).find({ webhookId: hookId }).toArray();
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({
        ok: false,
        refused: true,
        error:
          'destination refused: helpdesk.rebind.example resolves to 127.0.0.1 is a loopback address, not a public one',
      });
      expect(attempts[0]).not.toHaveProperty('status');
      expect(JSON.stringify(attempts)).not.toContain('internal secrets');

      // A later attempt of the activity (another webhook failed, say) does not try it again.
      await deliver(activities, caseId, 2);
      expect(await c.webhookAttempts(db).countDocuments({ webhookId: hookId })).toBe(1);
      expect(requests).toBe(before);
    });

    it('when a stored URL names a loopback address, then it is refused without connecting', async () => {
      const { hookId, caseId } = await subscribed(`http://127.0.0.1:${port}/hook`);
      const before = requests;
      expect(await deliver(createWebhookActivities(db), caseId, 1)).toEqual({ delivered: 0 });
      expect(requests).toBe(before);
      expect(await c.webhookAttempts(db).findOne({ webhookId: hookId })).toMatchObject({ refused: true });
    });

    it('when the allow-list names the receiver, then the same delivery goes through', async () => {
      const { hookId, caseId } = await subscribed(`http://helpdesk.rebind.example:${port}/hook`);
      const activities = createWebhookActivities(db, { allowList: parseAllowList('127.0.0.1'), resolve: rebound });
      const before = requests;
      expect(await deliver(activities, caseId, 1)).toEqual({ delivered: 1 });
      expect(requests).toBe(before + 1);
      expect(await c.webhookAttempts(db).findOne({ webhookId: hookId })).toMatchObject({ ok: true, status: 200 });
    });
  });
});
