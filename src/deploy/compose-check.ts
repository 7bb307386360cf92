import { load } from 'js-yaml';
import { ZEnv } from '../config';

/** The variables the compose file may leave out, and why. */
const NOT_IN_COMPOSE: Record<string, string> = {
  DATA_DIR: 'only the embedded stack (npm start) keeps files',
  PORT: 'the image listens on its default, 3000',
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'read only to refuse it: the SDK cannot skip host verification',
};

/** Secrets web and worker must get from .env, never from a default in the file. */
const REQUIRED_SECRETS = ['SESSION_SECRET', 'SURVEY_TOKEN_SECRET', 'TEMPORAL_CODEC_KEYS', 'CUSTOMER_KEY_SECRET'];

interface Service {
  image?: string;
  build?: unknown;
  command?: unknown;
  entrypoint?: unknown;
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
}

const text = (value: unknown) => (Array.isArray(value) ? value.join(' ') : String(value ?? ''));
const required = (value: unknown) => /\$\{\w+:\?/.test(text(value));
const imageName = (service: Service) => service.image?.replace(/[:@].*$/, '');
const imageTag = (service: Service) => /:([^@]+)/.exec(service.image ?? '')?.[1];

/**
 * What is wrong with a compose file for cxloop, checked without a Docker engine: the services it
 * needs; images pinned to a release (or digest); every variable the app reads passed to web and
 * worker; secrets required from .env; Temporal's server image after its schema job, never the
 * deprecated auto-setup image, and a namespace with a retention; MongoDB as a replica set with
 * authentication; the migration job that web and worker wait for; a health check on every
 * long-running service; start order waiting for health or completion. An empty list means it passes.
 */
export function composeProblems(source: string, options: { dockerfileHasHealthcheck: boolean }): string[] {
  const doc = load(source) as { services?: Record<string, Service> } | undefined;
  const services = doc?.services ?? {};
  const problems: string[] = [];
  for (const name of ['web', 'worker', 'migrate', 'mongodb', 'temporal', 'mailpit'])
    if (!services[name]) problems.push(`service ${name} is missing`);

  // One-shot jobs: another service waits for them to complete, or they are never restarted.
  const waitedToComplete = new Set(
    Object.values(services).flatMap((s) =>
      Array.isArray(s.depends_on) || !s.depends_on
        ? []
        : Object.entries(s.depends_on)
            .filter(([, d]) => d.condition === 'service_completed_successfully')
            .map(([name]) => name),
    ),
  );
  const oneShot = (name: string) => waitedToComplete.has(name) || services[name]?.restart === 'no';

  for (const [name, service] of Object.entries(services)) {
    problems.push(...imageProblems(name, service));
    // The image's HEALTHCHECK probes the web port: it covers the web's command only.
    const runsWeb = service.command === undefined || /web-main|run web/.test(text(service.command));
    const healthy =
      service.healthcheck?.test !== undefined ||
      (service.build !== undefined && runsWeb && options.dockerfileHasHealthcheck && !service.healthcheck?.disable);
    if (!healthy && !oneShot(name)) problems.push(`${name}: no health check (others cannot wait for it)`);
    problems.push(...startOrderProblems(name, service, services, oneShot));
  }
  problems.push(...temporalProblems(services), ...mongoProblems(services), ...migrateProblems(services));

  for (const name of ['web', 'worker']) {
    const env = services[name]?.environment ?? {};
    for (const variable of Object.keys(ZEnv.shape))
      if (!(variable in env) && !(variable in NOT_IN_COMPOSE))
        problems.push(`${name}: ${variable} (read by the app) is not passed through`);
    for (const secret of REQUIRED_SECRETS)
      if (!required(env[secret]))
        problems.push(`${name}: ${secret} must be required from .env (\${${secret}:?…}), never defaulted`);
  }
  return problems;
}

function imageProblems(name: string, service: Service): string[] {
  if (service.image === undefined) return service.build === undefined ? [`${name}: neither image nor build`] : [];
  const tag = imageTag(service);
  const digest = /@sha256:[0-9a-f]{64}$/.test(service.image);
  // A bare major version (mongo:7, postgres:16) moves to every new minor release.
  if (!digest && (!tag || !/\d+\.\d+/.test(tag)))
    return [`${name}: image ${service.image} is not pinned to a release (major.minor at least) or digest`];
  if (imageName(service) === 'temporalio/auto-setup')
    return [`${name}: temporalio/auto-setup is deprecated; run temporalio/server after a schema job`];
  return [];
}

function startOrderProblems(
  name: string,
  service: Service,
  services: Record<string, Service>,
  oneShot: (name: string) => boolean,
): string[] {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn))
    return dependsOn.length ? [`${name}: depends_on without conditions starts before its dependencies are ready`] : [];
  const problems: string[] = [];
  for (const [dependency, { condition }] of Object.entries(dependsOn)) {
    if (!services[dependency]) problems.push(`${name}: depends on ${dependency}, which is not a service`);
    const expected = oneShot(dependency) ? 'service_completed_successfully' : 'service_healthy';
    if (condition !== expected)
      problems.push(`${name}: depends on ${dependency} with condition ${condition ?? 'none'}, not ${expected}`);
  }
  return problems;
}

