import { podRefusal } from '../kube/admission.js';
import type { KubeObject } from '../kube/index.js';
import {
  COMPUTE_CLASS_API,
  COMPUTE_CLASS_KIND,
  COMPUTE_CLASS_LABEL,
  describeTier,
  tiersOf,
  type ClassTier,
} from './compute-class.js';
import { containerOf, type ClusterRef, type ControllerContext } from './context.js';
import {
  acceleratorsCounted,
  addNode,
  autoCreatedPool,
  EXPIRES_ANNOTATION,
  poolName,
  priorityOf,
  recordEvent,
  slots,
} from './capacity-nodes.js';
import { releaseVm, reservationFor, takeVm } from './capacity-reservations.js';

/**
 * Node auto-creation for custom ComputeClasses (GKE-FACTS.md, "Capacity"): the replicas of a
 * Deployment that selects a class get nodes from the first priority that has capacity, in a pool
 * GKE creates for that priority (`nap-…`, autoprovisioned, no Spillway label). A priority stocked
 * out with `--faults` (faults.ts `stockouts`), a Specific reservation absent or fully used in
 * Compute (capacity-reservations.ts), or past the cluster's accelerator limit is skipped with a
 * FailedScaleUp event (after its capacityCheckWaitTimeSeconds, when it has one). With every
 * priority out the replicas stay Pending with a NotTriggerScaleUp event naming the tiers tried.
 * Flex-start nodes go at their maxRunDurationSeconds (simulated time); with activeMigration
 * replicas move back up once a better priority has capacity; nodes no replica uses go, and a pool
 * left without nodes is deleted, as NAP does.
 */
export interface Placement {
  className: string;
  /** The node of each placed replica, in replica order. */
  nodes: string[];
  /** Why the other replicas wait (the tiers tried and what stopped each). */
  pending?: string;
}

interface Demand {
  key: string;
  deployment: KubeObject;
  replicas: number;
  /** Accelerators (GPUs or TPU chips) one replica asks for. */
  perReplica: number;
}

export const selectedClass = (deployment: KubeObject): string | undefined =>
  deployment.spec?.template?.spec?.nodeSelector?.[COMPUTE_CLASS_LABEL];

export class Capacity {
  /** `cluster/class/priority` → the simulated second a priority with capacityCheckWaitTimeSeconds first failed. */
  private readonly failingSince = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {}

  /** Places every class-backed Deployment of the cluster; by `cluster/namespace/deployment`. */
  reconcile(cluster: ClusterRef): Map<string, Placement> {
    const placements = new Map<string, Placement>();
    let record: any;
    try {
      record = this.ctx.gke.getCluster(cluster.project, cluster.location, cluster.name);
    } catch {
      return placements;
    }
    const store = cluster.server.store;
    this.expireFlexStart(cluster);
    const demands = new Map<string, Demand[]>();
    for (const deployment of store.list('apps/v1', 'Deployment')) {
      const className = selectedClass(deployment);
      if (!className) continue;
      const limits = containerOf(deployment).resources?.limits ?? {};
      const demand: Demand = {
        key: `${cluster.key}/${deployment.metadata.namespace}/${deployment.metadata.name}`,
        deployment,
        // Pods admission refuses never exist: only those already running keep their nodes.
        replicas: podRefusal(store, deployment)
          ? runningPods(store, deployment)
          : Number(deployment.spec?.replicas ?? 1),
        perReplica: Number(limits['nvidia.com/gpu'] ?? limits['google.com/tpu'] ?? 0),
      };
      demands.set(className, [...(demands.get(className) ?? []), demand]);
    }
    for (const [className, list] of demands) {
      const computeClass = store.get(COMPUTE_CLASS_API, COMPUTE_CLASS_KIND, undefined, className);
      if (computeClass) {
        for (const [key, p] of this.placeClass(cluster, record, computeClass, list)) placements.set(key, p);
        continue;
      }
      for (const d of list)
        placements.set(d.key, {
          className,
          nodes: [],
          pending: `ComputeClass ${className} does not exist in ${cluster.name}`,
        });
    }
    // Classes no Deployment selects any more keep no nodes.
    for (const node of store.list('v1', 'Node', undefined, { labelSelector: COMPUTE_CLASS_LABEL })) {
      if (!demands.has(node.metadata.labels![COMPUTE_CLASS_LABEL]!)) this.removeNode(store, node);
    }
    this.deleteEmptyPools(cluster, record);
    return placements;
  }

