/**
 * What regions.get reports as usage: the accelerators of the node pools GKE runs, per project,
 * region and quota metric (Spot pools on the preemptible metric), on top of the usage a test set.
 */
import { gpuMetric } from './compute-capacity.js';

/** metric → accelerators in use in one region of one project. */
export type AcceleratorUsage = (project: string, region: string) => Record<string, number>;

const regionOf = (location: string) => location.replace(/-[a-z]$/, '');

/** Usage from GKE's state: each pool's nodes (current, else initial) × accelerators per node, per zone. */
export function nodePoolUsage(gke: () => { clusters: Record<string, any> } | undefined): AcceleratorUsage {
  return (project, region) => {
    const usage: Record<string, number> = {};
    for (const cluster of Object.values(gke()?.clusters ?? {})) {
      if (
        !String(cluster.selfLink).includes(`/projects/${project}/`) ||
        regionOf(cluster.location) !== region
      )
        continue;
      for (const pool of cluster.nodePools ?? []) {
        const accelerator = pool.config?.accelerators?.[0];
        const metric =
          accelerator &&
          gpuMetric(accelerator.acceleratorType, !!(pool.config?.spot || pool.config?.preemptible));
        if (!metric || pool.status === 'PROVISIONING') continue;
        const zones = pool.locations?.length ?? 1;
        const nodes = Number(pool.currentNodeCount ?? pool.initialNodeCount ?? 0) * zones;
        usage[metric] = (usage[metric] ?? 0) + nodes * Number(accelerator.acceleratorCount ?? 0);
      }
    }
    return usage;
  };
}
