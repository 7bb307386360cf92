import {
  Client,
  Connection,
  type ConnectionOptions,
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type TLSConfig,
} from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { type CodecKey, codecDataConverter } from './codec';
import { tlsHandshakeProblem } from './tls';

export interface TemporalSettings {
  address: string;
  namespace: string;
  apiKey?: string;
  /** TLS options (mTLS, private CA, server name) from the config; true: TLS with the system's CAs. */
  tls?: boolean | TLSConfig;
  /** TEMPORAL_CODEC_KEYS: payloads are encrypted before they leave the process (the first key encrypts). */
  codecKeys?: readonly CodecKey[];
}

/** Connects now: fails when Temporal is unreachable (the worker and the tools, which need it to start). */
export async function connectTemporalClient(settings: TemporalSettings): Promise<Client> {
  return clientOver(await explainingTls(settings, () => Connection.connect(connectionOptions(settings))), settings);
}

/**
 * Connects on the first call, so the web starts, and serves what needs no Temporal, while Temporal
 * is unreachable. A channel that has failed waits at most 5 s before it tries again (gRPC's default
 * grows to 2 minutes), so the web picks Temporal up again soon after a short outage.
 */
export function lazyTemporalClient(settings: TemporalSettings): Client {
  return clientOver(
    Connection.lazy({ ...connectionOptions(settings), channelArgs: { 'grpc.max_reconnect_backoff_ms': 5_000 } }),
    settings,
  );
}

function connectionOptions(settings: TemporalSettings): ConnectionOptions {
  return { address: settings.address, tls: settings.tls || undefined, apiKey: settings.apiKey };
}

/** Every payload through the codec, whichever way the connection was made. */
function clientOver(connection: Connection, settings: TemporalSettings): Client {
  return new Client({
    connection,
    namespace: settings.namespace,
    dataConverter: codecDataConverter(settings.codecKeys),
  });
}

export function connectWorkerConnection(settings: TemporalSettings): Promise<NativeConnection> {
  return explainingTls(settings, () =>
    NativeConnection.connect({
      address: settings.address,
      tls: settings.tls || undefined,
      apiKey: settings.apiKey,
    }),
  );
}

/** A TLS connection that fails says why: the certificate refused, the CA or the name that does not match. */
async function explainingTls<T>(settings: TemporalSettings, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    if (!settings.tls) throw err;
    const problem = await tlsHandshakeProblem(settings.address, settings.tls === true ? {} : settings.tls);
    throw new Error(
      `cannot connect to Temporal at ${settings.address} over TLS: ${problem ?? (err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Keyword search attributes the case workflows set, so cases can be found in the Temporal Web UI. */
const CASE_SEARCH_ATTRIBUTES = ['CustomerId', 'ProgramId', 'CaseStatus'];
const KEYWORD = 2; // temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD

/**
 * Registers the custom search attributes that are missing. Where the server refuses (Temporal
 * Cloud registers them in its console), the error says what to do.
 */
export async function ensureSearchAttributes(client: Client): Promise<void> {
  const { namespace } = client.options;
  const missing = async () => {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    return CASE_SEARCH_ATTRIBUTES.filter((name) => !customAttributes?.[name]);
  };
  const wanted = await missing().catch((err: Error) => {
    // Temporal Cloud answers operator calls only through its own tools: check there instead.
    console.warn(
      `[cxloop] cannot list the search attributes of namespace ${namespace} (${err.message}); make sure ${CASE_SEARCH_ATTRIBUTES.join(', ')} exist as Keyword attributes, or cases cannot start`,
    );
    return [];
  });
  if (wanted.length === 0) return;
  try {
    await client.connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(wanted.map((name) => [name, KEYWORD])),
    });
  } catch (err) {
    // Another process may have registered them meanwhile.
    if ((await missing()).length === 0) return;
    throw new Error(
      `cannot register the search attributes ${wanted.join(', ')} (Keyword) in namespace ${namespace}: ${(err as Error).message}; register them with \`temporal operator search-attribute create\` or in Temporal Cloud`,
    );
  }
}

export const sweepScheduleId = (taskQueue: string) => `sweep:${taskQueue}`;

/**
 * The Temporal Schedule that starts `sweepWorkflow` every `everyMs` (REPLY_SWEEP_INTERVAL) on the
 * task queue, skipping a run while the previous one lasts. Created by the first worker to start,
 * its interval kept up to date by the next ones.
 */
export async function ensureSweepSchedule(client: Client, taskQueue: string, everyMs: number): Promise<void> {
  const scheduleId = sweepScheduleId(taskQueue);
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: everyMs }] },
      action: { type: 'startWorkflow', workflowType: 'sweepWorkflow', taskQueue, workflowId: scheduleId },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec: { intervals: [{ every: everyMs }] },
    }));
  }
}
