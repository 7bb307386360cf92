import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeProblems } from '../../src/deploy/compose-check';

const compose = readFileSync('docker-compose.yml', 'utf8');
const check = (text: string) => composeProblems(text, { dockerfileHasHealthcheck: true });
/** The compose file with `pattern` replaced, failing loudly when the pattern no longer matches. */
const edit = (text: string, pattern: RegExp | string, replacement: string) => {
  const edited = text.replace(pattern, replacement);
  if (edited === text) throw new Error(`no match for ${String(pattern)}`);
  return edited;
};

describe('docker-compose.yml, checked without a Docker engine', () => {
  it('has the services, pinned images, every variable the app reads, health checks and start order', () => {
    expect(/^HEALTHCHECK /m.test(readFileSync('Dockerfile', 'utf8'))).toBe(true);
    expect(check(compose)).toEqual([]);
  });

  it('when an image floats, a variable is dropped, a start waits for nothing or a secret has a default, then each is named', () => {
    let broken = edit(compose, 'image: mongo:8.0.17', 'image: mongo:8');
    broken = edit(broken, /^ {2}RATE_LIMIT_API: .*\n/m, '');
    broken = edit(
      broken,
      /(\n {2}web:[\s\S]*?depends_on:\n {6}mongodb:\n {8}condition: )service_healthy/,
      '$1service_started',
    );
    broken = edit(
      broken,
      /SESSION_SECRET: \$\{SESSION_SECRET:\?[^}]*\}/,
      'SESSION_SECRET: ${SESSION_SECRET:-changeme}',
    );
    expect(check(broken)).toEqual([
      'mongodb: image mongo:8 is not pinned to a release (major.minor at least) or digest',
      'web: depends on mongodb with condition service_started, not service_healthy',
      'web: RATE_LIMIT_API (read by the app) is not passed through',
      'web: SESSION_SECRET must be required from .env (${SESSION_SECRET:?…}), never defaulted',
      'worker: RATE_LIMIT_API (read by the app) is not passed through',
      'worker: SESSION_SECRET must be required from .env (${SESSION_SECRET:?…}), never defaulted',
    ]);
  });

  it('when Temporal runs the auto-setup image without its schema job or namespace retention, then each is named', () => {
    let broken = edit(compose, 'image: temporalio/server:1.32.1', 'image: temporalio/auto-setup:1.29.1');
    broken = edit(broken, /(\n {2}temporal:\n[\s\S]*?depends_on:\n {6})temporal-schema:/, '$1postgresql:');
    broken = edit(broken, /(\n {6}postgresql:\n {8}condition: )service_completed_successfully/, '$1service_healthy');
    broken = edit(
      broken,
      /namespace create --namespace "\$\$NAMESPACE" --retention "\$\$RETENTION"/,
      'namespace create',
    );
    broken = edit(broken, /namespace update --namespace "\$\$NAMESPACE" --retention "\$\$RETENTION"/, 'true');
    expect(check(broken)).toEqual([
      'temporal: temporalio/auto-setup is deprecated; run temporalio/server after a schema job',
      "temporal: runs temporalio/auto-setup:1.29.1, not Temporal's server image temporalio/server",
      'temporal: starts before a schema job (temporal-sql-tool … update-schema) completed',
      'temporal: the namespace job sets no retention (--retention)',
    ]);
  });

  it('when MongoDB is a standalone server without authentication, then each missing part is named', () => {
    let broken = edit(compose, ' --replSet rs0 --keyFile "$$keyfile"', '');
    broken = edit(broken, /MONGO_INITDB_ROOT_PASSWORD: \$\{[^}]*\}/, 'MONGO_INITDB_ROOT_PASSWORD: example');
    broken = edit(broken, /try \{ rs\.status\(\) \} catch \(e\) \{[^\n]*\n[^\n]*\n/, "db.adminCommand('ping')\n");
    broken = edit(broken, /MONGODB_URI: '[^']*'/, 'MONGODB_URI: mongodb://mongodb:27017');
    expect(check(broken)).toEqual([
      'mongodb: not a replica set (--replSet): retryable and majority writes are never exercised',
      'mongodb: a replica set with authentication needs --keyFile',
      'mongodb: MONGO_INITDB_ROOT_PASSWORD must be required from .env (${…:?…}): no authentication otherwise',
      'mongodb: the health check must initiate the replica set (rs.initiate)',
      ...['web', 'worker', 'migrate'].flatMap((name) => [
        `${name}: MONGODB_URI must carry credentials required from .env (user:\${…:?…}@)`,
        `${name}: MONGODB_URI must name the replica set (replicaSet=) and ask for w=majority`,
      ]),
    ]);
  });

  it('when the worker has no health check or web starts without waiting for the migration, then both are named', () => {
    let broken = edit(compose, /(\n {2}worker:[\s\S]*?)\n {4}healthcheck:\n(?: {6}.*\n| {8}.*\n)+/, '$1\n');
    broken = edit(
      broken,
      /(\n {2}web:[\s\S]*?depends_on:[\s\S]*?)\n {6}migrate:\n {8}condition: service_completed_successfully/,
      '$1',
    );
    expect(check(broken)).toEqual([
      'worker: no health check (others cannot wait for it)',
      'web: must start after migrate completed (condition: service_completed_successfully)',
    ]);
  });

  it('when a service the app needs is missing, then it is named', () => {
    expect(check('services:\n  web:\n    build: .\n')).toEqual(
      expect.arrayContaining(['service worker is missing', 'service mongodb is missing', 'service migrate is missing']),
    );
  });
});
