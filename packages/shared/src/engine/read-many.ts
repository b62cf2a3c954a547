import type { protos } from '@google-cloud/container';
import type {
  ClusterResource,
  FeatureResource,
  IamBindingResource,
  KubeObjectResource,
  MembershipResource,
  NodePoolResource,
  Resource,
} from '../render/graph.js';
import { ids } from '../render/ids.js';
import { clusterClient } from './kube-handler.js';
import { failed } from './retry.js';
import { bindingPresent, memberOf, getPolicy } from './rest-handlers.js';
import type { EngineContext } from './types.js';

/**
 * Reading a fleet one object at a time costs a call per resource; the APIs list. Before a run
 * decides anything, every kind is read once per project or cluster (a list) and each resource
 * looks itself up; one that a list cannot answer is left to its handler's own read. The results
 * are the shapes the handlers' reads return, so their diffs cannot tell the difference.
 */
export type Retry = <T>(read: () => Promise<T>) => Promise<T>;

type Cluster = protos.google.container.v1.ICluster;

/** Every cluster of a project (with its node pools), listed once per run. */
export function projectClusters(ctx: EngineContext, project: string, retry: Retry): Promise<Cluster[]> {
  return memo(ctx, `clusters/${project}`, async () => {
    const [list] = await retry(() =>
      ctx.cloud.container().listClusters({ parent: `projects/${project}/locations/-` }),
    ).catch(failed(`cannot list the GKE clusters of project ${project}`));
    return list.clusters ?? [];
  });
}

/** Every object of a kind in a cluster that carries Spillway's mark, listed once per run. */
export function markedObjects(
  ctx: EngineContext,
  cluster: string,
  apiVersion: string,
  kind: string,
  retry: Retry,
): Promise<any[] | undefined> {
  return memo(ctx, `marked/${cluster}/${apiVersion}/${kind}`, async () => {
    // One look per cluster for all its kinds: a cluster that does not run yet is asked about once.
    const client = await memo(ctx, `marked/${cluster}`, () =>
      retry(() => clusterClient(ctx, cluster)).catch(
        failed(`cannot reach the Kubernetes API of cluster ${cluster}`),
      ),
    );
    if (!client) return undefined;
    return retry(() =>
      client.list(apiVersion, kind, undefined, 'app.kubernetes.io/managed-by=spillway'),
    ).catch(failed(`cannot list the ${kind} objects in cluster ${cluster}`));
  });
}

/** Every item of a paged Google list (GKE Hub's `resources`). */
export function hubList(ctx: EngineContext, project: string, what: 'memberships' | 'features', retry: Retry) {
  return memo(ctx, `hub/${project}/${what}`, async () => {
    const items: any[] = [];
    let pageToken = '';
    do {
      const page = await retry(() =>
        ctx.cloud
          .rest('gkehub')
          .request(
            'GET',
            `/v1/projects/${project}/locations/global/${what}${pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : ''}`,
          ),
      ).catch(failed(`cannot list the fleet ${what} of project ${project}`));
      items.push(...(page.resources ?? []));
      pageToken = page.nextPageToken ?? '';
    } while (pageToken);
    return items;
  });
}

function memo<T>(ctx: EngineContext, key: string, load: () => Promise<T>): Promise<T> {
  if (!ctx.memo.has(key)) {
    const value = load();
    // A failed list is forgotten, so the next caller asks again.
    value.catch(() => ctx.memo.delete(key));
    ctx.memo.set(key, value);
  }
  return ctx.memo.get(key) as Promise<T>;
}

const clusterKey = (location: string | null | undefined, name: string | null | undefined) =>
  `${location}/${name}`;

/** Live state by resource id, for the resources a list can answer. */
export async function readMany(
  resources: Resource[],
  ctx: EngineContext,
  retry: Retry,
): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const of = <T extends Resource['type']>(type: T) =>
    resources.filter((r): r is Extract<Resource, { type: T }> => r.type === type);

  const clusters = of('container.cluster') as ClusterResource[];
  const pools = of('container.nodePool') as NodePoolResource[];
  for (const project of new Set([...clusters, ...pools].map((r) => r.project))) {
    const listed = new Map(
      (await projectClusters(ctx, project, retry)).map((c) => [clusterKey(c.location, c.name), c]),
    );
    for (const r of clusters.filter((c) => c.project === project)) {
      const live = listed.get(clusterKey(r.location, r.name));
      out.set(r.id, live);
      if (live?.status === 'RUNNING' && live.endpoint)
        ctx.memo.set(
          `endpoint/${r.name}`,
          Promise.resolve({
            endpoint: live.endpoint,
            caCertBase64: live.masterAuth?.clusterCaCertificate ?? '',
          }),
        );
    }
    for (const r of pools.filter((p) => p.project === project)) {
      const cluster = listed.get(clusterKey(r.location, r.cluster));
      out.set(
        r.id,
        cluster?.nodePools?.find((p) => p.name === r.name),
      );
    }
  }

  const memberships = of('gkehub.membership') as MembershipResource[];
  for (const project of new Set(memberships.map((r) => r.project))) {
    const listed = await hubList(ctx, project, 'memberships', retry);
    for (const r of memberships.filter((m) => m.project === project))
      out.set(
        r.id,
        listed.find((m) => String(m.name).split('/').pop() === r.membershipId),
      );
  }
  const features = of('gkehub.feature') as FeatureResource[];
  for (const project of new Set(features.map((r) => r.project))) {
    const listed = await hubList(ctx, project, 'features', retry);
    for (const r of features.filter((f) => f.project === project))
      out.set(
        r.id,
        listed.find((f) => String(f.name).split('/').pop() === r.featureId),
      );
  }

  const bindings = of('iam.binding') as IamBindingResource[];
  for (const project of new Set(bindings.map((r) => r.project))) {
    const policy = await retry(() => getPolicy(ctx, project));
    for (const r of bindings.filter((b) => b.project === project)) {
      const member = await retry(() => memberOf(r, ctx));
      out.set(r.id, { present: bindingPresent(policy, r.role, member) });
    }
  }

  // Kubernetes objects: one list per kind and cluster; an unmarked object (adopted) is read on its own.
  const objects = of('kubernetes.object') as KubeObjectResource[];
  const groups = new Map<string, KubeObjectResource[]>();
  for (const r of objects) {
    const key = `${r.cluster}|${r.manifest.apiVersion}|${r.manifest.kind}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const { cluster } = group[0]!;
      const { apiVersion, kind } = group[0]!.manifest;
      const listed = await markedObjects(ctx, cluster, apiVersion, kind, retry);
      if (listed === undefined) {
        // The cluster does not run yet: nothing in it exists.
        for (const r of group) out.set(r.id, undefined);
        return;
      }
      const byId = new Map(
        listed.map((item) => [
          ids.kube(cluster, {
            apiVersion,
            kind,
            metadata: { name: item.metadata.name, namespace: item.metadata.namespace },
          }),
          // List items carry no apiVersion and kind; a read of one object does.
          { apiVersion, kind, ...item },
        ]),
      );
      for (const r of group) if (byId.has(r.id)) out.set(r.id, byId.get(r.id));
    }),
  );
  return out;
}
