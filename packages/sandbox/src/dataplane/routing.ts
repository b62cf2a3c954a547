/**
 * Which backend takes the next request, as a GCPBackendPolicy with `backendPreference: PREFERRED`
 * says (seed 000, GKE-FACTS.md). Pure: the gateway gathers the facts, this decides.
 *
 * Tiers, first match wins:
 *   1. healthy backends of the preferred regions with room (below the threshold);
 *   2. healthy backends of the other regions with room;
 *   3. CUSTOM_METRICS only: the least utilized healthy backend anywhere (everything is full, so
 *      the load balancer still sends it somewhere). IN_FLIGHT never exceeds its limit: no choice.
 * Within a tier the least loaded wins; exact ties rotate by `turn` so idle backends share.
 */
export type BalancingPolicy =
  | { mode: 'CUSTOM_METRICS'; maxUtilizationPercent: number; preferredRegions: string[] }
  | { mode: 'IN_FLIGHT'; maxInFlightRequestsPerEndpoint: number; preferredRegions: string[] };

export interface BackendView {
  url: string;
  region: string;
  healthy: boolean;
  /** Estimated custom-metric utilization (a fraction; above 1 reads as full). CUSTOM_METRICS only. */
  utilization: number;
  /** Requests in flight to this backend through the gateway. */
  inFlight: number;
}

export type Tier = 'preferred' | 'spillover' | 'overflow';

export interface Choice {
  backend: BackendView;
  tier: Tier;
}

/** The load figure compared against the policy's limit: a fraction where 1 is the limit's scale. */
export function loadOf(backend: BackendView, policy: BalancingPolicy): number {
  return policy.mode === 'IN_FLIGHT'
    ? backend.inFlight / policy.maxInFlightRequestsPerEndpoint
    : backend.utilization;
}

export function hasRoom(backend: BackendView, policy: BalancingPolicy): boolean {
  return policy.mode === 'IN_FLIGHT'
    ? backend.inFlight < policy.maxInFlightRequestsPerEndpoint
    : backend.utilization < policy.maxUtilizationPercent / 100;
}

function leastLoaded(
  candidates: BackendView[],
  policy: BalancingPolicy,
  turn: number,
): BackendView | undefined {
  if (candidates.length === 0) return undefined;
  const key = (b: BackendView) => [loadOf(b, policy), b.inFlight] as const;
  let best: BackendView[] = [];
  for (const b of candidates) {
    const first = best[0];
    if (!first) {
      best = [b];
      continue;
    }
    const [l, f] = key(b);
    const [bl, bf] = key(first);
    if (l < bl || (l === bl && f < bf)) best = [b];
    else if (l === bl && f === bf) best.push(b);
  }
  return best[((turn % best.length) + best.length) % best.length];
}

export function chooseBackend(
  backends: BackendView[],
  policy: BalancingPolicy,
  turn = 0,
): Choice | undefined {
  const healthy = backends.filter((b) => b.healthy);
  const preferred = new Set(policy.preferredRegions);
  const withRoom = healthy.filter((b) => hasRoom(b, policy));
  const tiers: [Tier, BackendView[]][] = [
    ['preferred', withRoom.filter((b) => preferred.has(b.region))],
    ['spillover', withRoom.filter((b) => !preferred.has(b.region))],
  ];
  if (policy.mode === 'CUSTOM_METRICS') tiers.push(['overflow', healthy]);
  for (const [tier, candidates] of tiers) {
    const backend = leastLoaded(candidates, policy, turn);
    if (backend) return { backend, tier };
  }
  return undefined;
}
