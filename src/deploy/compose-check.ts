import { load } from 'js-yaml';
import { ZEnv } from '../config';

/** The variables the compose file may leave out, and why. */
const NOT_IN_COMPOSE: Record<string, string> = {
  DATA_DIR: 'only the embedded stack (npm start) keeps files',
  PORT: 'the image listens on its default, 3000',
};

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: unknown; disable?: boolean };
}

/**
 * What is wrong with a compose file for cxloop, checked without a Docker engine: the services
 * it needs, images pinned to a tag, every variable the app reads passed to web and worker,
 * health checks, and start order waiting for health. An empty list means it passes.
 */
export function composeProblems(text: string, options: { dockerfileHasHealthcheck: boolean }): string[] {
  const doc = load(text) as { services?: Record<string, Service> } | undefined;
  const services = doc?.services ?? {};
  const problems: string[] = [];
  for (const name of ['web', 'worker', 'mongodb', 'temporal', 'mailpit'])
    if (!services[name]) problems.push(`service ${name} is missing`);
  for (const [name, service] of Object.entries(services)) {
    if (service.image !== undefined) {
      const tag = /^[^:@]+(?::([^@]+))?(@sha256:[0-9a-f]{64})?$/.exec(service.image);
      if (!tag || (!tag[1] && !tag[2]) || tag[1] === 'latest')
        problems.push(`${name}: image ${service.image} is not pinned to a version tag or digest`);
    } else if (service.build === undefined) problems.push(`${name}: neither image nor build`);
    const healthy =
      service.healthcheck?.test !== undefined ||
      (service.build !== undefined && options.dockerfileHasHealthcheck && !service.healthcheck?.disable);
    if (!healthy && name !== 'worker' && name !== 'temporal-ui')
      problems.push(`${name}: no health check (others cannot wait for it)`);
    const dependsOn = service.depends_on ?? {};
    if (Array.isArray(dependsOn)) {
      if (dependsOn.length)
        problems.push(`${name}: depends_on without conditions starts before its dependencies are ready`);
    } else {
      for (const [dependency, { condition }] of Object.entries(dependsOn)) {
        if (!services[dependency]) problems.push(`${name}: depends on ${dependency}, which is not a service`);
        if (condition !== 'service_healthy')
          problems.push(`${name}: depends on ${dependency} with condition ${condition ?? 'none'}, not service_healthy`);
      }
    }
  }
  for (const name of ['web', 'worker']) {
    const env = services[name]?.environment ?? {};
    for (const variable of Object.keys(ZEnv.shape))
      if (!(variable in env) && !(variable in NOT_IN_COMPOSE))
        problems.push(`${name}: ${variable} (read by the app) is not passed through`);
    for (const secret of ['SESSION_SECRET', 'SURVEY_TOKEN_SECRET', 'TEMPORAL_CODEC_KEYS', 'CUSTOMER_KEY_SECRET'])
      if (!/\$\{\w+:\?/.test(String(env[secret] ?? '')))
        problems.push(`${name}: ${secret} must be required from .env (\${${secret}:?…}), never defaulted`);
  }
  return problems;
}
