import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadAll } from 'js-yaml';

/**
 * Checks cxloop's Kubernetes manifests without a cluster: renders a kustomization (the subset the
 * manifests use: resources, namespace, images, secretGenerator, strategic-merge patches by kind and
 * name), validates every object against the Kubernetes API schemas that the `kubernetes-models`
 * package ships, and checks what a schema cannot see: references between objects, probes, resource
 * requests, no secret values in the repository.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  secretGenerator?: {
    name: string;
    envs?: string[];
    literals?: string[];
    options?: { labels?: Record<string, string> };
  }[];
  patches?: { path?: string; patch?: string; target?: unknown }[];
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'images', 'secretGenerator', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace']);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const id = (o: Pick<K8sObject, 'kind' | 'metadata'>) => `${o.kind}/${o.metadata.name}`;

function loadYaml(file: string): K8sObject[] {
  return loadAll(readFileSync(file, 'utf8')).filter((doc): doc is K8sObject => isObject(doc));
}

/** Renders the kustomization in `dir`; `problems` names what cannot be rendered or is referenced but absent. */
export function renderKustomization(dir: string): { objects: K8sObject[]; problems: string[] } {
  const file = path.join(dir, 'kustomization.yaml');
  if (!existsSync(file)) return { objects: [], problems: [`${dir}: no kustomization.yaml`] };
  const k = loadYaml(file)[0] as unknown as Kustomization & Record<string, unknown>;
  const where = path.relative(process.cwd(), file);
  const problems: string[] = [];
  for (const key of Object.keys(k))
    if (!SUPPORTED.has(key)) problems.push(`${where}: ${key} is not rendered by this check`);
  let objects: K8sObject[] = [];
  for (const resource of k.resources ?? []) {
    const target = path.join(dir, resource);
    if (!existsSync(target)) problems.push(`${where}: resource ${resource} does not exist`);
    else if (statSync(target).isDirectory()) {
      const inner = renderKustomization(target);
      objects.push(...inner.objects);
      problems.push(...inner.problems);
    } else
      for (const o of loadYaml(target)) {
        if (o.kind === 'Secret' && ('data' in o || 'stringData' in o))
          problems.push(`${path.relative(process.cwd(), target)}: ${id(o)} holds secret values in the repository`);
        objects.push(o);
      }
  }
  for (const generator of k.secretGenerator ?? []) {
    if (generator.literals?.length)
      problems.push(`${where}: secretGenerator ${generator.name} has literal values in the repository`);
    const data: Record<string, string> = {};
    for (const env of generator.envs ?? []) {
      // The filled-in file stays out of the repository; its committed .example names the keys.
      const envFile = [path.join(dir, env), path.join(dir, `${env}.example`)].find((f) => existsSync(f));
      if (!envFile)
        problems.push(`${where}: secretGenerator ${generator.name}: neither ${env} nor ${env}.example exists`);
      else
        for (const line of readFileSync(envFile, 'utf8').split('\n'))
          if (/^[A-Z_][A-Z0-9_]*=/.test(line)) data[line.slice(0, line.indexOf('='))] = '';
    }
    const labels = generator.options?.labels;
    objects.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: generator.name, ...(labels ? { labels } : {}) },
      stringData: data,
    });
  }
  for (const patch of k.patches ?? []) {
    if (!patch.path || patch.patch || patch.target) {
      problems.push(`${where}: only patches by file (strategic merge, by kind and name) are rendered by this check`);
      continue;
    }
    const patchFile = path.join(dir, patch.path);
    if (!existsSync(patchFile)) {
      problems.push(`${where}: patch ${patch.path} does not exist`);
      continue;
    }
    for (const p of loadYaml(patchFile)) {
      const index = objects.findIndex((o) => o.kind === p.kind && o.metadata.name === p.metadata?.name);
      if (index < 0) problems.push(`${where}: patch ${patch.path} targets ${id(p)}, which no resource defines`);
      else objects[index] = strategicMerge(objects[index], p) as K8sObject;
    }
  }
  if (k.namespace) {
    const namespace = k.namespace;
    objects = objects.map((o) => (CLUSTER_SCOPED.has(o.kind) ? o : { ...o, metadata: { ...o.metadata, namespace } }));
  }
  for (const image of k.images ?? [])
    for (const container of objects.flatMap(containersOf))
      if (container.image === image.name || container.image?.startsWith(`${image.name}:`))
        container.image = `${image.newName ?? image.name}${image.digest ? `@${image.digest}` : `:${image.newTag ?? 'latest'}`}`;
  return { objects, problems };
}

/** Kustomize's strategic merge for what the manifests use: maps merge, lists of named items merge by name, the rest is replaced. */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (isObject(target) && isObject(patch)) {
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch))
      if (value === null) delete merged[key];
      else merged[key] = key in target ? strategicMerge(target[key], value) : value;
    return merged;
  }
  const named = (list: unknown): list is { name: string }[] =>
    Array.isArray(list) && list.every((item) => isObject(item) && typeof item.name === 'string');
  if (named(target) && named(patch)) {
    const merged: unknown[] = [...target];
    for (const item of patch) {
      const index = target.findIndex((t) => t.name === item.name);
      if (index < 0) merged.push(item);
      else merged[index] = strategicMerge(target[index], item);
    }
    return merged;
  }
  return patch;
}

interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path?: string; port?: string | number } };
  livenessProbe?: { httpGet?: { path?: string; port?: string | number } };
  startupProbe?: { httpGet?: { path?: string; port?: string | number } };
  resources?: { requests?: Record<string, string> };
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec?: { containers?: Container[]; securityContext?: { runAsNonRoot?: boolean } };
}

function podTemplateOf(o: K8sObject): PodTemplate | undefined {
  const spec = o.spec as { template?: PodTemplate } | undefined;
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) ? spec?.template : undefined;
}

function containersOf(o: K8sObject): Container[] {
  return podTemplateOf(o)?.spec?.containers ?? [];
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Validates each object against the Kubernetes API schema of its apiVersion and kind. */
export async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const o of objects) {
    let Model: (new (data: unknown) => { validate(): void }) | undefined;
    try {
      const module = (await import(/* @vite-ignore */ `kubernetes-models/${o.apiVersion}`)) as Record<string, unknown>;
      Model = module[o.kind] as typeof Model;
    } catch {
      Model = undefined;
    }
    if (!Model) {
      problems.push(`${id(o)}: no schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (err) {
      problems.push(`${id(o)}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** What a schema cannot see: references between the rendered objects, probes, requests, secrets. */
export function referenceProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const named = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name);
  const workloads = objects.filter((o) => podTemplateOf(o));
  for (const o of objects) {
    const template = podTemplateOf(o);
    if (template) {
      const selector = (o.spec as { selector?: { matchLabels?: Record<string, string> } }).selector?.matchLabels;
      if (o.kind !== 'Job' && !matches(selector, template.metadata?.labels))
        problems.push(`${id(o)}: selector does not match the pod template's labels`);
      if (template.spec?.securityContext?.runAsNonRoot !== true)
        problems.push(`${id(o)}: pods not set to runAsNonRoot`);
      for (const c of template.spec?.containers ?? []) {
        const where = `${id(o)} container ${c.name}`;
        if (!c.resources?.requests?.cpu || !c.resources.requests.memory)
          problems.push(`${where}: no cpu and memory requests`);
        for (const ref of c.envFrom ?? []) {
          if (ref.configMapRef && !named('ConfigMap', ref.configMapRef.name))
            problems.push(`${where}: ConfigMap ${ref.configMapRef.name} does not exist`);
          if (ref.secretRef && !named('Secret', ref.secretRef.name))
            problems.push(`${where}: Secret ${ref.secretRef.name} does not exist`);
        }
        if (o.kind === 'Job') continue;
        for (const [probe, expected] of [
          ['livenessProbe', '/healthz'],
          ['readinessProbe', '/readyz'],
        ] as const) {
          const httpGet = c[probe]?.httpGet;
          if (httpGet?.path !== expected) problems.push(`${where}: ${probe} must GET ${expected}`);
          if (httpGet && !c.ports?.some((p) => p.name === httpGet.port || p.containerPort === httpGet.port))
            problems.push(`${where}: ${probe} port ${String(httpGet.port)} is not a container port`);
        }
      }
    }
    if (o.kind === 'Service' || o.kind === 'PodDisruptionBudget') {
      const spec = o.spec as { selector?: Record<string, string> | { matchLabels?: Record<string, string> } };
      const selector =
        o.kind === 'Service'
          ? (spec.selector as Record<string, string>)
          : (spec.selector?.matchLabels as Record<string, string>);
      const selected = workloads.filter(
        (w) => w.kind !== 'Job' && matches(selector, podTemplateOf(w)?.metadata?.labels),
      );
      if (!selected.length) problems.push(`${id(o)}: selects no workload's pods`);
      if (o.kind === 'Service')
        for (const port of (o.spec as { ports?: { targetPort?: string | number }[] }).ports ?? [])
          if (
            !selected
              .flatMap(containersOf)
              .some((c) => c.ports?.some((p) => p.name === port.targetPort || p.containerPort === port.targetPort))
          )
            problems.push(`${id(o)}: targetPort ${String(port.targetPort)} is no port of the pods it selects`);
    }
    if (o.kind === 'Ingress') {
      const rules =
        (
          o.spec as {
            rules?: {
              http?: {
                paths?: { backend?: { service?: { name: string; port?: { name?: string; number?: number } } } }[];
              };
            }[];
          }
        ).rules ?? [];
      for (const backend of rules.flatMap((r) => r.http?.paths ?? []).map((p) => p.backend?.service)) {
        const service = backend && named('Service', backend.name);
        if (!service) problems.push(`${id(o)}: backend service ${backend?.name ?? '(none)'} does not exist`);
        else if (
          !(service.spec as { ports?: { name?: string; port: number }[] }).ports?.some(
            (p) => p.name === backend.port?.name || p.port === backend.port?.number,
          )
        )
          problems.push(`${id(o)}: backend port is not a port of Service ${backend.name}`);
      }
      const config = named('ConfigMap', 'cxloop-config') as { data?: Record<string, string> } | undefined;
      if (!config?.data?.TRUST_PROXY) problems.push(`${id(o)}: behind an ingress, cxloop-config must set TRUST_PROXY`);
    }
  }
  return problems;
}
