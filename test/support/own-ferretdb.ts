import { inject } from 'vitest';
import { type EmbeddedStack, startEmbeddedStack } from '../../src/stack/embedded';

/** A FerretDB of the test's own on a fixed port (to stop and start again); Temporal and SMTP are the run's shared ones. */
export function startOwnFerretDB(options: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<EmbeddedStack> {
  const shared = inject('stack');
  return startEmbeddedStack({
    dataDir: options.dataDir,
    mode: 'test',
    mongoDbName: shared.dbName,
    temporalAddress: shared.temporalAddress,
    smtpUrl: shared.smtpUrl,
    mongoPort: options.port,
    log: options.log,
  });
}
