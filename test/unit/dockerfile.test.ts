import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dockerfileProblems } from '../../src/deploy/dockerfile-check';

const dockerfile = readFileSync('Dockerfile', 'utf8');
const edit = (pattern: RegExp | string, replacement: string) => {
  const edited = dockerfile.replace(pattern, replacement);
  if (edited === dockerfile) throw new Error(`no match for ${String(pattern)}`);
  return edited;
};

describe('the Dockerfile, checked without a Docker engine', () => {
  it('pins its base by digest, runs as a non-root number under tini and starts the compiled web with node', () => {
    expect(dockerfileProblems(dockerfile)).toEqual([]);
  });

  it('when the base floats, the user is root by name, there is no init or npm starts the app, then each is named', () => {
    let broken = edit(/^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node:24-bookworm-slim');
    broken = broken.replace('USER 1000:1000', 'USER node');
    broken = broken.replace(/^ENTRYPOINT .*$/m, '');
    broken = broken.replace(/^CMD .*$/m, 'CMD ["npm", "run", "web"]');
    expect(dockerfileProblems(broken)).toEqual([
      'FROM ${NODE_IMAGE}: not pinned by tag and digest (image@sha256:…)',
      'FROM ${NODE_IMAGE}: not pinned by tag and digest (image@sha256:…)',
      'FROM ${NODE_IMAGE}: not pinned by tag and digest (image@sha256:…)',
      'USER node: the image must run as a non-root numeric user (Kubernetes runAsNonRoot checks the number)',
      'ENTRYPOINT: no init process (tini) as PID 1 to forward signals and reap zombies',
      'CMD ["npm", "run", "web"]: start node directly, not through npm or a shell',
    ]);
  });
});
