import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';

/**
 * What the gateway-api-inference-extension `inferencepool` chart v1.0.1 renders with
 * `provider.name=gke` and `inferenceExtension.monitoring.gke.enabled=true` (seed 000's helm install),
 * written in TypeScript so rendering stays pure. Differences from the chart, each on purpose:
 * - the EPP reads the KV-cache metric the model server really exports (v1.0.1 defaults to the old name);
 * - the health check port is the pool's target port (the chart takes it from targetPortNumber);
 * - the health check path is the service's gateway.healthCheckPath (the chart hard-codes /health);
 * - every object carries Spillway's ownership labels.
 */
export const EPP_IMAGE = 'registry.k8s.io/gateway-api-inference-extension/epp:v1.0.1';
export const CHART_VERSION = 'v1.0.1';
export const EPP_GRPC_PORT = 9002;
export const POOL_API = 'inference.networking.k8s.io/v1';
const RBAC = 'rbac.authorization.k8s.io/v1';

/** The chart's `gateway-api-inference-extension.name`: release name truncated to 40, plus -epp. */
export const eppName = (pool: string) => `${pool.slice(0, 40)}-epp`;

export function inferencePoolChart(service: Service, labels: Record<string, string>): KubeManifest[] {
  const pool = service.pool.name;
  const namespace = service.namespace;
  const epp = eppName(pool);
  const chartLabels = {
    ...labels,
    'app.kubernetes.io/name': epp,
    'app.kubernetes.io/version': CHART_VERSION,
  };
  const selector = { inferencepool: epp };
  const clusterRbac = `${pool.slice(0, 40)}-${namespace.slice(0, 40)}-epp`;
  const metricsReaderSa = `${pool}-metrics-reader-sa`;
  const metricsSecret = `${pool}-metrics-reader-secret`;
  const metricsRole = `${namespace}-${pool}-metrics-reader`;
  const secretReadRole = `${pool}-metrics-reader-secret-read`;
  const poolTarget = { group: 'inference.networking.k8s.io', kind: 'InferencePool', name: pool };

  return [
    {
      apiVersion: POOL_API,
      kind: 'InferencePool',
      metadata: {
        name: pool,
        namespace,
        labels: chartLabels,
        // GKE then creates a GCPInferencePoolImport of the same name in the config cluster.
        annotations: { 'networking.gke.io/export': 'True' },
      },
      spec: {
        targetPorts: [{ number: service.pool.targetPort }],
        selector: { matchLabels: { app: pool } },
        endpointPickerRef: { name: epp, port: { number: EPP_GRPC_PORT } },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: epp, namespace, labels },
      data: {
        'default-plugins.yaml': [
          'apiVersion: inference.networking.x-k8s.io/v1alpha1',
          'kind: EndpointPickerConfig',
          'plugins:',
          '- type: queue-scorer',
          '- type: kv-cache-utilization-scorer',
          '- type: prefix-cache-scorer',
          'schedulingProfiles:',
          '- name: default',
          '  plugins:',
          '  - pluginRef: queue-scorer',
          '  - pluginRef: kv-cache-utilization-scorer',
          '  - pluginRef: prefix-cache-scorer',
          '',
        ].join('\n'),
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: epp, namespace, labels: chartLabels },
      spec: {
        replicas: 1,
        // One active replica keeps the prefix-cache scorer's state coherent (the chart's reasoning).
        strategy: { type: 'Recreate' },
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: selector },
          spec: {
            serviceAccountName: epp,
            terminationGracePeriodSeconds: 130,
            containers: [
              {
                name: 'epp',
                image: EPP_IMAGE,
                imagePullPolicy: 'Always',
                args: [
                  '--pool-name',
                  pool,
                  '--pool-namespace',
                  namespace,
                  // The chart passes the group whenever its apiVersion is not the bare group, i.e. always.
                  '--pool-group',
                  POOL_API.split('/')[0]!,
                  '--zap-encoder',
                  'json',
                  '--config-file',
                  '/config/default-plugins.yaml',
                  '--kv-cache-usage-percentage-metric',
                  service.model.kvCacheMetric,
                  '--v',
                  '1',
                ],
                ports: [
                  { name: 'grpc', containerPort: EPP_GRPC_PORT },
                  { name: 'grpc-health', containerPort: 9003 },
                  { name: 'metrics', containerPort: 9090 },
                ],
                livenessProbe: {
                  grpc: { port: 9003, service: 'inference-extension' },
                  initialDelaySeconds: 5,
                  periodSeconds: 10,
                },
                readinessProbe: { grpc: { port: 9003, service: 'inference-extension' }, periodSeconds: 2 },
                env: [{ name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
                volumeMounts: [{ name: 'plugins-config-volume', mountPath: '/config' }],
              },
            ],
            volumes: [{ name: 'plugins-config-volume', configMap: { name: epp } }],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: epp, namespace, labels: chartLabels },
      spec: {
        selector,
        ports: [
          { name: 'grpc-ext-proc', protocol: 'TCP', port: EPP_GRPC_PORT },
          { name: 'http-metrics', protocol: 'TCP', port: 9090 },
        ],
        type: 'ClusterIP',
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: epp, namespace, labels: chartLabels } },
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: clusterRbac, labels: chartLabels },
      rules: [
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterRbac, labels },
      subjects: [{ kind: 'ServiceAccount', name: epp, namespace }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRbac },
    },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: epp, namespace, labels: chartLabels },
      rules: [
        {
          apiGroups: ['inference.networking.x-k8s.io'],
          resources: ['inferenceobjectives'],
          verbs: ['get', 'watch', 'list'],
        },
        {
          apiGroups: ['inference.networking.k8s.io'],
          resources: ['inferencepools'],
          verbs: ['get', 'watch', 'list'],
        },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'watch', 'list'] },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: epp, namespace, labels },
      subjects: [{ kind: 'ServiceAccount', name: epp, namespace }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: epp },
    },
    // provider.name=gke: policies for single-cluster use of the pool.
    {
      apiVersion: 'networking.gke.io/v1',
      kind: 'HealthCheckPolicy',
      metadata: { name: pool, namespace, labels: chartLabels },
      spec: {
        targetRef: poolTarget,
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
      metadata: { name: pool, namespace, labels: chartLabels },
      spec: { targetRef: poolTarget, default: { timeoutSec: 300, logging: { enabled: true } } },
    },
    // monitoring.gke.enabled: Managed Prometheus scrapes the EPP with a metrics-reader token.
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: metricsReaderSa, namespace, labels } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: metricsSecret,
        namespace,
        labels: chartLabels,
        annotations: { 'kubernetes.io/service-account.name': metricsReaderSa },
      },
      type: 'kubernetes.io/service-account-token',
    },
    {
      apiVersion: 'monitoring.googleapis.com/v1',
      kind: 'PodMonitoring',
      metadata: { name: pool, namespace, labels: chartLabels },
      spec: {
        endpoints: [
          {
            port: 'metrics',
            scheme: 'http',
            interval: '10s',
            path: '/metrics',
            authorization: { type: 'Bearer', credentials: { secret: { name: metricsSecret, key: 'token' } } },
          },
        ],
        selector: { matchLabels: selector },
      },
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: metricsRole, labels },
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: `${namespace}-${pool}-metrics-reader-role-binding`, labels },
      subjects: [{ kind: 'ServiceAccount', name: metricsReaderSa, namespace }],
      roleRef: { kind: 'ClusterRole', name: metricsRole, apiGroup: 'rbac.authorization.k8s.io' },
    },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: secretReadRole, namespace, labels },
      rules: [
        {
          resources: ['secrets'],
          apiGroups: [''],
          verbs: ['get', 'list', 'watch'],
          resourceNames: [metricsSecret],
        },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: {
        name: `gmp-system:collector:${namespace}-${pool}-metrics-reader-secret-read`,
        namespace,
        labels,
      },
      roleRef: { name: secretReadRole, kind: 'Role', apiGroup: 'rbac.authorization.k8s.io' },
      subjects: [{ name: 'collector', namespace: 'gmp-system', kind: 'ServiceAccount' }],
    },
  ];
}
