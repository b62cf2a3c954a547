import type { Cluster } from '../spec/model.js';
import { certainty, isNewPool, unreadable } from './checks-project.js';
import type { ClassDemand, PoolDemand, Tier } from './demand.js';
import { gpuQuotaMetrics, tpuQuotaMetrics, type QuotaMetrics } from './metrics.js';
import type { Observed, Quota } from './reads.js';
import type { PreflightCheck } from './report.js';

/**
 * Capacity per region: the accelerator offered in each zone and the regional quotas against the
 * pools (classes and reservations: checks-classes.ts). Pure: it judges what reads.ts read.
 */
const QUOTA_TODO = (metric: string, region: string) =>
  `request more ${metric} in ${region} (IAM & Admin → Quotas)`;

function metricsOf(d: PoolDemand | ClassDemand): QuotaMetrics | undefined {
  return d.accelerator.kind === 'gpu'
    ? gpuQuotaMetrics(d.accelerator.type)
    : tpuQuotaMetrics(d.accelerator.type);
}

/** Spot and flex-start draw on the preemptible quota; on-demand on the plain one. */
export function metricFor(d: PoolDemand | ClassDemand, tier: Tier): string | undefined {
  const metrics = metricsOf(d);
  if (!metrics) return undefined;
  return tier.kind === 'onDemand' ? metrics.onDemand : metrics.preemptible;
}

export function regionQuota(o: Observed, region: string, metric: string | undefined): Quota | undefined {
  const read = o.regions.get(region);
  return metric && read?.ok ? read.value.quotas.get(metric) : undefined;
}

/** Whether each cluster's zones offer the GPU its pools and classes use. */
export function acceleratorChecks(o: Observed, region: string): PreflightCheck[] {
  const checks: PreflightCheck[] = [];
  for (const cluster of o.platform.clusters.filter((c) => c.region === region)) {
    const users = o.demand
      .filter((d) => d.accelerator.kind === 'gpu')
      .filter((d) => (d.source === 'pool' ? d.cluster === cluster : d.clusters.includes(cluster)));
    for (const type of new Set(users.map((d) => d.accelerator.type))) {
      const of = users.filter((d) => d.accelerator.type === type);
      // A class's pools are created when its pods need nodes; a pool, only if it is not there yet.
      const creates: 'failure' | 'warning' = of.some((d) => d.source === 'class')
        ? 'failure'
        : of.some((d) => d.source === 'pool' && isNewPool(o, d))
          ? certainty(o)
          : 'warning';
      checks.push(offered(o, cluster, type, creates));
    }
  }
  return checks;
}

function offered(
  o: Observed,
  cluster: Cluster,
  type: string,
  notOffered: 'failure' | 'warning',
): PreflightCheck {
  const name = `accelerator ${type} in ${cluster.location}`;
  const regionRead = o.regions.get(cluster.region)!;
  if (!cluster.zonal && !regionRead.ok)
    return unreadable(
      name,
      regionRead,
      'check that the credentials may read Compute regions (compute.regions.get)',
    );
  const zones = cluster.zonal ? [cluster.location] : regionRead.ok ? regionRead.value.zones : [];
  const reads = zones.map((z) => [z, o.acceleratorTypes.get(z)!] as const);
  const failed = reads.find(([, r]) => !r.ok);
  if (failed && !failed[1].ok)
    return unreadable(
      name,
      failed[1],
      'check that the credentials may list accelerator types (compute.acceleratorTypes.list)',
    );
  const having = reads.filter(([, r]) => r.ok && r.value.has(type)).map(([z]) => z);
  const todo = `run the cluster where ${type} is offered (gcloud compute accelerator-types list --filter="name=${type}") and set its location, or pick another accelerator`;
  if (having.length === zones.length) return { name, found: `offered in ${zones.join(', ')}`, verdict: 'ok' };
  if (having.length === 0) {
    const [zone, read] = reads[0] ?? [];
    const offers = read?.ok ? [...read.value].sort().join(', ') || 'no accelerators' : '';
    return {
      name,
      found:
        `not offered in ${zones.join(', ') || cluster.location}${cluster.zonal && offers ? ` (${zone} offers ${offers})` : ''}` +
        (notOffered === 'warning' ? '; its pools exist, so none is created there' : ''),
      verdict: notOffered,
      todo,
    };
  }
  return {
    name,
    found: `offered in ${having.join(', ')} only, not in ${zones.filter((z) => !having.includes(z)).join(', ')}`,
    verdict: 'warning',
    todo: `give the node pools node locations among ${having.join(', ')}`,
  };
}