function dependsOnNames(service: Service | undefined): string[] {
  const dependsOn = service?.depends_on ?? {};
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

function temporalProblems(services: Record<string, Service>): string[] {
  const problems: string[] = [];
  const server = services.temporal;
  if (!server) return problems;
  if (imageName(server) !== 'temporalio/server')
    problems.push(`temporal: runs ${server.image ?? 'a build'}, not Temporal's server image temporalio/server`);
  const schemaJob = dependsOnNames(server).find((dependency) =>
    /temporal-sql-tool[\s\S]*update-schema/.test(
      text(services[dependency]?.entrypoint) + text(services[dependency]?.command),
    ),
  );
  if (!schemaJob) problems.push('temporal: starts before a schema job (temporal-sql-tool … update-schema) completed');
  else if (imageTag(services[schemaJob] ?? {}) !== imageTag(server))
    problems.push(`temporal: ${schemaJob} sets up the schema of ${services[schemaJob]?.image}, not of ${server.image}`);
  const namespaceJob = Object.values(services).find((s) =>
    /namespace create/.test(text(s.entrypoint) + text(s.command)),
  );
  if (!namespaceJob) problems.push('temporal: no job creates the namespace');
  else if (!/--retention/.test(text(namespaceJob.entrypoint) + text(namespaceJob.command)))
    problems.push('temporal: the namespace job sets no retention (--retention)');
  return problems;
}

function mongoProblems(services: Record<string, Service>): string[] {
  const problems: string[] = [];
  const mongo = services.mongodb;
  if (!mongo) return problems;
  const start = text(mongo.entrypoint) + text(mongo.command);
  if (!/--replSet\s/.test(start))
    problems.push('mongodb: not a replica set (--replSet): retryable and majority writes are never exercised');
  if (!/--keyFile\s/.test(start)) problems.push('mongodb: a replica set with authentication needs --keyFile');
  if (!required(mongo.environment?.MONGO_INITDB_ROOT_PASSWORD))
    problems.push(
      'mongodb: MONGO_INITDB_ROOT_PASSWORD must be required from .env (${…:?…}): no authentication otherwise',
    );
  if (!/rs\.initiate/.test(text(mongo.healthcheck?.test)))
    problems.push('mongodb: the health check must initiate the replica set (rs.initiate)');
  for (const name of ['web', 'worker', 'migrate']) {
    const uri = text(services[name]?.environment?.MONGODB_URI);
    if (!services[name]) continue;
    if (!/^mongodb(\+srv)?:\/\/[^/@]*\$\{\w+:\?[^}]*\}@/.test(uri))
      problems.push(`${name}: MONGODB_URI must carry credentials required from .env (user:\${…:?…}@)`);
    if (!/[?&]replicaSet=/.test(uri) || !/[?&]w=majority/.test(uri))
      problems.push(`${name}: MONGODB_URI must name the replica set (replicaSet=) and ask for w=majority`);
  }
  return problems;
}

function migrateProblems(services: Record<string, Service>): string[] {
  const problems: string[] = [];
  const migrate = services.migrate;
  if (!migrate) return problems;
  if (!/migrate-main|run migrate/.test(text(migrate.command)))
    problems.push('migrate: does not run the migrations (node dist/src/migrate-main.js or npm run migrate)');
  for (const name of ['web', 'worker']) {
    const dependsOn = services[name]?.depends_on;
    const condition = dependsOn && !Array.isArray(dependsOn) ? dependsOn.migrate?.condition : undefined;
    if (services[name] && condition !== 'service_completed_successfully')
      problems.push(`${name}: must start after migrate completed (condition: service_completed_successfully)`);
  }
  return problems;
}
