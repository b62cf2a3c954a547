import { createHash } from 'node:crypto';
import type { KubeClient } from '../cloud/kube.js';
import type { KubeManifest, KubeObjectResource } from '../render/graph.js';
import { FIELD_MANAGER } from '../render/labels.js';
import { TOKEN_HASH_ANNOTATION } from '../render/script.js';
import { isNotFound, toCallError } from '../cloud/errors.js';
import type { Change, EngineContext, Handler } from './types.js';
import { classServersReady, selectedComputeClass } from './class-readiness.js';

/** Kubernetes objects by server-side apply, field manager `spillway`, at the endpoint GKE returned. */
export { TOKEN_HASH_ANNOTATION };

type Live = Record<string, any>;

/** The cluster's endpoint and CA, once it runs; undefined while it does not (plan before create). */
export async function clusterClient(
  ctx: EngineContext,
  clusterName: string,
): Promise<KubeClient | undefined> {
  const where = ctx.clusters.get(clusterName);
  if (!where) throw new Error(`internal: no cluster ${clusterName} in the desired state`);
  const key = `endpoint/${clusterName}`;
  let endpoint = (await ctx.memo.get(key)) as { endpoint: string; caCertBase64: string } | undefined;
  if (!endpoint) {
    const name = `projects/${where.project}/locations/${where.location}/clusters/${clusterName}`;
    let cluster;
    try {
      [cluster] = await ctx.cloud.container().getCluster({ name });
    } catch (error) {
      if (isNotFound(toCallError(error))) return undefined;
      throw error;
    }
    if (cluster.status !== 'RUNNING' || !cluster.endpoint) return undefined;
    endpoint = { endpoint: cluster.endpoint, caCertBase64: cluster.masterAuth?.clusterCaCertificate ?? '' };
    ctx.memo.set(key, Promise.resolve(endpoint));
  }
  return ctx.cloud.kube(endpoint);
}

/** The manifest to apply: a Secret gets its value (and a hash of it, to tell when it changes). */
export function manifestToApply(r: KubeObjectResource, ctx: EngineContext): KubeManifest {
  if (!r.secretSource) return r.manifest;
  const value = ctx.secretValues.get(r.id);
  if (value === undefined) throw new Error(`internal: the secret for ${r.title} was not resolved`);
  return {
    ...r.manifest,
    metadata: {
      ...r.manifest.metadata,
      annotations: { ...r.manifest.metadata.annotations, [TOKEN_HASH_ANNOTATION]: hashOf(value) },
    },
    stringData: { [r.secretSource.key]: value },
  };
}

export const hashOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

/** Every field of `want` has the same value in `have` (fields set by others are ignored). */
export function contains(have: unknown, want: unknown): boolean {
  if (want === null || typeof want !== 'object')
    return have === want || (typeof want === 'number' && String(have) === String(want));
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => contains(have[i], w));
  }
  if (have === null || typeof have !== 'object' || Array.isArray(have)) return false;
  return Object.entries(want).every(([k, v]) => contains((have as Record<string, unknown>)[k], v));
}

/** What must match: the manifest without a Secret's value (compared through its hash). */
function comparable(r: KubeObjectResource, ctx: EngineContext): KubeManifest {
  // A read-only run without the token compares the Secret's labels and type, not its value.
  if (r.secretSource && !ctx.secretValues.has(r.id)) return r.manifest;
  const { stringData: _value, ...rest } = manifestToApply(r, ctx) as KubeManifest & { stringData?: unknown };
  return rest;
}

const ref = (m: KubeManifest) => ({
  apiVersion: m.apiVersion,
  kind: m.kind,
  metadata: { name: m.metadata.name, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}) },
});

export const kubeObjectHandler: Handler<KubeObjectResource, Live> = {
  async read(r, ctx) {
    const client = await clusterClient(ctx, r.cluster);
    if (!client) return undefined;
    return client.read(ref(r.manifest));
  },
  diff(r, live, ctx): Change {
    if (!live) return { action: 'create', reason: 'does not exist' };
    if (!contains(live, comparable(r, ctx)))
      return { action: 'update', reason: differingField(live, comparable(r, ctx)) };
    return { action: 'noop', reason: 'up to date' };
  },
  async create(r, ctx) {
    const client = await clusterClient(ctx, r.cluster);
    if (!client) throw new Error(`cluster ${r.cluster} is not running yet`);
    // Spillway owns these objects: force takes fields back from other managers, as a controller does.
    await client.apply(manifestToApply(r, ctx), FIELD_MANAGER, true);
  },
  async update(r, _live, ctx) {
    return kubeObjectHandler.create(r, ctx);
  },
  async delete(r, _live, ctx) {
    const client = await clusterClient(ctx, r.cluster);
    if (!client) return;
    await client.delete(ref(r.manifest));
  },
  ready(r, live) {
    if (!live) return false;
    if (r.manifest.kind === 'CustomResourceDefinition') {
      return (live.status?.conditions ?? []).some(
        (c: any) => c.type === 'Established' && c.status === 'True',
      );
    }
    const computeClass = selectedComputeClass(r.manifest);
    if (computeClass) return classServersReady(r.title, computeClass, live);
    if (r.manifest.kind === 'Gateway') {
      // The addresses are what apply reports; GKE fills them once the load balancer exists.
      return (live.status?.addresses ?? []).length >= ((r.manifest as any).spec?.addresses ?? []).length;
    }
    return true;
  },
  owned: (_r, live) => live.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'spillway',
};

/** The first path where the live object differs from the desired one, for the plan's reason. */
function differingField(have: unknown, want: unknown, path = ''): string {
  if (want === null || typeof want !== 'object' || Array.isArray(want)) return `${path || 'object'} differs`;
  for (const [k, v] of Object.entries(want)) {
    const h = (have as Record<string, unknown> | undefined)?.[k];
    if (!contains(h, v)) return differingField(h, v, path ? `${path}.${k}` : k);
  }
  return `${path} differs`;
}