  private placeClass(cluster: ClusterRef, record: any, computeClass: KubeObject, demands: Demand[]) {
    const store = cluster.server.store;
    const className = computeClass.metadata.name;
    const tiers = tiersOf(computeClass);
    const nodes = store
      .list('v1', 'Node', undefined, { labelSelector: `${COMPUTE_CLASS_LABEL}=${className}` })
      .sort((a, b) => priorityOf(a) - priorityOf(b) || (a.metadata.name < b.metadata.name ? -1 : 1));
    const free = new Map(nodes.map((n) => [n.metadata.name, 0]));
    const placements = new Map<string, Placement>();
    let pending: string | undefined;
    for (const demand of demands.sort((a, b) => (a.key < b.key ? -1 : 1))) {
      const placed: string[] = [];
      const slotsOn = (node: KubeObject) =>
        slots(
          Number(node.metadata.labels?.['cloud.google.com/gke-accelerator-count'] ?? 0),
          demand.perReplica,
        );
      while (placed.length < demand.replicas) {
        const node = nodes.find((n) => (free.get(n.metadata.name) ?? 0) < slotsOn(n));
        if (node) {
          free.set(node.metadata.name, free.get(node.metadata.name)! + 1);
          placed.push(node.metadata.name);
          continue;
        }
        if (pending) break;
        const pod = `${demand.deployment.metadata.name}-${placed.length}`;
        const ns = demand.deployment.metadata.namespace!;
        const scaled = this.scaleUp(cluster, record, computeClass, tiers, demand.perReplica, { pod, ns });
        if (typeof scaled === 'string') {
          pending = scaled;
          recordEvent(store, ns, pod, 'NotTriggerScaleUp', `pod didn't trigger scale-up: ${scaled}`);
          break;
        }
        nodes.push(scaled);
        free.set(scaled.metadata.name, 0);
      }
      placements.set(demand.key, {
        className,
        nodes: placed,
        ...(placed.length < demand.replicas ? { pending } : {}),
      });
    }
    // Scale-down: a node no replica uses goes.
    for (const node of nodes) {
      if (free.get(node.metadata.name) === 0) this.removeNode(store, node);
    }
    const used = nodes.filter((n) => (free.get(n.metadata.name) ?? 0) > 0);
    if (computeClass.spec?.activeMigration?.optimizeRulePriority === true && !pending)
      this.migrateUp(cluster, record, computeClass, tiers, used, demands[0]?.perReplica ?? 0);
    return placements;
  }

  /**
   * Active migration: while a replica runs on a lower priority than one that has capacity now, a
   * node of the better priority is added; the next pass places replicas there first and the worse
   * node, left empty, goes (the new node is ready before the old one drains, as GKE migrates).
   */
  private migrateUp(
    cluster: ClusterRef,
    record: any,
    computeClass: KubeObject,
    tiers: ClassTier[],
    used: KubeObject[],
    perReplica: number,
  ) {
    const worst = Math.max(-1, ...used.map(priorityOf));
    const className = computeClass.metadata.name;
    for (const t of tiers.filter((t) => t.priority < worst)) {
      if (this.unavailable(cluster, record, className, t, perReplica)) continue;
      const reservation = this.reservation(cluster, record, t);
      if (typeof reservation === 'string') continue;
      const pool = autoCreatedPool(record, className, t, poolName(cluster.key, className, t));
      addNode(
        cluster.server.store,
        cluster,
        record,
        className,
        pool,
        t,
        this.ctx.clock.simulatedSeconds(),
        reservation && { zone: reservation.zone, annotations: takeVm(reservation) },
      );
      return;
    }
  }

  /** A new node from the first priority with capacity, or why there is none (the tiers tried). */
  private scaleUp(
    cluster: ClusterRef,
    record: any,
    computeClass: KubeObject,
    tiers: ClassTier[],
    perReplica: number,
    pod: { pod: string; ns: string },
  ): KubeObject | string {
    const className = computeClass.metadata.name;
    const store = cluster.server.store;
    if (computeClass.spec?.nodePoolAutoCreation?.enabled !== true)
      return `ComputeClass ${className} does not allow node pool auto-creation (spec.nodePoolAutoCreation.enabled) and no node of it has room`;
    const tried: string[] = [];
    for (const t of tiers) {
      const why = this.unavailable(cluster, record, className, t, perReplica);
      const reservation = why ? undefined : this.reservation(cluster, record, t);
      if (typeof reservation === 'string') {
        tried.push(`priority ${t.priority} (${describeTier(t)}): ${reservation}`);
        continue;
      }
      if (!why) {
        this.failingSince.delete(`${cluster.key}/${className}/${t.priority}`);
        for (const failure of tried)
          recordEvent(
            store,
            pod.ns,
            pod.pod,
            'FailedScaleUp',
            `Node scale up for ComputeClass ${className} failed at ${failure}; trying the next priority`,
          );
        const pool = autoCreatedPool(record, className, t, poolName(cluster.key, className, t));
        return addNode(
          store,
          cluster,
          record,
          className,
          pool,
          t,
          this.ctx.clock.simulatedSeconds(),
          reservation && { zone: reservation.zone, annotations: takeVm(reservation) },
        );
      }
      tried.push(`priority ${t.priority} (${describeTier(t)}): ${why}`);
      if (this.stillTrying(cluster, className, t))
        return `ComputeClass ${className} retries priority ${t.priority} (${describeTier(t)}) for up to ${t.capacityCheckWaitTimeSeconds} s (capacityCheckWaitTimeSeconds) before the next: ${why}`;
    }
    if (tiers.length === 0) return `ComputeClass ${className} has no priorities`;
    return `ComputeClass ${className} has no capacity in ${cluster.region}: tried ${tried.join('; ')}`;
  }

