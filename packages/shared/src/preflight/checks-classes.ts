import { GPU_MACHINES } from '../spec/catalog.js';
import { metricFor, regionQuota } from './checks-capacity.js';
import { describeTier, type ClassDemand, type Tier } from './demand.js';
import { reservationKey, type Observed } from './reads.js';
import { unreadable, type PreflightCheck } from './report.js';

/** Each capacity class's tiers against its budget, and each reservation a class names. Pure. */
interface TierCapacity {
  tier: Tier;
  label: string;
  /** At most, with nothing else running (a quota's limit, a reservation's size); undefined: unknown. */
  ceiling?: number;
  /** Now (limit − usage; a reservation's VMs not in use). */
  free?: number;
}

function tierCapacity(o: Observed, d: ClassDemand, tier: Tier): TierCapacity {
  const label = describeTier(tier);
  if (tier.kind === 'anyReservation')
    return { tier, label: `${label}: not checked (any matching reservation)` };
  if (tier.kind === 'reservation') {
    const read = o.reservations.get(reservationKey(tier))!;
    if (!read.ok)
      return read.notFound
        ? { tier, label: `${label}: not found`, ceiling: 0, free: 0 }
        : { tier, label: `${label}: could not be read` };
    const r = read.value;
    if (r.machineType !== d.machineType)
      return { tier, label: `${label}: holds ${r.machineType}`, ceiling: 0, free: 0 };
    const perVm = r.accelerator?.count ?? GPU_MACHINES[r.machineType]?.count ?? d.perNode;
    const free = (r.count - r.inUseCount) * perVm;
    return { tier, label: `${label}: ${free} of ${r.count * perVm} free`, ceiling: r.count * perVm, free };
  }
  const metric = metricFor(d, tier);
  const quota = regionQuota(o, d.region, metric);
  if (!quota) return { tier, label: `${label}: ${metric ?? 'its quota'} not listed` };
  return {
    tier,
    label: `${label} ${metric}: ${quota.limit - quota.usage} of ${quota.limit} free`,
    ceiling: quota.limit,
    free: quota.limit - quota.usage,
  };
}

/**
 * A class's tiers against its budget. Certain only when every tier is short: no tier could give
 * even one node. A tier that cannot give the whole budget is a warning naming it.
 */
export function classChecks(o: Observed, region: string): PreflightCheck[] {
  const classes = o.demand.filter((d): d is ClassDemand => d.source === 'class' && d.region === region);
  return classes.map((d) => {
    const name = `class ${d.name}`;
    const tiers = d.tiers.map((t) => tierCapacity(o, d, t));
    const found = `${d.budget} ${d.accelerator.kind === 'gpu' ? 'GPUs' : 'TPU chips'} at most (${d.perNode} a node); ${tiers.map((t) => t.label).join('; ') || 'no tier in this region'}`;
    const empty = (t: TierCapacity) => t.ceiling !== undefined && t.ceiling < d.perNode;
    if (tiers.length && tiers.every(empty))
      return {
        name,
        found,
        verdict: 'failure',
        todo: `no tier can give one node: raise a quota, fix or create the reservation, or add a tier that has capacity to spec.capacityClasses (${d.name}).order`,
      };
    if (tiers.length && tiers.every((t) => t.ceiling === undefined))
      return {
        name,
        found,
        verdict: 'warning',
        todo: `no tier could be checked here: see the quota for ${d.accelerator.type} in ${region} in the console (IAM & Admin → Quotas)`,
      };
    const short = tiers.filter((t) => (t.ceiling ?? Infinity) < d.budget || (t.free ?? Infinity) < d.budget);
    if (short.length)
      return {
        name,
        found,
        verdict: 'warning',
        todo: `short of the budget (maxAccelerators): ${short.map((t) => describeTier(t.tier)).join(', ')}; the class falls to its next tier there`,
      };
    return { name, found, verdict: 'ok' };
  });
}

/** Each named reservation: there, in that zone, for that machine type. */
export function reservationChecks(o: Observed, region: string): PreflightCheck[] {
  const seen = new Set<string>();
  const checks: PreflightCheck[] = [];
  for (const d of o.demand) {
    if (d.source !== 'class' || d.region !== region) continue;
    for (const tier of d.tiers) {
      if (tier.kind !== 'reservation' || seen.has(`${reservationKey(tier)}|${d.machineType}`)) continue;
      seen.add(`${reservationKey(tier)}|${d.machineType}`);
      const name = `reservation ${tier.name} in ${tier.zone}`;
      const read = o.reservations.get(reservationKey(tier))!;
      const where = `spec.capacityClasses (${d.name}).order[].reservation`;
      if (!read.ok) {
        checks.push(
          read.notFound
            ? {
                name,
                found: `not found in project ${tier.project}, zone ${tier.zone}`,
                verdict: 'failure',
                todo: `fix the name, zone or project in ${where} (gcloud compute reservations list --project=${tier.project}), or create the reservation`,
              }
            : unreadable(
                name,
                read,
                'check that the credentials may read reservations (compute.reservations.get)',
              ),
        );
        continue;
      }
      const r = read.value;
      const found = `${r.count} × ${r.machineType}, ${r.inUseCount} in use`;
      checks.push(
        r.machineType === d.machineType
          ? { name, found, verdict: 'ok' }
          : {
              name,
              found,
              verdict: 'failure',
              todo: `class ${d.name} asks for ${d.machineType}: name a reservation of ${d.machineType} in ${where}, or change the class's machineType`,
            },
      );
    }
  }
  return checks;
}
