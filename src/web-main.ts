/** Production web tier: configured only by the environment, no embedded services. */
import { applyBootstrap } from './bootstrap';
import { loadConfig } from './config';
import { requireProductionSecrets } from './secrets';
import { startWeb } from './runtime';
import { failStartup, requireServices } from './services';

async function main() {
  const config = loadConfig();
  requireProductionSecrets(config, 'web');
  const services = requireServices(config, ['TEMPORAL_ADDRESS', 'MONGODB_URI']);
  const log = (msg: string) => console.log(`[cxloop] ${msg}`);
  const web = await startWeb(config, services, { port: config.port, publicBaseUrl: config.publicBaseUrl });
  await applyBootstrap(web.database.db, config.bootstrap);
  log(`web listening on ${web.url}`);
  const stop = () => void web.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: Error) => failStartup('cxloop web failed', err));
