import type { CapacityClassSpec, CapacityTierSpec } from '../spec/schema.js';
import type { Cluster, Platform } from '../spec/model.js';
import { tpuChips } from './metrics.js';

/**
 * What a platform could ask for at most, per region: pure, from the spec alone. Pools draw on one
 * kind of capacity (Spot or on-demand); a capacity class on its tiers, tried in order.
 */
export type Accelerator = { kind: 'gpu'; type: string } | { kind: 'tpu'; type: string };

export type Tier =
  | { kind: 'onDemand' }
  | { kind: 'spot' }
  | { kind: 'flexStart' }
  | { kind: 'reservation'; name: string; zone: string; project: string }
  | { kind: 'anyReservation' };

export interface PoolDemand {
  source: 'pool';
  region: string;
  cluster: Cluster;
  pool: string;
  accelerator: Accelerator;
  machineType: string;
  tier: Tier;
  /** Accelerators at the pool's initial size (what its create asks for) and at its maximum. */
  initial: number;
  max: number;
}

export interface ClassDemand {
  source: 'class';
  region: string;
  /** The platform's clusters in this region (each gets the class, each with the budget). */
  clusters: Cluster[];
  name: string;
  accelerator: Accelerator;
  machineType: string;
  tiers: Tier[];
  /** One node's accelerators: a tier that cannot give this much can give nothing. */
  perNode: number;
  /** maxAccelerators × the region's clusters. */
  budget: number;
}

export function tierOf(tier: CapacityTierSpec, project: string): Tier | undefined {
  if (tier.reservation) {
    const r = tier.reservation;
    if (r.any || !r.name || !r.zone) return { kind: 'anyReservation' };
    return { kind: 'reservation', name: r.name, zone: r.zone, project: r.project ?? project };
  }
  if (tier.onDemand) return { kind: 'onDemand' };
  if (tier.flexStart) return { kind: 'flexStart' };
  if (tier.spot) return { kind: 'spot' };
  return undefined;
}

export function describeTier(tier: Tier): string {
  switch (tier.kind) {
    case 'reservation':
      return `reservation ${tier.name} (${tier.zone})`;
    case 'anyReservation':
      return 'any reservation';
    case 'onDemand':
      return 'on-demand';
    case 'flexStart':
      return 'flex-start';
    case 'spot':
      return 'Spot';
  }
}

function classAccelerator(c: CapacityClassSpec): { accelerator: Accelerator; perNode: number } | undefined {
  if (c.accelerator)
    return { accelerator: { kind: 'gpu', type: c.accelerator.type }, perNode: c.accelerator.count };
  if (c.tpu) return { accelerator: { kind: 'tpu', type: c.tpu.type }, perNode: tpuChips(c.tpu.topology) };
  return undefined;
}

/** Zones a cluster's nodes may be in, as far as the spec says (a regional cluster: unknown here). */
export function specZones(cluster: Cluster): string[] | undefined {
  return cluster.zonal ? [cluster.location] : undefined;
}

const inCluster = (cluster: Cluster, zone: string) =>
  cluster.zonal ? cluster.location === zone : zone.startsWith(`${cluster.region}-`);

export function platformDemand(platform: Platform): (PoolDemand | ClassDemand)[] {
  const out: (PoolDemand | ClassDemand)[] = [];
  for (const cluster of platform.clusters) {
    for (const pool of cluster.acceleratorPools) {
      const tpu = (pool as { tpu?: { type: string; topology: string } }).tpu;
      const accelerator: Accelerator = tpu
        ? { kind: 'tpu', type: tpu.type }
        : { kind: 'gpu', type: pool.accelerator.type };
      const perNode = tpu ? tpuChips(tpu.topology) : pool.accelerator.count;
      out.push({
        source: 'pool',
        region: cluster.region,
        cluster,
        pool: pool.name,
        accelerator,
        machineType: pool.machineType,
        tier: pool.spot ? { kind: 'spot' } : { kind: 'onDemand' },
        initial: pool.nodes.initial * perNode,
        max: pool.nodes.max * perNode,
      });
    }
  }
  const regions = [...new Set(platform.clusters.map((c) => c.region))];
  for (const c of platform.capacityClasses) {
    const shape = classAccelerator(c);
    if (!shape) continue;
    for (const region of regions) {
      const clusters = platform.clusters.filter((k) => k.region === region);
      // A reservation is zonal: a region's classes carry only the reservations in its zones.
      const tiers = c.order
        .map((t) => tierOf(t, platform.projectId))
        .filter((t): t is Tier => !!t)
        .filter((t) => t.kind !== 'reservation' || clusters.some((k) => inCluster(k, t.zone)));
      out.push({
        source: 'class',
        region,
        clusters,
        name: c.name,
        accelerator: shape.accelerator,
        machineType: c.machineType,
        tiers,
        perNode: shape.perNode,
        budget: c.maxAccelerators * clusters.length,
      });
    }
  }
  return out;
}
