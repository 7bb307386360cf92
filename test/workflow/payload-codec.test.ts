import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Payload } from '@temporalio/common';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureApiKey } from '../../src/bootstrap';
import { temporalCliPath } from '../../src/stack/tools';
import { connectTemporalClient } from '../../src/temporal/connection';
import { LOCAL_ACTIVITY_MARKER } from '../../src/temporal/history-tally';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/temporal/codec';
import { type SurveyInvitationInput, invitationWorkflowId } from '../../workflows/definitions';
import { type AdminClient, createUser, signIn } from '../support/admin';
import { ADMIN, type Harness, createProgram, inviteNewCustomer, loopIdOf, startHarness, uid } from '../support/harness';

const UI_ORIGIN = 'http://temporal-ui.test:8233';

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
const utf8 = (b64text: string) => Buffer.from(b64text, 'base64').toString('utf8');
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
  data: b64(p.data),
});

/** A raw history as text, payload bytes included, to search for a string wherever it would be stored. */
const asText = (history: unknown) =>
  JSON.stringify(history, (_key, value: unknown) =>
    value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value,
  );

/** Every failure in a raw history (activity and workflow failures, update outcomes), causes included. */
function failuresIn(value: unknown): Record<string, unknown>[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) =>
    (key === 'failure' || key === 'cause') && child && typeof child === 'object'
      ? [child as Record<string, unknown>, ...failuresIn(child)]
      : failuresIn(child),
  );
}

/**
 * Every payload in a raw history, with where it sits. Search attributes are the exception Temporal
 * makes: the server indexes them, so no codec ever sees them (h5 keeps them free of personal data).
 * So are `patched()` markers: the SDK's core records the patch ID (a name in the workflow code)
 * itself, past the codec; and a local activity's marker data (its sequence number, attempt,
 * activity ID and type, times: see localActivityMarkerData), while its result goes through the codec.
 */
function payloadsIn(value: unknown, path = ''): { path: string; payload: Payload }[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return [];
  if (path.endsWith('.searchAttributes') || path.endsWith('.patch-data')) return [];
  if (path.endsWith('.markerRecordedEventAttributes.details.data')) return [];
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && 'data' in record)
    return [{ path, payload: record as Payload }];
  return Object.entries(record).flatMap(([key, child]) => payloadsIn(child, `${path}.${key}`));
}

type RawHistory = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>;

/** What core writes itself in each local activity's marker, decoded: bookkeeping, never a payload of ours. */
function localActivityMarkerData(history: RawHistory): Record<string, unknown>[] {
  return (history.events ?? [])
    .map((e) => e.markerRecordedEventAttributes)
    .filter((marker) => marker?.markerName === LOCAL_ACTIVITY_MARKER)
    .flatMap((marker) => marker!.details!.data!.payloads!)
    .map((payload) => JSON.parse(utf8(b64(payload.data))) as Record<string, unknown>);
}
const LOCAL_ACTIVITY_BOOKKEEPING = [
  'activity_id',
  'activity_type',
  'attempt',
  'backoff',
  'complete_time',
  'original_schedule_time',
  'seq',
];

