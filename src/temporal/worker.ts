import path from 'node:path';
import {
  DefaultLogger,
  type Logger,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
  bundleWorkflowCode,
} from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../../activities';
import { fanOutTaskQueue } from '../../workflows/definitions';
import { sourceFile } from '../app-root';
import { type CodecKey, FAILURE_CONVERTER_PATH, codecDataConverter } from './codec';
import type { WorkerHealth } from './worker-health';

/** The workflows' entry module (TypeScript under tsx, JavaScript once compiled); Temporal's bundler bundles it. */
export const WORKFLOWS_PATH = sourceFile(path.resolve(__dirname, '..', '..', 'workflows'), 'index');

/**
 * The workflow bundle, with the failure converter every process uses: failures the workflows raise
 * (their own, an update's) are converted inside the sandbox, so the converter is part of the bundle.
 */
export function bundleCxWorkflows(logger: Logger = new DefaultLogger('WARN')) {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger });
}

export interface CxWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** A pre-built bundle (WORKFLOW_BUNDLE; tests build it once); otherwise the workflows are bundled once at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Workflows kept in memory between their tasks (WORKER_MAX_CACHED_WORKFLOWS). */
  maxCachedWorkflows: number;
  /**
   * TEMPORAL_CODEC_KEYS. The codec runs in the worker's Node side, outside the workflow sandbox; a
   * pre-built bundle must come from `bundleCxWorkflows` (it holds the failure converter).
   */
  codecKeys?: readonly CodecKey[];
  /** WORKER_HEALTH_PORT's report: it follows these workers and the tasks they finish. */
  health?: WorkerHealth;
}

/** Campaign and wave workflows are few and mostly wait: a small cache keeps the fan-out worker lean. */
const FAN_OUT_CACHED_WORKFLOWS = 50;

/**
 * The workers of one process: the customer loops' workflows and activities on the task queue, and
 * the campaign and wave workflows with the same activities on the fan-out queue, so that the
 * fan-out keeps its pace while the customer loops it starts fill the main queue.
 */
export async function createWorkers(options: CxWorkerOptions): Promise<Worker[]> {
  const workflowBundle = options.workflowBundle ?? { code: (await bundleCxWorkflows()).code };
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    activities: createActivities(options.deps),
    workflowBundle,
    dataConverter: codecDataConverter(options.codecKeys),
    // On SIGTERM the worker stops polling and lets running activities finish (each is idempotent,
    // so one cut off later is simply retried elsewhere); below compose's 30 s stop grace period.
    shutdownGraceTime: '20s' as const,
    ...(options.health ? { interceptors: { activity: [options.health.activityInterceptor] } } : {}),
  };
  const workers = await Promise.all([
    Worker.create({ ...common, taskQueue: options.taskQueue, maxCachedWorkflows: options.maxCachedWorkflows }),
    Worker.create({
      ...common,
      taskQueue: fanOutTaskQueue(options.taskQueue),
      maxCachedWorkflows: FAN_OUT_CACHED_WORKFLOWS,
      maxConcurrentActivityTaskExecutions: 10,
    }),
  ]);
  options.health?.watch(workers);
  return workers;
}

/**
 * The SDK's own logs (bundling, state changes, native core retries); call before any worker
 * starts. Its info level narrates every poll, so below debug it logs warnings and errors only.
 */
export function installWorkerLogging(
  level: 'debug' | 'info' | 'warn' | 'error' | 'silent',
  metricsPort?: number,
): void {
  const upper = level === 'debug' ? 'DEBUG' : level === 'error' || level === 'silent' ? 'ERROR' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(upper),
    telemetryOptions: {
      logging: { filter: { core: upper, other: upper }, forward: {} },
      // The SDK's own Prometheus exporter: workflow and activity task latencies, poll and slot
      // metrics, plus the counters our activities record (emails sent and failed).
      ...(metricsPort
        ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${metricsPort}`, countersTotalSuffix: true } } }
        : {}),
    },
  });
}
