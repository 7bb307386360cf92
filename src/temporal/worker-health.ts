import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActivityInterceptorsFactory, State, Worker } from '@temporalio/worker';

/** Where `npm run worker` serves its health when WORKER_HEALTH_PORT is unset (the web's PORT is 3000). */
export const DEFAULT_WORKER_HEALTH_PORT = 3001;

/** The worker process's state: `STARTING` until its workers exist, then the worst of theirs. */
export type WorkerHealthState = 'STARTING' | State;

/** What `/healthz` and `/readyz` answer: operational facts only, no IDs, payloads or addresses. */
export interface WorkerHealthReport {
  state: WorkerHealthState;
  /** Per task queue: the worker runs and both its workflow and activity pollers poll. */
  polling: Record<string, boolean>;
  /** When this process last finished a workflow task or completed an activity; null before the first. */
  lastTaskAt: string | null;
  /** Seconds since the process started serving health. */
  uptime: number;
}

/** Worst first: a process with one failed worker is failed, one still draining is draining. */
const WORST_FIRST: readonly State[] = [
  'FAILED',
  'STOPPED',
  'DRAINED',
  'DRAINING',
  'STOPPING',
  'INITIALIZED',
  'RUNNING',
];

/**
 * The health of one worker process, read from the SDK's own worker status (`Worker.getStatus()`:
 * run state and poller states) and from the tasks it finishes: workflow activations through the
 * worker's in-flight count, activities through an interceptor that sees them succeed.
 */
export class WorkerHealth {
  private readonly startedAt = Date.now();
  private workers: readonly Worker[] = [];
  private lastTaskAt: number | undefined;

  /** Give every worker of the process this interceptor (`interceptors.activity`). */
  readonly activityInterceptor: ActivityInterceptorsFactory = () => ({
    inbound: {
      execute: async (input, next) => {
        const result = await next(input);
        this.taskFinished();
        return result;
      },
    },
  });

  /** From now on the report follows these workers. */
  watch(workers: readonly Worker[]): void {
    this.workers = workers;
    for (const worker of workers) {
      // The count drops when an activation's completion is handed back to the server.
      let inFlight = 0;
      worker.numInFlightActivations$.subscribe((count) => {
        if (count < inFlight) this.taskFinished();
        inFlight = count;
      });
    }
  }

  report(): WorkerHealthReport {
    const statuses = this.workers.map((worker) => ({ taskQueue: worker.options.taskQueue, ...worker.getStatus() }));
    const states = new Set(statuses.map((s) => s.runState));
    return {
      state: statuses.length ? (WORST_FIRST.find((state) => states.has(state)) ?? 'RUNNING') : 'STARTING',
      polling: Object.fromEntries(
        statuses.map((s) => [
          s.taskQueue,
          s.runState === 'RUNNING' && s.workflowPollerState === 'POLLING' && s.activityPollerState === 'POLLING',
        ]),
      ),
      lastTaskAt: this.lastTaskAt === undefined ? null : new Date(this.lastTaskAt).toISOString(),
      uptime: Math.round((Date.now() - this.startedAt) / 1000),
    };
  }

  private taskFinished(): void {
    this.lastTaskAt = Date.now();
  }
}

/** Alive while the process runs and its workers have neither failed nor stopped (starting and draining count). */
export const isLive = (report: WorkerHealthReport) => report.state !== 'FAILED' && report.state !== 'STOPPED';

/** Ready while every worker runs and polls: a probe takes the process out of rotation as it drains. */
export const isReady = (report: WorkerHealthReport) =>
  report.state === 'RUNNING' && Object.values(report.polling).every(Boolean);

export interface WorkerHealthServer {
  health: WorkerHealth;
  /** The port it listens on (WORKER_HEALTH_PORT, or the one the system picked for 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * WORKER_HEALTH_PORT: `/healthz` (liveness) and `/readyz` (readiness) for probes, on their own
 * port and without a token, apart from the metrics. Started before the worker connects, so a slow
 * start reads as alive but not ready.
 */
export async function serveWorkerHealth(port: number): Promise<WorkerHealthServer> {
  const health = new WorkerHealth();
  const server = createServer((req, res) => answer(health, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error) =>
      reject(new Error(`cannot listen on WORKER_HEALTH_PORT ${port} (${err.message}); set another port`)),
    );
    server.listen(port, () => resolve());
  });
  return {
    health,
    port: (server.address() as AddressInfo).port,
    close: () => closeServer(server),
  };
}

function answer(health: WorkerHealth, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0];
  const check = path === '/healthz' ? isLive : path === '/readyz' ? isReady : undefined;
  if (!check || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    return;
  }
  const report = health.report();
  res
    .writeHead(check(report) ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(req.method === 'HEAD' ? undefined : JSON.stringify(report));
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
