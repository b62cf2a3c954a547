import type { protos } from '@google-cloud/container';
import type { ClusterResource, NodePoolResource } from '../render/graph.js';
import { unlessNotFound } from '../cloud/errors.js';
import type { Change, EngineContext, Handler, Pending } from './types.js';

/** GKE clusters and node pools through @google-cloud/container; changes are GKE Operations. */
const parentOf = (project: string, location: string) => `projects/${project}/locations/${location}`;
const clusterName = (
  r: { project: string; location: string; name?: string; cluster?: string },
  name: string,
) => `${parentOf(r.project, r.location)}/clusters/${name}`;

function operation(
  ctx: EngineContext,
  project: string,
  location: string,
  op: { name?: string | null },
): Pending {
  const name = `${parentOf(project, location)}/operations/${op.name}`;
  return {
    describe: `GKE operation ${op.name}`,
    async poll() {
      const [current] = await ctx.cloud.container().getOperation({ name });
      if (current.status !== 'DONE') return { done: false };
      const failure = current.error?.message || (current.error?.code ? current.statusMessage : '');
      return failure
        ? { done: true, error: failure || current.statusMessage || 'operation failed' }
        : { done: true };
    },
  };
}

const OWNED = (labels: Record<string, string> | null | undefined) => labels?.['managed-by'] === 'spillway';

type Cluster = protos.google.container.v1.ICluster;
type NodePool = protos.google.container.v1.INodePool;

/** Cluster fields Spillway sets that UpdateCluster can change, each with the `desired*` field that changes it. */
const CLUSTER_UPDATES: {
  field: string;
  live: (c: Cluster) => unknown;
  desired: (b: any) => unknown;
  update: (b: any) => object;
  /** Whether the body sets this field at all; when it does not, the live value is left alone. */
  setBy?: (b: any) => boolean;
}[] = [
  {
    field: 'networkConfig.gatewayApiConfig',
    live: (c) => c.networkConfig?.gatewayApiConfig?.channel,
    desired: (b) => b.networkConfig?.gatewayApiConfig?.channel,
    update: (b) => ({ desiredGatewayApiConfig: b.networkConfig.gatewayApiConfig }),
  },
  {
    field: 'monitoringConfig',
    live: (c) => [
      c.monitoringConfig?.managedPrometheusConfig?.enabled ?? false,
      [...(c.monitoringConfig?.componentConfig?.enableComponents ?? [])].sort(),
    ],
    desired: (b) => [
      b.monitoringConfig?.managedPrometheusConfig?.enabled ?? false,
      [...(b.monitoringConfig?.componentConfig?.enableComponents ?? [])].sort(),
    ],
    update: (b) => ({ desiredMonitoringConfig: b.monitoringConfig }),
  },
  {
    field: 'workloadIdentityConfig.workloadPool',
    live: (c) => c.workloadIdentityConfig?.workloadPool,
    desired: (b) => b.workloadIdentityConfig?.workloadPool,
    update: (b) => ({ desiredWorkloadIdentityConfig: b.workloadIdentityConfig }),
  },
  {
    // Node auto-provisioning and its limits: the capacity classes' budgets (render/cluster-autoscaling.ts).
    field: 'autoscaling',
    live: (c) => autoprovisioningOf(c.autoscaling),
    desired: (b) => autoprovisioningOf(b.autoscaling),
    update: (b) => ({ desiredClusterAutoscaling: b.autoscaling }),
    // Without classes Spillway leaves auto-provisioning as it finds it (a user may have turned it on).
    setBy: (b) => b.autoscaling !== undefined,
  },
  {
    field: 'podAutoscaling.hpaProfile',
    live: (c) => c.podAutoscaling?.hpaProfile,
    desired: (b) => b.podAutoscaling?.hpaProfile,
    update: (b) => ({ desiredPodAutoscaling: b.podAutoscaling }),
  },
];

