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

/** Ends an entry point that could not start: configuration errors and others by their message, stacks only at LOG_LEVEL=debug. */
export function failStartup(what: string, err: Error): never {
  const detail = process.env.LOG_LEVEL === 'debug' ? (err.stack ?? err.message) : err.message;
  console.error(err instanceof ConfigError ? err.message : `${what}: ${detail}`);
  process.exit(1);
}
