import type { Cluster, Platform } from '../spec/model.js';
import { machineShape } from '../spec/capacity-catalog.js';
import { acceleratorsPerNode } from '../spec/capacity-rules.js';

/**
 * Zones a regional cluster's pools span when the body names none: GKE's default for a region.
 * The resource limits count every node of the cluster, so they assume this many.
 */
export const REGIONAL_CLUSTER_ZONES = 3;

/** a4-highgpu-8g, the largest machine in the tables. */
const LARGEST_SHAPE = { vcpus: 224, memoryGb: 3968 };

/** One of node auto-provisioning's cluster-wide limits (cpu in vCPUs, memory in GB, accelerators in count). */
export interface ResourceLimit {
  resourceType: string;
  maximum: number;
}

/**
 * Cluster autoscaling for a platform with capacity classes: node auto-provisioning on, with the
 * classes' budgets as its resource limits.
 *
 * Spillway's minimum GKE version (1.34.1) is past 1.33.3-gke.1136000, from which a ComputeClass
 * creates pools without cluster-level auto-provisioning (capacity-catalog.ts). It is turned on
 * anyway because its resource limits are the only budget GKE enforces on those pools ("Any
 * resource limits that you set for the cluster when you enable node auto-provisioning also apply
 * to the node pools that GKE creates for ComputeClasses"): maxAccelerators is that budget
 * (CONTRACT.md §1b). The limits are cluster-wide, so they add the cluster's own pools at their
 * largest; cpu and memory are what those nodes and the classes' nodes carry, so the limits
 * never stop a scale-up the accelerator budget allows.
 */
export function clusterAutoscaling(
  platform: Platform,
  cluster: Cluster,
  nodeOauthScopes: readonly string[],
): Record<string, unknown> {
  const zones = cluster.zonal ? 1 : REGIONAL_CLUSTER_ZONES;
  const accelerators = new Map<string, number>();
  let vcpus = 0;
  let memoryGb = 0;
  const addNodes = (machineType: string, nodes: number) => {
    // A shape we cannot tell counts as the largest we know: a limit below what the cluster already
    // runs would stop every scale-up, a generous one only leaves the accelerator budget to bind.
    const shape = machineShape(machineType) ?? LARGEST_SHAPE;
    vcpus += shape.vcpus * nodes;
    memoryGb += shape.memoryGb * nodes;
  };
  const addAccelerators = (type: string, count: number) =>
    accelerators.set(type, (accelerators.get(type) ?? 0) + count);

  // The default pool (clusterBody): three nodes in a zonal cluster, one per zone in a regional one.
  addNodes(cluster.machineType, cluster.zonal ? 3 : zones);
  for (const pool of cluster.acceleratorPools) {
    const nodes = pool.nodes.max * zones;
    addNodes(pool.machineType, nodes);
    addAccelerators(pool.accelerator.type, pool.accelerator.count * nodes);
  }
  for (const c of platform.capacityClasses) {
    const perNode = acceleratorsPerNode(c)!;
    const nodes = Math.floor(c.maxAccelerators / perNode);
    addNodes(c.machineType, nodes);
    addAccelerators(c.accelerator?.type ?? c.tpu!.type, nodes * perNode);
  }
  const resourceLimits: ResourceLimit[] = [
    { resourceType: 'cpu', maximum: vcpus },
    { resourceType: 'memory', maximum: memoryGb },
    ...[...accelerators]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([resourceType, maximum]) => ({ resourceType, maximum })),
  ];
  return {
    enableNodeAutoprovisioning: true,
    resourceLimits,
    // Auto-created nodes write metrics like the seeds' pools do.
    autoprovisioningNodePoolDefaults: { oauthScopes: [...nodeOauthScopes] },
  };
}