  /** A priority with capacityCheckWaitTimeSeconds is tried that long before the next one is. */
  private stillTrying(cluster: ClusterRef, className: string, t: ClassTier): boolean {
    if (t.capacityCheckWaitTimeSeconds === undefined) return false;
    const key = `${cluster.key}/${className}/${t.priority}`;
    const now = this.ctx.clock.simulatedSeconds();
    const since = this.failingSince.get(key) ?? now;
    this.failingSince.set(key, since);
    return now - since < t.capacityCheckWaitTimeSeconds;
  }

  /** The Compute reservation a Specific priority takes a VM from, or why it cannot (none for other tiers). */
  private reservation(cluster: ClusterRef, record: any, t: ClassTier) {
    if (t.reservation?.affinity !== 'Specific' || !t.reservation.name) return undefined;
    return reservationFor(
      this.ctx.google.states.compute.capacity,
      t,
      cluster.project,
      record.locations ?? [],
    );
  }

  private removeNode(store: ClusterRef['server']['store'], node: KubeObject) {
    store.delete('v1', 'Node', undefined, node.metadata.name);
    releaseVm(this.ctx.google.states.compute.capacity, node);
  }

  private unavailable(cluster: ClusterRef, record: any, className: string, t: ClassTier, perReplica: number) {
    const perNode = t.accelerator?.count ?? 0;
    if (perReplica > 0 && slots(perNode, perReplica) === 0)
      return `a node has ${perNode} ${t.accelerator?.type ?? 'accelerators'}, a replica needs ${perReplica}`;
    if (this.ctx.faults.isStockedOut(cluster.region, t.tier)) return 'GCE_STOCKOUT';
    const limit = (record.autoscaling?.resourceLimits ?? []).find(
      (l: any) => t.accelerator && l.resourceType === t.accelerator.type,
    );
    if (limit) {
      const used = acceleratorsCounted(cluster.server.store, record, limit.resourceType);
      if (used + perNode > Number(limit.maximum))
        return `the cluster's node auto-provisioning limit of ${limit.maximum} ${limit.resourceType} is reached (${used} counted; ComputeClass ${className})`;
    }
    return undefined;
  }

  /** Flex-start nodes end at their maxRunDurationSeconds; their replicas are placed anew. */
  private expireFlexStart(cluster: ClusterRef) {
    const store = cluster.server.store;
    const now = this.ctx.clock.simulatedSeconds();
    for (const node of store.list('v1', 'Node', undefined, {
      labelSelector: 'cloud.google.com/gke-flex-start',
    })) {
      const expires = Number(node.metadata.annotations?.[EXPIRES_ANNOTATION]);
      if (!Number.isFinite(expires) || now < expires) continue;
      this.removeNode(store, node);
      recordEvent(
        store,
        'default',
        node.metadata.name,
        'MaxRunDurationReached',
        `flex-start node ${node.metadata.name} reached its maxRunDurationSeconds (${node.metadata.labels?.['cloud.google.com/gke-max-run-duration-seconds']}) and was deleted`,
        'Node',
      );
    }
  }

  /** NAP deletes an auto-created pool once it has no nodes. */
  private deleteEmptyPools(cluster: ClusterRef, record: any) {
    const used = new Set(
      cluster.server.store
        .list('v1', 'Node', undefined, { labelSelector: COMPUTE_CLASS_LABEL })
        .map((n) => n.metadata.labels?.['cloud.google.com/gke-nodepool']),
    );
    record.nodePools = (record.nodePools ?? []).filter(
      (p: any) => !p.autoscaling?.autoprovisioned || used.has(p.name),
    );
  }
}

/** The Running pods of a Deployment (the workload controller names them NAME-0, NAME-1, …). */
function runningPods(store: ClusterRef['server']['store'], deployment: KubeObject): number {
  const prefix = `${deployment.metadata.name}-`;
  return store
    .list('v1', 'Pod', deployment.metadata.namespace)
    .filter((p) => p.metadata.name.startsWith(prefix) && p.status?.phase === 'Running').length;
}
