/** `npm run check:kubernetes`: renders and validates the Kubernetes manifests without a cluster (see src/deploy/kubernetes-check.ts). */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { referenceProblems, renderKustomization, schemaProblems } from '../src/deploy/kubernetes-check';

async function main() {
  const base = 'deploy/kubernetes/base';
  const overlays = readdirSync('deploy/kubernetes/overlays').map((name) =>
    path.join('deploy/kubernetes/overlays', name),
  );
  let failed = false;
  for (const dir of [base, ...overlays]) {
    const { objects, problems } = renderKustomization(dir);
    // The base leaves the Secret to its overlays; each overlay must be complete.
    problems.push(...(await schemaProblems(objects)), ...(dir === base ? [] : referenceProblems(objects)));
    if (problems.length) failed = true;
    console.log(
      problems.length
        ? `${dir}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`
        : `${dir}: ${objects.length} objects valid (${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')})`,
    );
  }
  if (failed) process.exit(1);
}

void main();
