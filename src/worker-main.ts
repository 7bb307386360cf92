/** Production worker: configured only by the environment, no embedded services. */
import { ConfigError, loadConfig } from './config';
import { requireProductionSecrets } from './secrets';
import { startWorker } from './runtime';
import { installWorkerLogging } from './temporal/worker';
import { failStartup, requireServices } from './services';

async function main() {
  const config = loadConfig();
  requireProductionSecrets(config, 'worker');
  installWorkerLogging(config.logLevel, config.metrics.workerPort);
  const services = requireServices(config, ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'SMTP_URL']);
  if (!config.publicBaseUrl) throw new ConfigError('PUBLIC_BASE_URL is required: survey links in emails point to it');
  const worker = await startWorker(config, services, { publicBaseUrl: config.publicBaseUrl });
  console.log(`[cxloop] worker polling task queue ${config.temporal.taskQueue} on ${services.temporalAddress}`);
  const stop = () => void worker.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await worker.done;
}

main().catch((err: Error) => failStartup('cxloop worker failed', err));
