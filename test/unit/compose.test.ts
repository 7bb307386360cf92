import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeProblems } from '../../src/deploy/compose-check';

const compose = readFileSync('docker-compose.yml', 'utf8');
const check = (text: string) => composeProblems(text, { dockerfileHasHealthcheck: true });

describe('docker-compose.yml, checked without a Docker engine', () => {
  it('has the services, pinned images, every variable the app reads, health checks and start order', () => {
    expect(/^HEALTHCHECK /m.test(readFileSync('Dockerfile', 'utf8'))).toBe(true);
    expect(check(compose)).toEqual([]);
  });

  it('when an image floats, a variable is dropped, a start waits for nothing or a secret has a default, then each is named', () => {
    const broken = compose
      .replace('image: mongo:7', 'image: mongo:latest')
      .replace(/^ {2}RATE_LIMIT_API: .*\n/m, '')
      .replace(/(\n {2}web:[\s\S]*?depends_on:\n {6}mongodb:\n {8}condition: )service_healthy/, '$1service_started')
      .replace(/SESSION_SECRET: \$\{SESSION_SECRET:\?[^}]*\}/, 'SESSION_SECRET: ${SESSION_SECRET:-changeme}');
    expect(check(broken)).toEqual([
      'mongodb: image mongo:latest is not pinned to a version tag or digest',
      'web: depends on mongodb with condition service_started, not service_healthy',
      'web: RATE_LIMIT_API (read by the app) is not passed through',
      'web: SESSION_SECRET must be required from .env (${SESSION_SECRET:?…}), never defaulted',
      'worker: RATE_LIMIT_API (read by the app) is not passed through',
      'worker: SESSION_SECRET must be required from .env (${SESSION_SECRET:?…}), never defaulted',
    ]);
  });

  it('when a service the app needs is missing, then it is named', () => {
    expect(check('services:\n  web:\n    build: .\n')).toEqual(
      expect.arrayContaining(['service worker is missing', 'service mongodb is missing']),
    );
  });
});