/**
 * Committed-use quota (COMMITTED_NVIDIA_…_GPUS) is for on-demand VMs a commitment pays for: shown
 * beside the on-demand quota when the region has any, never a verdict.
 */
function committedNote(quotas: Map<string, Quota>, d: PoolDemand, metric: string): string {
  const committed = metricsOf(d)?.committed;
  const q = committed && metric === metricsOf(d)?.onDemand ? quotas.get(committed) : undefined;
  return q && q.limit > 0 ? `; ${committed}: limit ${q.limit}, in use ${q.usage}` : '';
}

/** The pools of a region against the quota they draw on, summed per quota metric. */
export function poolQuotaChecks(o: Observed, region: string): PreflightCheck[] {
  const pools = o.demand.filter((d): d is PoolDemand => d.source === 'pool' && d.region === region);
  const byMetric = new Map<string, PoolDemand[]>();
  const unlisted: PoolDemand[] = [];
  for (const p of pools) {
    const metric = metricFor(p, p.tier);
    if (metric) byMetric.set(metric, [...(byMetric.get(metric) ?? []), p]);
    else unlisted.push(p);
  }
  const checks = [...byMetric].map(([metric, group]) => poolQuota(o, region, metric, group));
  for (const p of unlisted)
    checks.push({
      name: `quota for ${p.accelerator.type}`,
      found: `regions.get lists no quota for ${p.accelerator.type} (pool ${p.pool})`,
      verdict: 'warning',
      todo: `check the quota for ${p.accelerator.type} in ${region} in the console (IAM & Admin → Quotas)`,
    });
  return checks;
}

function poolQuota(o: Observed, region: string, metric: string, pools: PoolDemand[]): PreflightCheck {
  const name = `quota ${metric}`;
  const read = o.regions.get(region)!;
  if (!read.ok)
    return unreadable(
      name,
      read,
      'check that the credentials may read Compute regions (compute.regions.get)',
    );
  const quota = read.value.quotas.get(metric);
  const names = pools.map((p) => `${p.cluster.name}/${p.pool}`).join(', ');
  if (!quota)
    return {
      name,
      found: `${region} lists no ${metric} (pools ${names})`,
      verdict: 'warning',
      todo: `check the quota in the console (IAM & Admin → Quotas)`,
    };
  const created = pools.filter((p) => isNewPool(o, p)).reduce((n, p) => n + p.initial, 0);
  const most = pools.reduce((n, p) => n + p.max, 0);
  const free = quota.limit - quota.usage;
  const existing = pools.filter((p) => !isNewPool(o, p)).length;
  const found =
    `limit ${quota.limit}, in use ${quota.usage}; pools ${names} need ${created} to be created, up to ${most} at nodes.max` +
    (existing ? ` (${existing} of them exist: their nodes are in that usage)` : '') +
    committedNote(read.value.quotas, pools[0]!, metric);
  const todo = `${QUOTA_TODO(metric, region)}, or lower nodes.initial and nodes.max`;
  // Creating a pool asks for its initial nodes at once: above the limit, GKE refuses it.
  if (quota.limit < created) return { name, found, verdict: certainty(o), todo };
  if (free < most) return { name, found, verdict: 'warning', todo };
  return { name, found, verdict: 'ok' };
}
