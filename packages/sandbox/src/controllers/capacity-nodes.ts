import { createHash } from 'node:crypto';
import type { KubeObject, ObjectStore } from '../kube/index.js';
import { COMPUTE_CLASS_LABEL, nodeConfig, nodeLabels, type ClassTier } from './compute-class.js';
import { containerOf, type ClusterRef } from './context.js';
import type { Placement } from './capacity.js';

/** The pools, nodes, pending pods and events of node auto-creation (capacity.ts decides; these write). */
export const PRIORITY_ANNOTATION = 'sandbox.spillway.dev/compute-class-priority';
/** The simulated second a flex-start node's run ends (clock.ts: simulatedSeconds). */
export const EXPIRES_ANNOTATION = 'sandbox.spillway.dev/expires-at-simulated-second';
const MANAGER = 'cluster-autoscaler';

/** The auto-created pool of a class priority in the GKE cluster, created (RUNNING) if missing. */
export function autoCreatedPool(record: any, className: string, t: ClassTier, name: string): any {
  const existing = (record.nodePools ?? []).find((p: any) => p.name === name);
  if (existing) return existing;
  const pool = {
    name,
    config: {
      diskSizeGb: 100,
      diskType: 'pd-balanced',
      imageType: 'COS_CONTAINERD',
      ...nodeConfig(className, t),
    },
    initialNodeCount: 0,
    autoscaling: {
      enabled: true,
      autoprovisioned: true,
      minNodeCount: 0,
      maxNodeCount: 1000,
      locationPolicy: 'ANY',
    },
    management: { autoRepair: true, autoUpgrade: true },
    locations: [zoneOf(record)],
    selfLink: `${record.selfLink}/nodePools/${name}`,
    version: record.currentNodeVersion,
    status: 'RUNNING',
  };
  record.nodePools = [...(record.nodePools ?? []), pool];
  return pool;
}

/** A Ready node of the pool, labelled and tainted as GKE does. */
export function addNode(
  store: ObjectStore,
  cluster: ClusterRef,
  record: any,
  className: string,
  pool: any,
  t: ClassTier,
  nowSimulated: number,
  reservation?: { zone: string; annotations: Record<string, string> },
): KubeObject {
  const zone = reservation?.zone ?? zoneOf(record);
  const prefix = `gke-${cluster.name.slice(0, 9)}-${pool.name}-${digest(pool.selfLink, 4)}`;
  let i = 0;
  while (store.get('v1', 'Node', undefined, `${prefix}-${i.toString(36).padStart(4, '0')}`)) i++;
  const name = `${prefix}-${i.toString(36).padStart(4, '0')}`;
  const accelerators = t.accelerator
    ? { [t.accelerator.tpu ? 'google.com/tpu' : 'nvidia.com/gpu']: String(t.accelerator.count) }
    : {};
  store.create(
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: nodeLabels(className, pool.name, t, zone, cluster.region, name),
        annotations: {
          [PRIORITY_ANNOTATION]: String(t.priority),
          ...reservation?.annotations,
          ...(t.tier === 'flex-start' && t.maxRunDurationSeconds !== undefined
            ? { [EXPIRES_ANNOTATION]: String(nowSimulated + t.maxRunDurationSeconds) }
            : {}),
        },
      },
      spec: {
        providerID: `gce://${cluster.project}/${zone}/${name}`,
        taints: [{ key: COMPUTE_CLASS_LABEL, value: className, effect: 'NoSchedule' }],
      },
    },
    { manager: MANAGER },
  );
  return store.patchStatus('v1', 'Node', undefined, name, {
    capacity: accelerators,
    allocatable: accelerators,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
    ],
  });
}

/**
 * A Warning event on an object (a Pod by default), written once: a reconcile that finds the same
 * cause again does not repeat it.
 */
export function recordEvent(
  store: ObjectStore,
  namespace: string,
  name: string,
  reason: string,
  message: string,
  kind = 'Pod',
) {
  const eventName = `${name}.${digest(`${reason} ${message}`, 12)}`;
  if (store.get('v1', 'Event', namespace, eventName)) return;
  const now = store.now();
  store.create(
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: eventName, namespace },
      involvedObject: { apiVersion: 'v1', kind, name, ...(kind === 'Pod' ? { namespace } : {}) },
      reason,
      message,
      type: 'Warning',
      source: { component: MANAGER },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
    { manager: MANAGER },
  );
}

/** A class-backed Deployment's replicas without a node: Pending pods the scheduler could not place. */
export function pendingPods(
  store: ObjectStore,
  deployment: KubeObject,
  ready: number,
  placement: Placement & { wanted: number },
) {
  const ns = deployment.metadata.namespace!;
  const name = deployment.metadata.name;
  for (let i = ready; i < placement.wanted; i++) {
    const pod = `${name}-${i}`;
    if (store.get('v1', 'Pod', ns, pod)) continue;
    store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: ns, labels: deployment.spec?.template?.metadata?.labels ?? {} },
      spec: {
        containers: [{ name: containerOf(deployment).name ?? 'vllm', image: containerOf(deployment).image }],
        nodeSelector: deployment.spec?.template?.spec?.nodeSelector,
      },
    });
    store.patchStatus('v1', 'Pod', ns, pod, {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: placement.pending ?? 'waiting for a node',
        },
      ],
    });
  }
  for (let i = placement.wanted; store.get('v1', 'Pod', ns, `${name}-${i}`); i++)
    store.delete('v1', 'Pod', ns, `${name}-${i}`);
}

/**
 * The accelerators of a type that count against the cluster's auto-provisioning limit: the
 * auto-created nodes', and the cluster's own pools' at their maximum size.
 */
export function acceleratorsCounted(store: ObjectStore, record: any, type: string): number {
  const nodes = store
    .list('v1', 'Node', undefined, { labelSelector: COMPUTE_CLASS_LABEL })
    .filter(
      (n) =>
        n.metadata.labels?.['cloud.google.com/gke-accelerator'] === type ||
        n.metadata.labels?.['cloud.google.com/gke-tpu-accelerator'] === type,
    )
    .map((n) => Number(n.metadata.labels?.['cloud.google.com/gke-accelerator-count'] ?? 0));
  const pools = (record.nodePools ?? [])
    .filter((p: any) => !p.autoscaling?.autoprovisioned)
    .map((p: any) => {
      const acc = p.config?.accelerators?.[0];
      if (acc?.acceleratorType !== type) return 0;
      const size = p.autoscaling?.enabled ? p.autoscaling.maxNodeCount : (p.initialNodeCount ?? 0);
      return Number(size) * Number(acc.acceleratorCount);
    });
  return [...nodes, ...pools].reduce((a: number, b: number) => a + b, 0);
}

/** Replicas a node holds: as many as its accelerators allow (one per node without accelerators). */
export function slots(perNode: number, perReplica: number): number {
  return perReplica > 0 ? Math.floor(perNode / perReplica) : 1;
}

export const priorityOf = (node: KubeObject) => Number(node.metadata.annotations?.[PRIORITY_ANNOTATION] ?? 0);

/** GKE names auto-created pools `nap-` and eight lowercase letters and digits. */
export function poolName(cluster: string, className: string, t: ClassTier): string {
  const digest = createHash('sha256').update(`${cluster}/${className}/${t.priority}/${t.tier}`).digest();
  return `nap-${[...digest.subarray(0, 8)].map((b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('')}`;
}

const zoneOf = (record: any): string => record.locations?.[0] ?? `${record.location}-a`;

function digest(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}
