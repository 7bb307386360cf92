/** Production worker: configured only by the environment, no embedded services. */
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig } from './config';
import { requireProductionSecrets } from './secrets';
import { startWorker } from './runtime';
import { installWorkerLogging } from './temporal/worker';
import { DEFAULT_WORKER_HEALTH_PORT, serveWorkerHealth } from './temporal/worker-health';
import { failStartup, requireServices } from './services';

async function main() {
  const config = loadConfig();
  requireProductionSecrets(config, 'worker');
  installWorkerLogging(config.logLevel, config.metrics.workerPort);
  const services = requireServices(config, ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'SMTP_URL']);
  if (!config.publicBaseUrl) throw new ConfigError('PUBLIC_BASE_URL is required: survey links in emails point to it');
  if (config.temporal.workflowBundle && !existsSync(config.temporal.workflowBundle))
    throw new ConfigError(
      `WORKFLOW_BUNDLE: no file at ${config.temporal.workflowBundle} (build it: npm run build:workflows)`,
    );
  // Up before the worker connects: a slow start reads as alive, not ready.
  const health = await serveWorkerHealth(config.workerHealthPort ?? DEFAULT_WORKER_HEALTH_PORT);
  console.log(`[cxloop] worker health on port ${health.port} (/healthz, /readyz)`);
  const worker = await startWorker(config, services, {
    health: health.health,
    publicBaseUrl: config.publicBaseUrl,
    // Built ahead of time (`npm run build:workflows`), as Temporal advises for production: no
    // bundling at every start.
    ...(config.temporal.workflowBundle ? { workflowBundle: { codePath: config.temporal.workflowBundle } } : {}),
  });
  console.log(`[cxloop] worker polling task queue ${config.temporal.taskQueue} on ${services.temporalAddress}`);
  const stop = () => void worker.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await worker.done;
  await health.close();
}

main().catch((err: Error) => failStartup('cxloop worker failed', err));
