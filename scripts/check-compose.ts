/** `npm run check:compose`: validates docker-compose.yml without a Docker engine (see composeProblems). */
import { readFileSync } from 'node:fs';
import { composeProblems } from '../src/deploy/compose-check';

const problems = composeProblems(readFileSync('docker-compose.yml', 'utf8'), {
  dockerfileHasHealthcheck: /^HEALTHCHECK /m.test(readFileSync('Dockerfile', 'utf8')),
});
if (problems.length) {
  console.error(`docker-compose.yml: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(
  'docker-compose.yml: services, pinned images, environment, secrets, Temporal schema job and namespace, MongoDB replica set with authentication, migration job, health checks and start order are in order',
);