describe('the payload codec, end to end', () => {
  let h: Harness;
  let admin: AdminClient;
  let histories: { path: string; payload: Payload }[];
  let markerData: Record<string, unknown>[];
  let workflowIds: string[];

  beforeAll(async () => {
    h = await startHarness({ env: { TEMPORAL_UI_ORIGIN: UI_ORIGIN } });
    admin = await signIn(h.baseUrl, ADMIN.email, ADMIN.password);
    // A customer's loop and its survey invitation, started the real way: an event through the API.
    const programId = await createProgram(h);
    const { customer, invitationId } = await inviteNewCustomer(h, programId);
    // A client without the codec sees what Temporal stores.
    const raw = await connectTemporalClient({ address: h.temporalAddress, namespace: h.config.temporal.namespace });
    try {
      histories = [];
      markerData = [];
      workflowIds = [await loopIdOf(h, customer.id), invitationWorkflowId(invitationId)];
      for (const id of workflowIds) {
        const history = await raw.workflow.getHandle(id).fetchHistory();
        histories.push(...payloadsIn(history, id));
        markerData.push(...localActivityMarkerData(history));
      }
    } finally {
      await raw.connection.close();
    }
  });
  afterAll(() => h?.stop());

  const codecCall = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${h.baseUrl}/codec/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const asAdmin = (path: string, body: unknown) => codecCall(path, body, { cookie: admin.cookie, origin: UI_ORIGIN });

  it('Temporal stores every workflow input, result and activity payload encrypted', () => {
    expect(histories.length).toBeGreaterThan(5);
    const plain = histories.filter(({ payload }) => utf8(b64(payload.metadata?.encoding)) !== ENCRYPTED_ENCODING);
    expect(plain.map((p) => p.path)).toEqual([]);
    const keyIds = new Set(histories.map(({ payload }) => utf8(b64(payload.metadata?.[KEY_ID_METADATA]))));
    expect([...keyIds]).toEqual(['test2']); // the first of TEST_CODEC_KEYS encrypts
    // The loop's and the invitation's steps run as local activities: core's own plain marker data
    // holds only its bookkeeping, nothing the workflow or an activity passed.
    expect(markerData.length).toBeGreaterThan(2);
    for (const data of markerData)
      expect(Object.keys(data).filter((key) => !LOCAL_ACTIVITY_BOOKKEEPING.includes(key))).toEqual([]);
  });

  it('the codec endpoint decodes them for a signed-in admin, and the ciphertext holds none of the plaintext', async () => {
    const encrypted = histories.map(({ payload }) => toJson(payload));
    const res = await asAdmin('decode', { payloads: encrypted });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    expect(payloads).toHaveLength(encrypted.length);
    const texts = payloads.filter((p) => p.metadata.encoding && utf8(p.metadata.encoding) === 'json/plain');
    expect(texts.length).toBeGreaterThan(5);
    for (const [index, decoded] of payloads.entries()) {
      expect(utf8(decoded.metadata.encoding!)).not.toBe(ENCRYPTED_ENCODING);
      const plaintext = utf8(decoded.data);
      if (plaintext.length >= 8) expect(utf8(encrypted[index]!.data)).not.toContain(plaintext);
    }
    // The workflow's input decodes to the JSON the workflow was started with.
    expect(() => JSON.parse(utf8(texts[0]!.data))).not.toThrow();
  });

  it('a failure keeps its message and stack trace encrypted: Temporal stores neither, a client with the codec and the endpoint read them', async () => {
    // An invitation whose customer and event are not recorded: its first activity fails for good,
    // naming the invitation, and so does the workflow. The marker is only in the workflow's
    // (encrypted) input and in those failure messages, not in the workflow ID.
    const marker = uid('failure-marker');
    const input: SurveyInvitationInput = {
      invitationId: marker,
      programId: uid('no-program'),
      customerId: uid('no-customer'),
      eventId: uid('no-event'),
      sendAt: 0,
      reminders: [],
      expiresAfter: '1h',
      editGrace: '1m',
    };
    const client = await connectTemporalClient({ ...h.config.temporal, address: h.temporalAddress });
    const raw = await connectTemporalClient({ address: h.temporalAddress, namespace: h.config.temporal.namespace });
    try {
      const handle = await client.workflow.start('surveyInvitationWorkflow', {
        workflowId: invitationWorkflowId(uid('failing')),
        taskQueue: h.taskQueue,
        args: [input],
      });
      const failed = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failed).toBeInstanceOf(WorkflowFailedError);
      const messages: string[] = [];
      for (let err = failed as Error | undefined; err; err = err.cause as Error | undefined) messages.push(err.message);
      expect(messages.join(' | ')).toContain(`invitation ${marker} lost its customer or event`);

      const history = await raw.workflow.getHandle(handle.workflowId).fetchHistory();
      const failures = failuresIn(history);
      expect(failures.length).toBeGreaterThanOrEqual(2); // the activity's and the workflow's, with causes
      expect(asText(history)).not.toContain(marker);
      for (const failure of failures) {
        expect(failure.message).toBe('Encoded failure');
        expect(failure.stackTrace ?? '').toBe('');
        expect(utf8(b64((failure.encodedAttributes as Payload).metadata?.encoding))).toBe(ENCRYPTED_ENCODING);
      }

      // The Web UI reads them through the codec endpoint (a local activity's failure is in its marker).
      const activityFailure = history.events
        ?.map((e) => e.activityTaskFailedEventAttributes?.failure ?? e.markerRecordedEventAttributes?.failure)
        .find((failure) => failure);
      const res = await asAdmin('decode', { payloads: [toJson(activityFailure!.encodedAttributes!)] });
      const [decoded] = ((await res.json()) as { payloads: JsonPayload[] }).payloads;
      const attributes = JSON.parse(utf8(decoded!.data)) as { message: string; stack_trace: string };
      expect(attributes.message).toBe(`invitation ${marker} lost its customer or event`);
      expect(attributes.stack_trace).toContain('createInvitation');
    } finally {
      await Promise.all([client.connection.close(), raw.connection.close()]);
    }
  });

  it('encode and decode round-trip, and plaintext payloads pass through decode unchanged', async () => {
    const plain: JsonPayload = {
      metadata: { encoding: b64(Buffer.from('json/plain')) },
      data: b64(Buffer.from('{"hello":"codec"}')),
    };
    const encoded = (await (await asAdmin('encode', { payloads: [plain] })).json()) as { payloads: JsonPayload[] };
    expect(utf8(encoded.payloads[0]!.metadata.encoding!)).toBe(ENCRYPTED_ENCODING);
    const decoded = (await (await asAdmin('decode', encoded)).json()) as { payloads: JsonPayload[] };
    expect(decoded.payloads).toEqual([plain]);
    const passed = (await (await asAdmin('decode', { payloads: [plain] })).json()) as { payloads: JsonPayload[] };
    expect(passed.payloads).toEqual([plain]);
    // Protobuf JSON leaves out empty fields: a bare payload is accepted too.
    const bare = (await (await asAdmin('encode', { payloads: [{}] })).json()) as { payloads: JsonPayload[] };
    const back = (await (await asAdmin('decode', bare)).json()) as { payloads: JsonPayload[] };
    expect(back.payloads).toEqual([{ metadata: {}, data: '' }]);
  });

  it('refuses anyone but a signed-in admin: nobody, another role, an API key', async () => {
    const body = { payloads: [toJson(histories[0]!.payload)] };
    const anonymous = await codecCall('decode', body, { origin: UI_ORIGIN });
    expect(anonymous.status).toBe(401);
    expect(JSON.stringify(await anonymous.json())).not.toContain(body.payloads[0]!.data.slice(0, 16));
    const viewer = await createUser(h.db, 'viewer');
    const asViewer = await signIn(h.baseUrl, viewer.email, viewer.password);
    expect((await codecCall('decode', body, { cookie: asViewer.cookie })).status).toBe(403);
    expect((await codecCall('encode', body, { cookie: asViewer.cookie })).status).toBe(403);
    expect((await codecCall('decode', body, { authorization: `Bearer ${h.apiKey}` })).status).toBe(401);
  });

  it('the Temporal CLI shows a history decoded through /codec/cli, and still encrypted without it', async () => {
    // Asynchronously: the codec endpoint it calls is served by this very process.
    const show = async (...extra: string[]) =>
      (
        await promisify(execFile)(
          temporalCliPath(),
          ['workflow', 'show', '-w', workflowIds[0]!, '--address', h.temporalAddress, '-o', 'json', ...extra],
          { timeout: 30_000 },
        )
      ).stdout;
    const auth = ['--codec-endpoint', `${h.baseUrl}/codec/cli`, '--codec-auth', `Bearer ${h.apiKey}`];
    const decoded = await show(...auth);
    expect(decoded).toContain(Buffer.from('json/plain').toString('base64'));
    expect(decoded).not.toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64'));
    expect(await show()).toContain(Buffer.from(ENCRYPTED_ENCODING).toString('base64'));
  });

  it('the CLI paths take an admin API key instead, and nothing else', async () => {
    const body = { payloads: [toJson(histories[0]!.payload)] };
    const withKey = await codecCall('cli/decode', body, { authorization: `Bearer ${h.apiKey}` });
    expect(withKey.status).toBe(200);
    const [decoded] = ((await withKey.json()) as { payloads: JsonPayload[] }).payloads;
    expect(utf8(decoded!.metadata.encoding!)).not.toBe(ENCRYPTED_ENCODING);
    const readKey = `read-${uid('k')}`;
    await ensureApiKey(h.db, readKey, 'codec test', ['read']);
    expect((await codecCall('cli/decode', body, { authorization: `Bearer ${readKey}` })).status).toBe(403);
    expect((await codecCall('cli/decode', body, { cookie: admin.cookie })).status).toBe(401);
    expect((await codecCall('cli/encode', body)).status).toBe(401);
  });

  it('bad input is a 400 that says what is wrong; an unknown key ID too', async () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /not valid JSON/],
      [{ payloads: 'x' }, /payloads/],
      [{ payloads: [{ metadata: { encoding: '***' }, data: '' }] }, /payloads\.0\.metadata\.encoding: base64/],
      [{ payloads: Array.from({ length: 1001 }, () => ({ metadata: {} })) }, /payloads/],
      [
        {
          payloads: [
            {
              metadata: {
                encoding: b64(Buffer.from(ENCRYPTED_ENCODING)),
                [KEY_ID_METADATA]: b64(Buffer.from('retired')),
              },
              data: b64(Buffer.alloc(40)),
            },
          ],
        },
        /key ID "retired"/,
      ],
    ];
    for (const [body, message] of cases) {
      const res = await asAdmin('decode', body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    const huge = { payloads: [{ metadata: {}, data: 'A'.repeat(9 * 1024 * 1024) }] };
    expect((await asAdmin('decode', huge)).status).toBe(413);
  });

  it('answers the CORS preflight for the configured Web UI origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${h.baseUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace',
        },
      });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    const other = await preflight(`http://evil-${uid('o')}.test`);
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
