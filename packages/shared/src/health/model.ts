/**
 * One health model (ARCHITECTURE.md) per service and region, shared by `status`, `verify`, the
 * verify action's summary and the Backstage card. Plain data.
 */
export interface Check {
  name: string;
  ok: boolean;
  /** What is wrong and what to do, or what was seen. */
  detail: string;
}

export interface RegionHealth {
  service: string;
  region: string;
  cluster: string;
  preferred: boolean;
  /** healthy: every check passes; degraded: it serves but something is off; down: it cannot serve; unknown: unreadable. */
  state: 'healthy' | 'degraded' | 'down' | 'unknown';
  checks: Check[];
  modelServers?: { ready: number; desired: number };
  nodePools?: { name: string; status: string; min: number; max: number }[];
  hpa?: { current?: number; target?: number; desiredReplicas?: number; metric?: string };
  /** Live KV-cache utilization (a fraction), from Cloud Monitoring or, failing that, the HPA. */
  utilization?: number;
  utilizationSource?: 'monitoring' | 'hpa';
  /** The load balancer's threshold (maxUtilizationPercent / 100), for CUSTOM_METRICS. */
  threshold?: number;
  /** The gateway's address in this region. */
  gatewayAddress?: string;
  /** The preferred region is at or above its threshold while this (other) region takes traffic. */
  spilling?: boolean;
  /** Resources of this region whose live state differs from the spec. */
  drift?: string[];
  /** Model servers on a ComputeClass: where their nodes came from, and the tiers found unavailable. */
  capacity?: {
    computeClass: string;
    /** Running model servers per tier, from their nodes' labels. */
    tiers: Partial<Record<CapacityTier, number>>;
    /** The cluster autoscaler's failed scale-ups (events), newest first; `tier` when the event names one. */
    unavailable: { tier?: CapacityTier; reason: string; message: string; at: string }[];
  };
}

/** The provisioning model a node came from. */
export type CapacityTier = 'reservation' | 'on-demand' | 'flex-start' | 'spot';

export interface HealthReport {
  regions: RegionHealth[];
  ok: boolean;
  checkedAt: string;
  /** `verify --failover-drill`: per service, whether the others served and the preferred region recovered. */
  failoverDrills?: Record<string, Check[]>;
  /** `verify --load-test`: per service, the steps, the policy checks and the charts. */
  loadTests?: Record<string, import('./load.js').LoadReport>;
  /** The last `verify` of each service, as recorded in its config cluster. */
  lastVerified?: Record<string, { ok: boolean; checkedAt: string; failed: string[] }>;
}

/** The region's state from its checks: the names of the checks that make a region unable to serve. */
const CRITICAL = new Set([
  'cluster running',
  'model servers ready',
  'pool exported',
  'pool imported',
  'gateway programmed',
]);

export function regionState(checks: Check[]): RegionHealth['state'] {
  if (checks.some((c) => c.name === 'readable' && !c.ok)) return 'unknown';
  if (checks.some((c) => !c.ok && CRITICAL.has(c.name))) return 'down';
  return checks.every((c) => c.ok) ? 'healthy' : 'degraded';
}

/** The header in which the sandbox's gateway names the region that answered (real GKE sends none). */
export const SERVED_REGION_HEADER = 'x-spillway-backend-region';
