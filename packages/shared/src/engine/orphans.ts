import type {
  ClusterResource,
  DesiredState,
  KubeObjectResource,
  MembershipResource,
  NodePoolResource,
  Resource,
  SubnetworkResource,
} from '../render/graph.js';
import { ids } from '../render/ids.js';
import type { Spec } from '../spec/model.js';
import { APPLIED_WITH_PLATFORM, SERVICE_KINDS, SERVICE_RECORD_PREFIX } from '../render/service-record.js';
import { hubList, markedObjects, projectClusters } from './read-many.js';
import type { EngineContext } from './types.js';
import { SUBNET_MARK } from './rest-handlers.js';

/** The ConfigMap `verify` keeps its last result in (health/verify.ts). */
export const VERIFY_RECORD_PREFIX = 'spillway-verify-';

/**
 * What Spillway made that the spec no longer has (CONTRACT.md §4 marks): clusters and memberships
 * of the platform, node pools of its clusters, and Kubernetes objects of its services and platform.
 * They are returned as resources with real edges (a pool, a membership and an object depend on
 * their cluster), so the engine deletes them as it deletes anything else: dependents first.
 */
export type Retry = <T>(read: () => Promise<T>) => Promise<T>;

/**
 * `retry` wraps each list call on its own: with ~90 calls in a fleet, retrying the whole search on
 * any one failure would rarely finish while an API fails a share of its calls.
 */
export async function findOrphans(
  spec: Spec,
  state: DesiredState,
  ctx: EngineContext,
  retry: Retry = (read) => read(),
): Promise<Resource[]> {
  const desired = new Set(state.resources.map((r) => r.id));
  // A cluster's own pools (gcloud's default-pool) come with it: they are never orphans.
  for (const r of state.resources) {
    if (r.type !== 'container.cluster') continue;
    for (const pool of (r.body.nodePools as { name: string }[] | undefined) ?? []) {
      desired.add(ids.nodePool(r.project, r.location, r.name, pool.name));
    }
  }
  const orphans: Resource[] = [];
  // A reference platform's own resources are not this spec's to delete.
  for (const platform of spec.platforms.filter((p) => !p.reference)) {
    const owner = { platform: platform.name };
    const project = platform.projectId;
    const ours = (await projectClusters(ctx, project, retry)).filter(
      (c) =>
        c.resourceLabels?.['managed-by'] === 'spillway' &&
        c.resourceLabels?.['spillway-platform'] === platform.name,
    );
    // A region the platform left: Spillway's proxy-only subnet there goes after the cluster.
    const desiredRegions = new Set(platform.clusters.map((c) => c.region));
    const leftRegions = new Set(
      ours
        .filter((c) => !desired.has(ids.cluster(project, c.location!, c.name!)))
        .map((c) => c.location!.replace(/-[a-z]$/, ''))
        .filter((region) => !desiredRegions.has(region)),
    );
    const subnetIds = new Map<string, string>();
    for (const region of leftRegions) {
      const subnet = await proxySubnetOrphan(ctx, platform, region, retry);
      if (subnet && !desired.has(subnet.id)) {
        orphans.push(subnet);
        subnetIds.set(region, subnet.id);
      }
    }
    for (const c of ours) {
      const id = ids.cluster(project, c.location!, c.name!);
      if (!desired.has(id)) {
        const orphan: ClusterResource = {
          type: 'container.cluster',
          id,
          dependsOn: [],
          owner,
          title: `GKE cluster ${c.name} (${c.location}), no longer in the spec`,
          project,
          location: c.location!,
          name: c.name!,
          body: {},
        };
        const subnet = subnetIds.get(c.location!.replace(/-[a-z]$/, ''));
        if (subnet) orphan.dependsOn.push(subnet);
        orphans.push(orphan);
        continue;
      }
      for (const pool of c.nodePools ?? []) {
        const poolId = ids.nodePool(project, c.location!, c.name!, pool.name!);
        if (
          desired.has(poolId) ||
          createdByGke(pool) ||
          (pool.config?.resourceLabels as Record<string, string> | undefined)?.['managed-by'] !== 'spillway'
        )
          continue;
        const orphan: NodePoolResource = {
          type: 'container.nodePool',
          id: poolId,
          dependsOn: [ids.cluster(project, c.location!, c.name!)],
          owner,
          title: `node pool ${pool.name} in ${c.name}, no longer in the spec`,
          project,
          location: c.location!,
          cluster: c.name!,
          name: pool.name!,
          body: {},
        };
        orphans.push(orphan);
      }
    }
    for (const m of await hubList(ctx, project, 'memberships', retry)) {
      if (m.labels?.['managed-by'] !== 'spillway' || m.labels?.['spillway-platform'] !== platform.name)
        continue;
      const membershipId = String(m.name).split('/').pop()!;
      const id = ids.membership(project, membershipId);
      if (desired.has(id)) continue;
      const orphan: MembershipResource = {
        type: 'gkehub.membership',
        id,
        dependsOn: clusterOfMembership(project, m),
        owner,
        title: `fleet membership ${membershipId}, no longer in the spec`,
        project,
        membershipId,
        body: {},
      };
      orphans.push(orphan);
    }
  }
  orphans.push(...(await kubeOrphans(spec, state, ctx, desired, retry)));
  return orphans;
}

