import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/stack/ports';
import { temporalCliPath } from '../../src/stack/tools';
import { signIn } from '../support/admin';
import { waitUntil } from '../support/harness';

const DEMO_ADDRESSES = ['ada@example.com', 'grace@example.com', 'max@example.com'];

/** `npm start`'s entry point, run as a user would: its own embedded stack, demo data, printed URLs. */
describe('npm start', () => {
  let child: ChildProcess;
  let output = '';
  let baseUrl: string;
  let dataDir: string;
  let workerMetricsPort: number;
  let workerHealthPort: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cxloop-start-'));
    const port = await freePort();
    workerMetricsPort = await freePort();
    workerHealthPort = await freePort();
    // As `npm start` runs it: node with tsx as a loader, so signals reach cxloop itself.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: dataDir,
        MONGODB_URI: '',
        TEMPORAL_ADDRESS: '',
        SMTP_URL: '',
        WORKER_METRICS_PORT: String(workerMetricsPort),
        WORKER_HEALTH_PORT: String(workerHealthPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil('cxloop to start', async () => output.includes('cxloop is running'), 90_000);
    baseUrl = `http://localhost:${port}`;
  }, 120_000);

  afterAll(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('when it has started, then the printed URLs answer and the demo transactions produce survey emails', async () => {
    expect(output).toContain(`Admin UI          ${baseUrl}/admin`);
    expect(output).toMatch(/Temporal Web UI\s+http:\/\/localhost:\d+/);
    const apiKey = /API key\s+(\S+)/.exec(output)![1]!;
    const [, email, password] = /sign in as (\S+) \/ (\S+)\)/.exec(output)!;

    expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200);
    const admin = await signIn(baseUrl, email!, password!);
    expect((await admin.get('/admin/outbox')).status).toBe(200);

    const outbox = await waitUntil('the three demo invitations', async () => {
      const res = await fetch(`${baseUrl}/api/outbox`, { headers: { authorization: `Bearer ${apiKey}` } });
      const body = (await res.json()) as { items: { to: string; subject: string; text: string }[] };
      // The three demo customers' (the demo's case customers buy too).
      const invitations = body.items.filter(
        (m) => /How was your purchase|Wie war Ihr Einkauf/.test(m.subject) && DEMO_ADDRESSES.includes(m.to),
      );
      return invitations.length >= 3 ? invitations : undefined;
    });
    expect(outbox.map((m) => m.to).sort()).toEqual(DEMO_ADDRESSES);
    const link = /(http:\/\/\S+\/s\/[\w-]+)\s/.exec(outbox[0]!.text)![1]!;
    expect(link.startsWith(baseUrl)).toBe(true);
    expect((await fetch(`${link}?score=9`)).status).toBe(200);

    // The demo campaign surveys the three demo customers once their loops have recorded them.
    const campaign = await waitUntil(
      'the demo campaign to send its surveys',
      async () => {
        const res = await fetch(`${baseUrl}/api/campaigns/demo-delivery-probe`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        const body = (await res.json()) as { progress?: { sent: number } };
        return body.progress?.sent === 3 ? body : undefined;
      },
      90_000,
    );
    expect(campaign).toMatchObject({ programId: 'delivery-probe', progress: { matched: 3, decided: 3 } });

    // The demo's case owner signs in with the printed password and sees the case queue.
    const [, ownerPassword] = /olga@cxloop\.localhost \/ (\S+)/.exec(output)!;
    const owner = await signIn(baseUrl, 'olga@cxloop.localhost', ownerPassword!);
    expect((await owner.get('/admin/cases')).status).toBe(200);

    // Europe's general manager sees Europe only (stored without units at first, she saw everything);
    // the frontline agent has her own page.
    const [, gmPassword] = /gm-eu@cxloop\.localhost \/ (\S+)/.exec(output)!;
    const gm = await signIn(baseUrl, 'gm-eu@cxloop.localhost', gmPassword!);
    expect((await gm.get('/admin/dashboard?segment=unit:eu')).status).toBe(200);
    expect((await gm.get('/admin/dashboard?segment=unit:na')).status).toBe(403);
    const [, frontlinePassword] = /frontline@cxloop\.localhost \/ (\S+)/.exec(output)!;
    const frontline = await signIn(baseUrl, 'frontline@cxloop.localhost', frontlinePassword!);
    expect((await frontline.get('/admin/my-feedback')).status).toBe(200);

    await demoRunsEncrypted(apiKey);

    // The worker's Prometheus exporter: the Temporal SDK's task latencies and our email counter.
    const metrics = await waitUntil('the worker metrics to count the emails', async () => {
      const text = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
      const sent = [...text.matchAll(/cxloop_emails_total\{[^}]*status="sent"[^}]*\} (\d+)/g)];
      return sent.reduce((sum, line) => sum + Number(line[1]), 0) >= 3 ? text : undefined;
    });
    expect(metrics).toMatch(/temporal_workflow_task_execution_latency/);
    // The embedded worker's probes, served because WORKER_HEALTH_PORT is set; it has sent emails.
    const health = await fetch(`http://127.0.0.1:${workerHealthPort}/readyz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      state: 'RUNNING',
      polling: { cxloop: true },
      lastTaskAt: expect.any(String),
    });
  }, 240_000);

  /**
   * The demo's Temporal holds ciphertext under its generated key; its Web UI is pointed at /codec and
   * may call it from its origin; the CLI reads a demo customer's history through /codec/cli.
   */
  async function demoRunsEncrypted(apiKey: string) {
    const devServer = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .find((line) => line.includes(dataDir) && line.includes('start-dev'))!;
    expect(devServer).toContain(`--ui-codec-endpoint ${baseUrl}/codec`);
    const uiOrigin = /Temporal Web UI\s+(http:\/\/localhost:\d+)/.exec(output)![1]!;
    const preflight = await fetch(`${baseUrl}/codec/decode`, {
      method: 'OPTIONS',
      headers: { origin: uiOrigin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    const address = `127.0.0.1:${/--port (\d+)/.exec(devServer)![1]}`;
    const cli = async (...args: string[]) =>
      (await promisify(execFile)(temporalCliPath(), [...args, '--address', address, '-o', 'json'], { timeout: 30_000 }))
        .stdout;
    const loop = await waitUntil('a demo customer loop to be listed', async () => {
      const listed = await cli('workflow', 'list', '--query', "WorkflowType = 'customerLoopWorkflow'", '--limit', '1');
      return (JSON.parse(listed) as { execution: { workflowId: string } }[])[0];
    });
    const show = (...extra: string[]) => cli('workflow', 'show', '-w', loop.execution.workflowId, ...extra);
    const encrypted = Buffer.from('binary/encrypted').toString('base64');
    expect(await show()).toContain(encrypted);
    const decoded = await show('--codec-endpoint', `${baseUrl}/codec/cli`, '--codec-auth', `Bearer ${apiKey}`);
    expect(decoded).not.toContain(encrypted);
    expect(decoded).toContain(Buffer.from('json/plain').toString('base64'));
  }

  it('when it gets SIGTERM, then it stops with its embedded stack and leaves no process behind', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const leftovers = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter((line) => line.includes(dataDir));
    expect(leftovers).toEqual([]);
  });
});
