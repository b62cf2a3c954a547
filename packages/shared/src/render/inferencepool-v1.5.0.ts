import type { Service } from '../spec/model.js';
import { endpointPickerConfigV1_5_0 } from './endpoint-picker-config.js';
import type { KubeManifest } from './graph.js';
import {
  chartNames,
  EPP_GRPC_PORT,
  eppConfigMap,
  eppContainerPorts,
  eppImage,
  eppPoolArgs,
  eppProbes,
  eppService,
  eppServiceAccount,
  PLUGINS_FILE,
  POOL_API,
  RBAC,
  roleRef,
  serviceAccountRef,
  type ChartNames,
} from './inferencepool-common.js';
import { gkeManagedPrometheus, gkePoolPolicies } from './inferencepool-gke.js';

/**
 * The `inferencepool` chart v1.5.0 (over the `epplib` library chart) with `provider.name=gke` and
 * `inferenceExtension.monitoring.prometheus.enabled=true` (auth on, as values.yaml has it): Google's
 * Managed Prometheus collects the EPP's metrics. Differences from the chart, each on purpose:
 * - the EndpointPickerConfig names the KV-cache metric of an older vLLM (endpoint-picker-config.ts);
 *   no metric flag is passed, since v1.4+ refuses to start with one;
 * - the pool is exported to the config cluster; the gke policies differ as inferencepool-gke.ts says;
 * - every object carries Spillway's ownership labels.
 */
export function inferencePoolChartV1_5_0(service: Service, labels: Record<string, string>): KubeManifest[] {
  const n = chartNames(service, labels, 'v1.5.0');
  return [
    inferencePool(service, n),
    eppConfigMap(n, endpointPickerConfigV1_5_0(service)),
    eppDeployment(n),
    eppService(n),
    eppServiceAccount(n),
    ...eppRbac(n),
    ...gkePoolPolicies(service, n),
    ...gkeManagedPrometheus(n),
  ];
}

/** `inference.networking.k8s.io/igw-mode`: the EPP serves a pool of this chart, not standalone. */
const MODE_LABELS = { 'inference.networking.k8s.io/igw-mode': 'inferencepool' };

function inferencePool(service: Service, n: ChartNames): KubeManifest {
  return {
    apiVersion: POOL_API,
    kind: 'InferencePool',
    metadata: {
      name: n.pool,
      namespace: n.namespace,
      labels: n.chartLabels,
      // GKE then creates a GCPInferencePoolImport of the same name in the config cluster.
      annotations: { 'networking.gke.io/export': 'True' },
    },
    spec: {
      targetPorts: [{ number: service.pool.targetPort }],
      appProtocol: 'http',
      selector: { matchLabels: { app: n.pool } },
      // FailOpen: requests still reach a model server while the EPP restarts.
      endpointPickerRef: { name: n.epp, port: { number: EPP_GRPC_PORT }, failureMode: 'FailOpen' },
    },
  };
}

function eppDeployment(n: ChartNames): KubeManifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: n.epp, namespace: n.namespace, labels: { ...n.chartLabels, ...MODE_LABELS } },
    spec: {
      replicas: 1,
      // One active replica keeps the prefix-cache scorer's state coherent (the chart's reasoning).
      strategy: { type: 'Recreate' },
      selector: { matchLabels: n.selector },
      template: {
        metadata: { labels: { ...n.selector, ...MODE_LABELS } },
        spec: {
          serviceAccountName: n.epp,
          terminationGracePeriodSeconds: 130,
          containers: [
            {
              name: 'epp',
              image: eppImage('v1.5.0'),
              imagePullPolicy: 'Always',
              args: [
                ...eppPoolArgs(n),
                '--zap-encoder',
                'json',
                '--config-file',
                `/config/${PLUGINS_FILE}`,
                '--v',
                '1',
                '--tracing=false',
              ],
              // values.yaml's sizing: no CPU limit, so scheduling spikes may burst.
              resources: { requests: { cpu: '4', memory: '8Gi' }, limits: { memory: '16Gi' } },
              ports: eppContainerPorts(),
              ...eppProbes(),
              env: [
                { name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              volumeMounts: [{ name: 'plugins-config-volume', mountPath: '/config' }],
            },
          ],
          volumes: [{ name: 'plugins-config-volume', configMap: { name: n.epp } }],
        },
      },
    },
  };
}

/**
 * RBAC split as v1.5.0 splits it: `-non-sa` for the inference objects (inferencepool's rbac.yaml),
 * `-sa` for pods (epplib), and the cluster role the metrics endpoint's auth needs.
 */
function eppRbac(n: ChartNames): KubeManifest[] {
  const { namespace } = n;
  const nonSa = `${n.epp}-non-sa`;
  const sa = `${n.epp}-sa`;
  const read = ['get', 'watch', 'list'];
  return [
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: nonSa, namespace, labels: n.chartLabels },
      rules: [
        {
          apiGroups: ['inference.networking.x-k8s.io'],
          resources: ['inferenceobjectives', 'inferencemodelrewrites'],
          verbs: read,
        },
        { apiGroups: ['inference.networking.k8s.io'], resources: ['inferencepools'], verbs: read },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: nonSa, namespace, labels: n.labels },
      subjects: [serviceAccountRef(n)],
      roleRef: roleRef('Role', nonSa),
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: n.clusterRbac, labels: n.chartLabels },
      rules: [
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
        { nonResourceURLs: ['/metrics'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: n.clusterRbac, labels: n.labels },
      subjects: [serviceAccountRef(n)],
      roleRef: roleRef('ClusterRole', n.clusterRbac),
    },
    {
      apiVersion: RBAC,
      kind: 'Role',
      metadata: { name: sa, namespace, labels: n.chartLabels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: read }],
    },
    {
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name: sa, namespace, labels: n.labels },
      subjects: [serviceAccountRef(n)],
      roleRef: roleRef('Role', sa),
    },
  ];
}
