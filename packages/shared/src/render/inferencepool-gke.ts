import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';
import { RBAC, type ChartNames } from './inferencepool-common.js';

/**
 * What both chart versions render for `provider.name=gke`: the pool's own policies, and Managed
 * Prometheus scraping the EPP with a metrics-reader token (v1.0.1: `monitoring.gke.enabled`;
 * v1.5.0: `monitoring.prometheus.enabled` with `auth.enabled`). Differences from the charts:
 * the health check path is the service's gateway.healthCheckPath (the charts hard-code /health),
 * and its port is the pool's target port (v1.5.0's own rule; v1.0.1 took targetPortNumber).
 */
export function gkePoolPolicies(service: Service, n: ChartNames): KubeManifest[] {
  return [
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'HealthCheckPolicy',
      metadata: { name: n.pool, namespace: n.namespace, labels: n.chartLabels },
      spec: {
        targetRef: n.poolTarget,
        default: {
          timeoutSec: 2,
          checkIntervalSec: 2,
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
      metadata: { name: n.pool, namespace: n.namespace, labels: n.chartLabels },
      spec: { targetRef: n.poolTarget, default: { timeoutSec: 300, logging: { enabled: true } } },
    },
  ];
}

/** The metrics-reader names gke templates derive from the release (the pool) and its namespace. */
export function metricsReaderNames(n: ChartNames) {
  return {
    serviceAccount: `${n.pool}-metrics-reader-sa`,
    secret: `${n.pool}-metrics-reader-secret`,
    clusterRole: `${n.namespace}-${n.pool}-metrics-reader`,
    clusterRoleBinding: `${n.namespace}-${n.pool}-metrics-reader-role-binding`,
    secretReadRole: `${n.pool}-metrics-reader-secret-read`,
    // Standard clusters: Managed Prometheus' collector runs in gmp-system.
    collectorRoleBinding: `gmp-system:collector:${n.namespace}-${n.pool}-metrics-reader-secret-read`,
  };
}

export function gkeManagedPrometheus(n: ChartNames): KubeManifest[] {
  const m = metricsReaderNames(n);
  const { namespace, labels } = n;
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: m.serviceAccount, namespace, labels } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: m.secret,
        namespace,
        labels: n.chartLabels,
        annotations: { 'kubernetes.io/service-account.name': m.serviceAccount },
      },
      type: 'kubernetes.io/service-account-token',
    },
    {
      apiVersion: 'monitoring.googleapis.com/v1',
      kind: 'PodMonitoring',
      metadata: { name: n.pool, namespace, labels: n.chartLabels },
      spec: {
        endpoints: [
          {
            port: 'metrics',
            scheme: 'http',
            interval: '10s',
            path: '/metrics',
            authorization: { type: 'Bearer', credentials: { secret: { name: m.secret, key: 'token' } } },
          },
        ],
        selector: { matchLabels: n.selector },
      },
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: m.clusterRole, labels },
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: m.clusterRoleBinding, labels },
      subjects: [{ kind: 'ServiceAccount', name: m.serviceAccount, namespace }],
      roleRef: { kind: 'ClusterRole', name: m.clusterRole, apiGroup: 'rbac.authorization.k8s.io' },
    },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: m.secretReadRole, namespace, labels },
      rules: [
        {
          resources: ['secrets'],
          apiGroups: [''],
          verbs: ['get', 'list', 'watch'],
          resourceNames: [m.secret],
        },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: m.collectorRoleBinding, namespace, labels },
      roleRef: { name: m.secretReadRole, kind: 'Role', apiGroup: 'rbac.authorization.k8s.io' },
      subjects: [{ name: 'collector', namespace: 'gmp-system', kind: 'ServiceAccount' }],
    },
  ];
}
