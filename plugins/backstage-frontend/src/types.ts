/**
 * The answer of the backend's health route, `GET /api/spillway/health/:namespace/:kind/:name`.
 * A local copy of the fields the card reads from the core's health model
 * (packages/shared/src/health/model.ts), so the browser bundle never pulls the core in.
 */
export interface SpillwayCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export type RegionState = 'healthy' | 'degraded' | 'down' | 'unknown';

export interface SpillwayRegionHealth {
  service: string;
  region: string;
  cluster: string;
  preferred: boolean;
  state: RegionState;
  checks: SpillwayCheck[];
  modelServers?: { ready: number; desired: number };
  hpa?: { current?: number; target?: number; desiredReplicas?: number; metric?: string };
  /** Live KV-cache utilization, a fraction. */
  utilization?: number;
  utilizationSource?: 'monitoring' | 'hpa';
  /** The load balancer's threshold (maxUtilizationPercent / 100), a fraction. */
  threshold?: number;
  gatewayAddress?: string;
  /** The preferred region is full while this (other) region takes traffic. */
  spilling?: boolean;
  drift?: string[];
}

export interface SpillwayLastVerified {
  ok: boolean;
  checkedAt: string;
  failed: string[];
}

export interface SpillwayHealthReport {
  regions: SpillwayRegionHealth[];
  ok: boolean;
  checkedAt: string;
  lastVerified?: Record<string, SpillwayLastVerified>;
}

export interface SpillwayHealthResponse {
  entityRef: string;
  platform: string;
  service: { namespace: string; name: string };
  health: SpillwayHealthReport;
  fetchedAt: string;
}
