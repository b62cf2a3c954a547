/**
 * The health model is the core's (@spillway/shared): one model for `status`, `verify`, the
 * actions and the card. These are type-only re-exports, inlined into this package's published
 * declarations (api-extractor's rollup), so the frontend gets the core's types without its code.
 */
export type { CapacityTier, Check, HealthReport, LoadReport, LoadStep, RegionHealth } from '@spillway/shared';
import type { HealthReport } from '@spillway/shared';

/** A region's state, as the card shows it. */
export type RegionState = HealthReport['regions'][number]['state'];

/** A service in a platform's clusters: the Kubernetes namespace and the InferenceService's name. */
export interface SpillwayServiceRef {
  namespace: string;
  name: string;
}

/** What `GET /api/spillway/health/:namespace/:kind/:name` answers. */
export interface SpillwayHealthResponse {
  entityRef: string;
  /** The configured platform (spillway.platforms[].name) the entity's annotation names. */
  platform: string;
  service: SpillwayServiceRef;
  health: HealthReport;
  /** When the backend read the health (a cached answer keeps its first time). */
  fetchedAt: string;
}

/** What `GET /api/spillway/platforms/:name` answers: what a template may offer for a service on it. */
export interface SpillwayPlatformResponse {
  /** The configured platform's name (spillway.platforms[].name). */
  name: string;
  /** Its regions, one per cluster, in the spec's order. */
  regions: SpillwayPlatformRegion[];
}

export interface SpillwayPlatformRegion {
  region: string;
  cluster: string;
  /** The cluster holding the multi-cluster gateway's config. */
  configCluster: boolean;
}
