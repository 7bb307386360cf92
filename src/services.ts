import { type Config, ConfigError } from './config';
import type { ResolvedServices } from './runtime';

type ServiceVar = 'TEMPORAL_ADDRESS' | 'MONGODB_URI' | 'SMTP_URL';

/** Production entry points never start embedded services: each one they need must be configured. */
export function requireServices(config: Config, needed: ServiceVar[]): ResolvedServices {
  const values: Record<ServiceVar, string | undefined> = {
    TEMPORAL_ADDRESS: config.temporal.address,
    MONGODB_URI: config.mongo.uri,
    SMTP_URL: config.smtp.url,
  };
  const missing = needed.filter((name) => !values[name]);
  if (missing.length) {
    throw new ConfigError(
      `${missing.join(', ')} must be set for this command (use \`npm start\` for the embedded stack)`,
    );
  }
  return {
    temporalAddress: values.TEMPORAL_ADDRESS ?? '',
    mongoUri: values.MONGODB_URI ?? '',
    smtpUrl: values.SMTP_URL ?? '',
    embeddedMail: false,
  };
}
