import type { Cluster, Platform, Service } from '../spec/model.js';
import type { CapacityClassSpec, CapacityTierSpec } from '../spec/schema.js';
import { acceleratorsPerNode, tiersFor } from '../spec/capacity-rules.js';
import { parseDuration } from '../spec/capacity-catalog.js';
import type { KubeManifest } from './graph.js';

export const COMPUTE_CLASS_API = 'cloud.google.com/v1';
/** The node selector a pod uses to run on a ComputeClass (GKE adds the matching toleration). */
export const COMPUTE_CLASS_SELECTOR = 'cloud.google.com/compute-class';

/** The node shape every priority of a class repeats: machine type and its GPUs or TPU chips. */
function nodeShape(c: CapacityClassSpec): Record<string, unknown> {
  if (c.accelerator)
    return {
      machineType: c.machineType,
      gpu: { type: c.accelerator.type, count: c.accelerator.count, driverVersion: 'latest' },
    };
  return {
    machineType: c.machineType,
    tpu: { type: c.tpu!.type, count: acceleratorsPerNode(c)!, topology: c.tpu!.topology },
  };
}

/** One ComputeClass priority per tier (the CRD's field names, which some of Google's prose differs from). */
function priority(c: CapacityClassSpec, tier: CapacityTierSpec, project: string): Record<string, unknown> {
  const shape = nodeShape(c);
  const r = tier.reservation;
  if (r?.any) return { ...shape, reservations: { affinity: 'AnyBestEffort' } };
  if (r)
    return {
      ...shape,
      // The reservation is zonal: nodes for this priority can only come from its zone.
      location: { zones: [r.zone!] },
      reservations: { affinity: 'Specific', specific: [{ name: r.name!, project: r.project ?? project }] },
    };
  if (tier.flexStart)
    return {
      ...shape,
      flexStart: { enabled: true },
      maxRunDurationSeconds: parseDuration(tier.flexStart.maxRunDuration)!,
    };
  return { ...shape, spot: tier.spot !== undefined };
}

/**
 * A capacity class as the cluster's ComputeClass: the tiers it can use (reservations in its zones
 * only), pools created on demand, never a fallback to general-purpose nodes unless the spec says so,
 * and active migration back up the ladder when a better tier has capacity (the servers' PDB keeps
 * a replica serving meanwhile).
 */
export function computeClass(
  platform: Platform,
  cluster: Cluster,
  c: CapacityClassSpec,
  labels: Record<string, string>,
): KubeManifest {
  return {
    apiVersion: COMPUTE_CLASS_API,
    kind: 'ComputeClass',
    metadata: { name: c.name, labels },
    spec: {
      priorities: tiersFor(c, cluster.location).map((t) => priority(c, t, platform.projectId)),
      nodePoolAutoCreation: { enabled: true },
      activeMigration: { optimizeRulePriority: true },
      whenUnsatisfiable: c.whenUnsatisfiable,
    },
  };
}

/** The class a service runs on, or undefined when it runs on the clusters' accelerator pools. */
export function serviceClass(service: Service): CapacityClassSpec | undefined {
  const name = service.model.capacityClass;
  return name === undefined ? undefined : service.platform.capacityClasses.find((c) => c.name === name);
}

/**
 * Evictions (active migration, upgrades) never take a region's last ready model server:
 * minAvailable 1. maxUnavailable 1 would let an eviction take a region's only replica and empty it
 * while the gateway still prefers it. Pods that never got ready may always be evicted, so a stuck
 * rollout does not pin a node.
 */
export function serverDisruptionBudget(service: Service, labels: Record<string, string>): KubeManifest {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: service.pool.name, namespace: service.namespace, labels },
    spec: {
      minAvailable: 1,
      selector: { matchLabels: { app: service.pool.name } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
