/** `npm run check:compose`: validates docker-compose.yml and the Dockerfile without a Docker engine (see composeProblems, dockerfileProblems). */
import { readFileSync } from 'node:fs';
import { composeProblems } from '../src/deploy/compose-check';
import { dockerfileProblems } from '../src/deploy/dockerfile-check';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const problems = [
  ...dockerfileProblems(dockerfile).map((problem) => `Dockerfile: ${problem}`),
  ...composeProblems(readFileSync('docker-compose.yml', 'utf8'), {
    dockerfileHasHealthcheck: /^HEALTHCHECK /m.test(dockerfile),
  }).map((problem) => `docker-compose.yml: ${problem}`),
];
if (problems.length) {
  console.error(`${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  'Dockerfile: pinned by digest, non-root, tini, node started directly. docker-compose.yml: services, pinned images, environment, secrets, Temporal schema job and namespace, MongoDB replica set with authentication, migration job, health checks and start order are in order',
);
