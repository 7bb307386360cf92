import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type K8sObject,
  referenceProblems,
  renderKustomization,
  schemaProblems,
} from '../../src/deploy/kubernetes-check';

const BASE = 'deploy/kubernetes/base';
const OVERLAY = 'deploy/kubernetes/overlays/example';
/** One rendered object, its deep fields read whatever their shape. */
const find = (objects: K8sObject[], kind: string, name: string) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  objects.find((o) => o.kind === kind && o.metadata.name === name) as Record<string, any> | undefined;

/** A copy of deploy/kubernetes to break, removed after each test. */
let scratch: string | undefined;
function copyManifests(): string {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cxloop-k8s-'));
  cpSync('deploy/kubernetes', scratch, { recursive: true });
  return scratch;
}
function edit(file: string, pattern: RegExp | string, replacement: string) {
  const text = readFileSync(file, 'utf8');
  const edited = text.replace(pattern, replacement);
  if (edited === text) throw new Error(`no match for ${String(pattern)} in ${file}`);
  writeFileSync(file, edited);
}
async function problemsOf(dir: string) {
  const { objects, problems } = renderKustomization(dir);
  return [...problems, ...(await schemaProblems(objects)), ...referenceProblems(objects)];
}

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe('the Kubernetes manifests, validated against the API schemas without a cluster', () => {
  it('every object of the base is valid against its schema', async () => {
    const { objects, problems } = renderKustomization(BASE);
    expect(problems).toEqual([]);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/cxloop-config',
      'Deployment/cxloop-web',
      'Deployment/cxloop-worker',
      'Ingress/cxloop-web',
      'Job/cxloop-migrate',
      'PodDisruptionBudget/cxloop-web',
      'PodDisruptionBudget/cxloop-worker',
      'Service/cxloop-web',
    ]);
    expect(await schemaProblems(objects)).toEqual([]);
  });

  it('the example overlay renders, is valid and complete: references, probes, requests, secrets from a Secret', async () => {
    expect(await problemsOf(OVERLAY)).toEqual([]);
    const { objects } = renderKustomization(OVERLAY);
    const web = find(objects, 'Deployment', 'cxloop-web');
    expect(web?.metadata.namespace).toBe('cxloop');
    expect(web?.spec.replicas).toBe(3);
    expect(web?.spec.template.spec.containers[0].image).toBe('registry.example.com/cxloop:0.1.0');
    const ingress = find(objects, 'Ingress', 'cxloop-web');
    expect(ingress?.spec.ingressClassName).toBe('nginx');
    expect(ingress?.spec.rules[0].host).toBe('cx.example.com');
    expect(find(objects, 'ConfigMap', 'cxloop-config')?.data).toMatchObject({
      TRUST_PROXY: '10.244.0.0/16',
      MIGRATE_ON_START: 'false',
    });
    // Keys only: the values are in the git-ignored secrets.env.
    expect(Object.values(find(objects, 'Secret', 'cxloop-secrets')?.stringData ?? { x: 'value' })).toEqual(
      expect.arrayContaining(['']),
    );
    expect(find(objects, 'Job', 'cxloop-migrate')?.spec.template.spec.containers[0].command).toEqual([
      'node',
      'dist/src/migrate-main.js',
    ]);
  });

  it('when a field has the wrong type or a required one is missing, then the schema names it', async () => {
    const dir = copyManifests();
    edit(path.join(dir, 'base/worker.yaml'), 'replicas: 2', "replicas: 'two'");
    edit(path.join(dir, 'base/web.yaml'), /\n\s+pathType: Prefix/, '');
    const problems = await problemsOf(path.join(dir, 'overlays/example'));
    expect(problems).toEqual([
      'Ingress/cxloop-web: data/spec/rules/0/http/paths/0 must have required property pathType',
      'Deployment/cxloop-worker: data/spec/replicas must be integer',
    ]);
  });

  it('when a resource or patch target is missing, a probe names no port or a Secret holds values, then each is named', async () => {
    const dir = copyManifests();
    edit(path.join(dir, 'overlays/example/web-replicas.yaml'), 'name: cxloop-web', 'name: cxloop-webb');
    edit(path.join(dir, 'base/kustomization.yaml'), '  - worker.yaml', '  - worker.yaml\n  - network-policy.yaml');
    edit(
      path.join(dir, 'base/worker.yaml'),
      /(readinessProbe:\n\s+httpGet:\n\s+path: \/readyz\n\s+port: )health/,
      '$1metrics',
    );
    edit(path.join(dir, 'base/config.yaml'), /^data:/m, 'data:\n  SESSION_SECRET: in-the-repository');
    writeFileSync(
      path.join(dir, 'base/config.yaml'),
      `${readFileSync(path.join(dir, 'base/config.yaml'), 'utf8')}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: leaked\nstringData:\n  SESSION_SECRET: x\n`,
    );
    const problems = await problemsOf(path.join(dir, 'overlays/example'));
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/kustomization\.yaml: resource network-policy\.yaml does not exist$/),
        expect.stringMatching(/config\.yaml: Secret\/leaked holds secret values in the repository$/),
        expect.stringMatching(/patch web-replicas\.yaml targets Deployment\/cxloop-webb, which no resource defines$/),
        'Deployment/cxloop-worker container worker: readinessProbe port metrics is not a container port',
      ]),
    );
  });
});
