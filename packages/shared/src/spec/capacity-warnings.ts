import type { Path, SpecIssue } from './errors.js';
import { formatPath } from './errors.js';
import type { Typed } from './rules.js';
import type { PlatformDoc, ServiceDoc } from './schema.js';
import { regionOf } from './catalog.js';
import { SPOT_OR_FLEX_START_ONLY } from './capacity-catalog.js';
import { acceleratorsPerNode, classReplicas, reservationServes } from './capacity-rules.js';

const located = (doc: Typed<unknown>['doc'], path: Path, message: string, hint: string): SpecIssue => ({
  file: doc.file,
  ...doc.locate(path),
  path: formatPath(path),
  message,
  hint,
});

/**
 * Capacity that a valid spec may not get, none of which can break an apply: the HPA stops at what
 * fits, a class grows the pools, an unusable tier is skipped.
 */
export function capacityWarnings(
  platforms: Typed<PlatformDoc>[],
  services: Typed<ServiceDoc>[],
): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const { doc, value } of platforms) {
    value.spec.capacityClasses.forEach((c, i) => {
      const perNode = acceleratorsPerNode(c);
      if (perNode && c.maxAccelerators >= perNode && c.maxAccelerators % perNode !== 0) {
        const usable = Math.floor(c.maxAccelerators / perNode) * perNode;
        out.push(
          located(
            doc,
            ['spec', 'capacityClasses', i, 'maxAccelerators'],
            `${c.maxAccelerators} is not a multiple of the ${perNode} accelerators of one ${c.machineType} node: only ${usable} can be used`,
            `set maxAccelerators to ${usable} or ${usable + perNode}`,
          ),
        );
      }
      c.order.forEach((tier, j) => {
        const at = ['spec', 'capacityClasses', i, 'order', j];
        const zone = tier.reservation?.zone;
        if (zone && !value.spec.clusters.some((cl) => reservationServes(cl.location, zone)))
          out.push(
            located(
              doc,
              [...at, 'reservation', 'zone'],
              `no cluster of the platform is in ${zone}, so no cluster uses this reservation`,
              `name a reservation in a zone of the clusters (${value.spec.clusters.map((cl) => cl.location).join(', ')}), or drop the tier`,
            ),
          );
        if (tier.reservation && SPOT_OR_FLEX_START_ONLY.has(c.machineType))
          out.push(
            located(
              doc,
              [...at, 'reservation'],
              `${c.machineType} may not come from a reservation: Compute Engine's A3 High page names only Spot and flex-start VMs for it (other sources add reservations)`,
              'keep the tier if your reservation holds this machine type (preflight checks it); otherwise use a3-highgpu-8g for reserved capacity',
            ),
          );
      });
    });
  }
  out.push(...sharedBudgetWarnings(platforms));
  out.push(...onDemandPoolWarnings(platforms));
  for (const { doc, value } of services) {
    const platform = platforms.find((p) => p.value.metadata.name === value.spec.platform)?.value;
    if (platform) out.push(...maxReplicasWarnings(doc, value.spec, platform));
  }
  return out;
}

/** maxReplicas above what a region holds: the HPA stops there, so it is said, not refused. */
function maxReplicasWarnings(
  doc: Typed<unknown>['doc'],
  spec: ServiceDoc['spec'],
  platform: PlatformDoc,
): SpecIssue[] {
  const gpus = spec.model.gpusPerReplica;
  const max = spec.autoscaling.maxReplicas;
  const regions = spec.regions ?? platform.spec.clusters.map((c) => regionOf(c.location));
  const at = ['spec', 'autoscaling', 'maxReplicas'];
  const named = spec.model.capacityClass;
  if (named) {
    const c = platform.spec.capacityClasses.find((k) => k.name === named);
    if (!c) return [];
    const budget = classReplicas(c, gpus);
    return max > budget
      ? [
          located(
            doc,
            at,
            `${max} replicas of ${gpus} accelerator(s) exceed class ${c.name}'s budget of ${c.maxAccelerators} per cluster (${budget} replicas); GKE adds no node past the budget, so the extra replicas would stay Pending`,
            `lower maxReplicas to ${budget}, or raise the class's maxAccelerators`,
          ),
        ]
      : [];
  }
  const out: SpecIssue[] = [];
  for (const cluster of platform.spec.clusters) {
    if (!regions.includes(regionOf(cluster.location)) || cluster.acceleratorPools.length === 0) continue;
    const capacity = cluster.acceleratorPools.reduce(
      (sum, p) => sum + Math.floor(p.accelerator.count / gpus) * p.nodes.max,
      0,
    );
    if (max > capacity)
      out.push(
        located(
          doc,
          at,
          `${max} replicas of ${gpus} GPU(s) do not fit in cluster ${cluster.name}, whose pools hold at most ${capacity}; the extra replicas would stay Pending while the load spills to other regions`,
          `lower maxReplicas to ${capacity}, raise the pools' nodes.max, or run the service on a capacity class`,
        ),
      );
  }
  return out;
}

/**
 * An accelerator pool without spot on a machine type sold only as Spot or flex-start: its nodes
 * would not come. A warning, not an error, so specs written before this was known still validate.
 */
function onDemandPoolWarnings(platforms: Typed<PlatformDoc>[]): SpecIssue[] {
  return platforms.flatMap(({ doc, value }) =>
    value.spec.clusters.flatMap((cluster, i) =>
      cluster.acceleratorPools.flatMap((pool, j) =>
        !pool.spot && SPOT_OR_FLEX_START_ONLY.has(pool.machineType)
          ? [
              located(
                doc,
                ['spec', 'clusters', i, 'acceleratorPools', j, 'machineType'],
                `${pool.machineType} is not sold on demand (only as Spot or flex-start VMs), and this pool is not spot: its nodes may never come`,
                'set spot: true, use a3-highgpu-8g, or move the cluster to a capacity class with flexStart and spot tiers',
              ),
            ]
          : [],
      ),
    ),
  );
}

/**
 * Node auto-provisioning limits each accelerator type cluster-wide (render/cluster-autoscaling.ts):
 * classes on one type, or a class beside pools of its type, share one limit, so one class may use
 * what the others leave idle. Said, not refused: the total stays within the budgets' sum.
 */
function sharedBudgetWarnings(platforms: Typed<PlatformDoc>[]): SpecIssue[] {
  const out: SpecIssue[] = [];
  for (const { doc, value } of platforms) {
    const typeOf = (c: PlatformDoc['spec']['capacityClasses'][number]) => c.accelerator?.type ?? c.tpu?.type;
    value.spec.capacityClasses.forEach((c, i) => {
      const type = typeOf(c);
      const classes = value.spec.capacityClasses
        .filter((o) => o !== c && typeOf(o) === type)
        .map((o) => o.name);
      const pools = value.spec.clusters.some((cl) =>
        cl.acceleratorPools.some((p) => p.accelerator.type === type),
      );
      if (!type || (classes.length === 0 && !pools)) return;
      const sharers = [
        ...(classes.length ? [`class${classes.length > 1 ? 'es' : ''} ${classes.join(', ')}`] : []),
        ...(pools ? ["the clusters' own pools"] : []),
      ];
      out.push(
        located(
          doc,
          ['spec', 'capacityClasses', i, 'maxAccelerators'],
          `${type} is also used by ${sharers.join(' and ')}: GKE limits each accelerator type per cluster, so this class's budget is shared and it may grow past ${c.maxAccelerators} while the others leave theirs idle`,
          'give each class its own accelerator type if each budget must hold on its own; the total stays within the sum of the budgets',
        ),
      );
    });
  }
  return out;
}
