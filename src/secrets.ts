import { type Config, ConfigError } from './config';

/** Values that appeared in examples and earlier compose files: never acceptable in production. */
export const KNOWN_DEMO_SECRETS = new Set([
  'demo-password-change-me',
  'demo-api-key-change-me',
  'demo-session-secret-change-me',
  'demo-survey-token-secret-change-me',
  'demo-customer-key-secret-change-me',
  'demo-metrics-token-change-me',
  'correct horse battery',
  'bench-api-key-0123456789',
]);

const looksLikePlaceholder = (value: string) => KNOWN_DEMO_SECRETS.has(value) || /change.?me|replace.?me/i.test(value);

interface SecretRule {
  name: string;
  value: string | undefined;
  required: boolean;
  minLength: number;
}

function problemsWith(rules: SecretRule[]): string[] {
  return rules.flatMap(({ name, value, required, minLength }) => {
    if (value === undefined) return required ? [`${name} must be set (generate one: openssl rand -base64 32)`] : [];
    if (looksLikePlaceholder(value)) return [`${name} is a demo placeholder; set a real secret`];
    if (value.length < minLength) return [`${name} must be at least ${minLength} characters`];
    return [];
  });
}

/**
 * The production commands refuse to start without real secrets, so a deployment can never run on
 * the values from an example file. (`npm start` generates its own and keeps them in MongoDB.)
 */
export function requireProductionSecrets(config: Config, command: 'web' | 'worker'): void {
  // Web and worker both name customers' loops by the keyed hash of their IDs.
  const customerKey: SecretRule = {
    name: 'CUSTOMER_KEY_SECRET',
    value: config.customerKeySecret,
    required: true,
    minLength: 32,
  };
  const rules: SecretRule[] =
    command === 'web'
      ? [
          customerKey,
          { name: 'SESSION_SECRET', value: config.sessionSecret, required: true, minLength: 32 },
          {
            name: 'CXLOOP_ADMIN_PASSWORD',
            value: config.bootstrap.adminPassword,
            required: config.bootstrap.adminEmail !== undefined,
            minLength: 12,
          },
          { name: 'CXLOOP_API_KEY', value: config.bootstrap.apiKey, required: false, minLength: 24 },
          { name: 'METRICS_TOKEN', value: config.metrics.token, required: false, minLength: 24 },
        ]
      : [customerKey, { name: 'SURVEY_TOKEN_SECRET', value: config.surveyTokenSecret, required: true, minLength: 32 }];
  const problems = [...problemsWith(rules), ...codecKeyProblems(config)];
  if (problems.length)
    throw new ConfigError(`Refusing to start the ${command} with unsafe secrets:\n  ${problems.join('\n  ')}`);
}

/**
 * Both commands talk to Temporal and must agree on its encryption: without keys the web would start
 * workflows in plaintext and could not read what the worker encrypted. No opt-out: defence in depth
 * only counts when it cannot be forgotten.
 */
function codecKeyProblems(config: Config): string[] {
  if (config.temporal.codecKeys) return [];
  return [
    'TEMPORAL_CODEC_KEYS must be set to encrypt Temporal payloads, the same on web and worker (generate one: echo "k1:$(openssl rand -base64 32)")',
  ];
}
