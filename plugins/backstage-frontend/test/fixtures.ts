import type { Entity } from '@backstage/catalog-model';
import type {
  RegionHealth as SpillwayRegionHealth,
  SpillwayHealthResponse,
} from '@spillway/backstage-plugin-spillway-common';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'food-review',
    namespace: 'default',
    annotations: { 'spillway.dev/service': 'default/food-review', 'spillway.dev/platform': 'inference-prod' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

const passing = (names: string[]) => names.map((name) => ({ name, ok: true, detail: 'ok' }));

export function region(overrides: Partial<SpillwayRegionHealth> & { region: string }): SpillwayRegionHealth {
  return {
    service: 'food-review',
    cluster: overrides.region === 'us-east4' ? 'gke-east' : 'gke-west',
    preferred: false,
    state: 'healthy',
    checks: passing(['cluster running', 'model servers ready', 'gateway programmed']),
    modelServers: { ready: 2, desired: 2 },
    hpa: { current: 0.2, target: 0.5, desiredReplicas: 2, metric: 'vllm:kv_cache_usage_perc' },
    utilization: 0.2,
    utilizationSource: 'monitoring',
    threshold: 0.8,
    spilling: false,
    ...overrides,
  };
}

export function response(
  regions: SpillwayRegionHealth[],
  extra: Partial<SpillwayHealthResponse['health']> = {},
) {
  return {
    entityRef: 'component:default/food-review',
    platform: 'inference-prod',
    service: { namespace: 'default', name: 'food-review' },
    health: {
      regions,
      ok: regions.every((r) => r.state === 'healthy'),
      checkedAt: '2026-12-05T11:40:00.000Z',
      lastVerified: { 'food-review': { ok: true, checkedAt: '2026-12-05T11:30:00.000Z', failed: [] } },
      ...extra,
    },
    fetchedAt: '2026-12-05T11:40:00.100Z',
  } satisfies SpillwayHealthResponse;
}

export const healthy = response([
  region({ region: 'us-east4', preferred: true, gatewayAddress: '10.5.0.10', utilization: 0.31 }),
  region({ region: 'europe-west3', gatewayAddress: '10.0.0.10', utilization: 0 }),
]);

export const spilling = response([
  region({
    region: 'us-east4',
    preferred: true,
    gatewayAddress: '10.5.0.10',
    utilization: 0.92,
    modelServers: { ready: 10, desired: 10 },
  }),
  region({ region: 'europe-west3', gatewayAddress: '10.0.0.10', utilization: 0.4, spilling: true }),
]);

export const partial = response([
  region({ region: 'us-east4', preferred: true, gatewayAddress: '10.5.0.10' }),
  {
    service: 'food-review',
    region: 'europe-west3',
    cluster: 'gke-west',
    preferred: false,
    state: 'unknown',
    checks: [
      {
        name: 'readable',
        ok: false,
        detail: 'gke-west could not be read: no answer within 10 s — check the cluster and retry',
      },
    ],
  },
]);

/** Servers on a ComputeClass: us-east4's reservation was stocked out, so its nodes are on-demand. */
export const onComputeClass = response([
  region({
    region: 'us-east4',
    preferred: true,
    gatewayAddress: '10.5.0.10',
    capacity: {
      computeClass: 'h100-2',
      tiers: { 'on-demand': 2 },
      unavailable: [
        {
          tier: 'reservation',
          reason: 'FailedScaleUp',
          message:
            'Node scale up for ComputeClass h100-2 failed at priority 0 (reservation h100-block): GCE_STOCKOUT',
          at: '2026-12-05T11:20:00Z',
        },
      ],
    },
  }),
  region({
    region: 'europe-west3',
    gatewayAddress: '10.0.0.10',
    capacity: { computeClass: 'h100-2', tiers: { reservation: 2 }, unavailable: [] },
  }),
]);
