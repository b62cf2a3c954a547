import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';
import { lbMetricName } from './autoscaling.js';

/** In the config cluster only (GKE-FACTS.md §12): the cross-region Gateway and what attaches to it. */
export const GATEWAY_CLASS = 'gke-l7-cross-regional-internal-managed-mc';
const IMPORT_TARGET = (pool: string) => ({
  group: 'networking.gke.io',
  kind: 'GCPInferencePoolImport',
  name: pool,
});

export function gatewayObjects(service: Service, labels: Record<string, string>): KubeManifest[] {
  const pool = service.pool.name;
  const namespace = service.namespace;
  const b = service.balancing;
  const policyDefault =
    b.mode === 'CUSTOM_METRICS'
      ? {
          timeoutSec: service.gateway.timeoutSec,
          balancingMode: 'CUSTOM_METRICS',
          trafficDuration: 'LONG',
          // maxUtilizationPercent, not seed 002's maxUtilization (the schema rejects that).
          customMetrics: [
            {
              name: lbMetricName(service.model.exportName),
              maxUtilizationPercent: b.maxUtilizationPercent,
              dryRun: false,
            },
          ],
        }
      : {
          timeoutSec: service.gateway.timeoutSec,
          balancingMode: 'IN_FLIGHT',
          trafficDuration: 'LONG',
          maxInFlightRequestsPerEndpoint: b.maxInFlightRequestsPerEndpoint,
        };
  return [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: service.gateway.name, namespace, labels },
      spec: {
        gatewayClassName: GATEWAY_CLASS,
        addresses: service.regions.map((region) => ({
          type: `networking.gke.io/ephemeral-ipv4-address/${region}`,
          value: region,
        })),
        listeners: [
          {
            name: 'http',
            protocol: 'HTTP',
            port: service.gateway.port,
            allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }], namespaces: { from: 'Same' } },
          },
        ],
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: `${pool}-route`, namespace, labels },
      spec: {
        parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: service.gateway.name }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [IMPORT_TARGET(pool)],
          },
        ],
      },
    },
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'HealthCheckPolicy',
      metadata: { name: `${pool}-import`, namespace, labels },
      spec: {
        targetRef: IMPORT_TARGET(pool),
        default: {
          config: {
            type: 'HTTP',
            httpHealthCheck: { requestPath: service.gateway.healthCheckPath, port: service.pool.targetPort },
          },
        },
      },
    },
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'GCPBackendPolicy',
      metadata: { name: `${pool}-import`, namespace, labels },
      spec: {
        targetRef: IMPORT_TARGET(pool),
        default: {
          ...policyDefault,
          // scopes[] belongs inside default (the schema has no spec.scopes).
          ...(b.preferredRegions.length
            ? {
                scopes: b.preferredRegions.map((region) => ({
                  selector: { 'gke.io/region': region },
                  backendPreference: 'PREFERRED',
                })),
              }
            : {}),
        },
      },
    },
  ];
}