/**
 * Kinds a spec can stop rendering altogether while keeping its services and platform: a platform
 * that drops its last capacity class (its ComputeClasses and the guardrail's policies, bindings
 * and params ConfigMap), a service that leaves its class. Listed on every run (one list per
 * cluster each; a kind a cluster does not serve lists as empty) so what is left of them is found.
 */
const STOPPABLE_KINDS = [
  { apiVersion: 'cloud.google.com/v1', kind: 'ComputeClass' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy' },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
];

/** Objects labelled for a service (or the platform) in the spec, in its clusters, that it no longer renders. */
async function kubeOrphans(
  spec: Spec,
  state: DesiredState,
  ctx: EngineContext,
  desired: Set<string>,
  retry: Retry,
): Promise<KubeObjectResource[]> {
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  const dropped = await droppedServices(spec, ctx, retry);
  const rendered = state.resources.flatMap((r) => (r.type === 'kubernetes.object' ? [r.manifest] : []));
  for (const { apiVersion, kind } of [
    ...rendered,
    ...(dropped.length ? SERVICE_KINDS : []),
    ...STOPPABLE_KINDS,
  ])
    kinds.set(`${apiVersion}/${kind}`, { apiVersion, kind });
  const owners = [
    ...spec.services.map((s) => ({
      owner: { platform: s.platform.name, service: s.name },
      matches: (labels: Record<string, string>) => labels['spillway.dev/service'] === s.name,
    })),
    ...spec.platforms
      .filter((p) => !p.reference)
      .map((p) => ({
        owner: { platform: p.name },
        matches: (labels: Record<string, string>) => labels['spillway.dev/platform'] === p.name,
      })),
    ...dropped.map((d) => ({
      owner: d,
      matches: (labels: Record<string, string>) => labels['spillway.dev/service'] === d.service,
    })),
  ];
  const orphans: KubeObjectResource[] = [];
  for (const platform of spec.platforms) {
    for (const cluster of platform.clusters) {
      const clusterId = ids.cluster(platform.projectId, cluster.location, cluster.name);
      for (const { apiVersion, kind } of kinds.values()) {
        // One list per kind and cluster (shared with the plan's reads); owners are told apart here.
        const marked = await markedObjects(ctx, cluster.name, apiVersion, kind, retry);
        for (const item of marked ?? []) {
          const labels = item.metadata?.labels ?? {};
          const owner = owners.find((o) => o.matches(labels))?.owner;
          if (!owner) continue;
          const manifest = {
            apiVersion,
            kind,
            metadata: {
              name: item.metadata.name,
              ...(item.metadata.namespace ? { namespace: item.metadata.namespace } : {}),
            },
          };
          const id = ids.kube(cluster.name, manifest);
          if (desired.has(id) || orphans.some((o) => o.id === id)) continue;
          // verify's record of its last result is Spillway's, but not the spec's to render.
          if (kind === 'ConfigMap' && String(item.metadata.name).startsWith(VERIFY_RECORD_PREFIX)) continue;
          const where = manifest.metadata.namespace ? `${manifest.metadata.namespace}/` : '';
          orphans.push({
            type: 'kubernetes.object',
            id,
            dependsOn: [clusterId],
            owner,
            title: `${kind} ${where}${manifest.metadata.name} in ${cluster.name}, no longer in the spec`,
            cluster: cluster.name,
            bundle: 'orphans',
            manifest,
          });
        }
      }
    }
  }
  return orphans;
}

/**
 * Services applied together with a platform this spec owns (their record says so) that the spec
 * no longer has: everything of theirs is an orphan. A service applied from its own repository
 * (against a read-only copy of the platform) is never this spec's to delete.
 */
async function droppedServices(
  spec: Spec,
  ctx: EngineContext,
  retry: Retry,
): Promise<{ platform: string; service: string }[]> {
  const kept = new Set(spec.services.map((s) => `${s.namespace}/${s.name}`));
  const dropped: { platform: string; service: string }[] = [];
  for (const platform of spec.platforms.filter((p) => !p.reference)) {
    const config = platform.clusters.find((c) => c.configCluster)!;
    for (const record of (await markedObjects(ctx, config.name, 'v1', 'ConfigMap', retry)) ?? []) {
      const service = record.metadata?.labels?.['spillway.dev/service'];
      if (
        service &&
        String(record.metadata.name) === `${SERVICE_RECORD_PREFIX}${service}` &&
        record.metadata.annotations?.[APPLIED_WITH_PLATFORM] === platform.name &&
        !kept.has(`${record.metadata.namespace}/${service}`)
      )
        dropped.push({ platform: platform.name, service });
    }
  }
  return dropped;
}

/** Spillway's proxy-only subnet in a region (its description carries the mark), as a resource to delete. */
async function proxySubnetOrphan(
  ctx: EngineContext,
  platform: Spec['platforms'][number],
  region: string,
  retry: Retry,
): Promise<SubnetworkResource | undefined> {
  const filter = encodeURIComponent('purpose = "GLOBAL_MANAGED_PROXY"');
  const list = await retry(() =>
    ctx.cloud
      .rest('compute')
      .request(
        'GET',
        `/compute/v1/projects/${platform.projectId}/regions/${region}/subnetworks?filter=${filter}`,
      ),
  );
  const mark = `${SUBNET_MARK}, spillway-platform: ${platform.name}`;
  const subnet = (list.items ?? []).find(
    (s: any) =>
      String(s.network).split('/').pop() === platform.network && String(s.description ?? '').includes(mark),
  );
  if (!subnet) return undefined;
  return {
    type: 'compute.subnetwork',
    id: ids.subnetwork(platform.projectId, region, subnet.name),
    dependsOn: [],
    owner: { platform: platform.name },
    title: `proxy-only subnet ${subnet.name} in ${region}, no longer in the spec`,
    project: platform.projectId,
    region,
    name: subnet.name,
    body: {
      name: subnet.name,
      ipCidrRange: subnet.ipCidrRange,
      network: `projects/${platform.projectId}/global/networks/${platform.network}`,
    },
  };
}

/**
 * A pool GKE created for a ComputeClass (node pool auto-creation): `autoscaling.autoprovisioned`,
 * named `nap-…`. It is GKE's to scale and delete, whatever labels it inherited: when its pods go
 * (a service destroyed) it scales to zero and GKE deletes it; when its cluster goes, it goes too.
 */
export function createdByGke(pool: { autoscaling?: { autoprovisioned?: boolean | null } | null }): boolean {
  return pool.autoscaling?.autoprovisioned === true;
}

/** The cluster a membership registers, as a resource id, so the membership goes before it. */
function clusterOfMembership(project: string, m: any): string[] {
  const link = String(m.endpoint?.gkeCluster?.resourceLink ?? '');
  const match = /\/projects\/[^/]+\/locations\/([^/]+)\/clusters\/([^/]+)$/.exec(link);
  return match ? [ids.cluster(project, match[1]!, match[2]!)] : [];
}