/** What Spillway sets of cluster autoscaling, comparable between a body and a live cluster (int64s read as strings). */
function autoprovisioningOf(a: any): [boolean, [string, number][]] {
  const limits: [string, number][] = (a?.resourceLimits ?? [])
    .map((l: any) => [String(l.resourceType), Number(l.maximum ?? 0)] as [string, number])
    .sort(([x]: [string, number], [y]: [string, number]) => x.localeCompare(y));
  return [!!a?.enableNodeAutoprovisioning, a?.enableNodeAutoprovisioning ? limits : []];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const differs = (u: (typeof CLUSTER_UPDATES)[number], live: Cluster, body: unknown) =>
  (u.setBy?.(body) ?? true) && !same(u.live(live), u.desired(body));
const networkName = (n: string | null | undefined) => (n ?? 'default').split('/').pop();

export const clusterHandler: Handler<ClusterResource, Cluster> = {
  read: (r, ctx) =>
    unlessNotFound(async () => (await ctx.cloud.container().getCluster({ name: clusterName(r, r.name) }))[0]),
  diff(r, live): Change {
    if (!live) return { action: 'create', reason: 'does not exist' };
    if (live.status === 'ERROR')
      return {
        action: 'replace',
        reason: `is in ERROR (${live.statusMessage || 'no message'})`,
        repair: true,
      };
    if (live.status === 'STOPPING')
      return { action: 'create', reason: 'is being deleted; will be created again' };
    if (networkName(live.network) !== networkName(r.body.network as string)) {
      return {
        action: 'replace',
        reason: `network ${networkName(live.network)} → ${networkName(r.body.network as string)} forces replacement`,
      };
    }
    const changed = CLUSTER_UPDATES.filter((u) => differs(u, live, r.body)).map((u) => u.field);
    if (changed.length) return { action: 'update', reason: `${changed.join(', ')} differ` };
    if (live.status !== 'RUNNING')
      return { action: 'noop', reason: `exists (${live.status}); waiting for it` };
    return {
      action: 'noop',
      reason: OWNED(live.resourceLabels) ? 'up to date' : 'exists (not labelled by Spillway): adopted as is',
    };
  },
  async create(r, ctx) {
    const [op] = await ctx.cloud
      .container()
      .createCluster({ parent: parentOf(r.project, r.location), cluster: r.body });
    return operation(ctx, r.project, r.location, op);
  },
  async update(r, live, ctx) {
    // GKE takes one desired* field per UpdateCluster; the engine calls again for the next.
    const next = CLUSTER_UPDATES.find((u) => differs(u, live, r.body))!;
    const [op] = await ctx.cloud
      .container()
      .updateCluster({ name: clusterName(r, r.name), update: next.update(r.body) });
    return operation(ctx, r.project, r.location, op);
  },
  async delete(r, _live, ctx) {
    const [op] = await ctx.cloud.container().deleteCluster({ name: clusterName(r, r.name) });
    return operation(ctx, r.project, r.location, op);
  },
  ready: (_r, live) => live?.status === 'RUNNING',
  lockKey: (r) => clusterName(r, r.name),
  owned: (_r, live) => OWNED(live.resourceLabels),
};

/** Node pool fields that cannot change in place (terraform: ForceNew). */
function immutableDiffs(r: NodePoolResource, live: NodePool): string[] {
  const body = r.body as any;
  const want = body.config ?? {};
  const have = live.config ?? {};
  const diffs: string[] = [];
  if (want.machineType !== have.machineType)
    diffs.push(`machineType ${have.machineType} → ${want.machineType}`);
  if (!!want.spot !== !!have.spot) diffs.push(`spot ${!!have.spot} → ${!!want.spot}`);
  const wa = want.accelerators?.[0];
  const ha = have.accelerators?.[0];
  if (
    wa?.acceleratorType !== ha?.acceleratorType ||
    String(wa?.acceleratorCount ?? '') !== String(ha?.acceleratorCount ?? '')
  ) {
    diffs.push(
      `accelerator ${ha?.acceleratorCount ?? 0}×${ha?.acceleratorType ?? 'none'} → ${wa?.acceleratorCount}×${wa?.acceleratorType}`,
    );
  }
  return diffs;
}

const autoscalingOf = (a: any) => [!!a?.enabled, Number(a?.minNodeCount ?? 0), Number(a?.maxNodeCount ?? 0)];

export const nodePoolHandler: Handler<NodePoolResource, NodePool> = {
  read: (r, ctx) =>
    unlessNotFound(
      async () =>
        (
          await ctx.cloud
            .container()
            .getNodePool({ name: `${clusterName(r, r.cluster)}/nodePools/${r.name}` })
        )[0],
    ),
  diff(r, live): Change {
    if (!live) return { action: 'create', reason: 'does not exist' };
    if (live.status === 'ERROR')
      return {
        action: 'replace',
        reason: `is in ERROR (${live.statusMessage || 'no message'})`,
        repair: true,
      };
    const immutable = immutableDiffs(r, live);
    if (immutable.length) return { action: 'replace', reason: `${immutable.join('; ')} forces replacement` };
    const want = autoscalingOf((r.body as any).autoscaling);
    const have = autoscalingOf(live.autoscaling);
    if (!same(want, have))
      return { action: 'update', reason: `autoscaling ${have[1]}–${have[2]} → ${want[1]}–${want[2]}` };
    if (live.status !== 'RUNNING')
      return { action: 'noop', reason: `exists (${live.status}); waiting for it` };
    return { action: 'noop', reason: 'up to date' };
  },
  async create(r, ctx) {
    const [op] = await ctx.cloud
      .container()
      .createNodePool({ parent: clusterName(r, r.cluster), nodePool: r.body });
    return operation(ctx, r.project, r.location, op);
  },
  async update(r, _live, ctx) {
    const [op] = await ctx.cloud.container().setNodePoolAutoscaling({
      name: `${clusterName(r, r.cluster)}/nodePools/${r.name}`,
      autoscaling: (r.body as any).autoscaling,
    });
    return operation(ctx, r.project, r.location, op);
  },
  async delete(r, _live, ctx) {
    const [op] = await ctx.cloud
      .container()
      .deleteNodePool({ name: `${clusterName(r, r.cluster)}/nodePools/${r.name}` });
    return operation(ctx, r.project, r.location, op);
  },
  ready: (_r, live) => live?.status === 'RUNNING',
  lockKey: (r) => clusterName(r, r.cluster),
  owned: (_r, live) => OWNED(live.config?.resourceLabels as Record<string, string> | undefined),
};
