import type { Service } from '../spec/model.js';
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
 * The `inferencepool` chart v1.0.1 with `provider.name=gke` and `inferenceExtension.monitoring.gke.enabled=true`
 * (seed 000's helm install). Differences from the chart, each on purpose:
 * - the EPP reads the KV-cache metric the model server really exports (v1.0.1 defaults to the old
 *   name), with `--kv-cache-usage-percentage-metric`, the way v1.0.1 takes it;
 * - the pool is exported to the config cluster; the gke policies differ as inferencepool-gke.ts says;
 * - every object carries Spillway's ownership labels.
 */
export function inferencePoolChartV1_0_1(service: Service, labels: Record<string, string>): KubeManifest[] {
  const n = chartNames(service, labels, 'v1.0.1');
  return [
    inferencePool(service, n),
    eppConfigMap(n, PLUGINS_V1_0_1),
    eppDeployment(service, n),
    eppService(n),
    eppServiceAccount(n),
    ...eppRbac(n),
    ...gkePoolPolicies(service, n),
    ...gkeManagedPrometheus(n),
  ];
}

const PLUGINS_V1_0_1 = [
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
].join('\n');

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
      selector: { matchLabels: { app: n.pool } },
      endpointPickerRef: { name: n.epp, port: { number: EPP_GRPC_PORT } },
    },
  };
}

function eppDeployment(service: Service, n: ChartNames): KubeManifest {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: n.epp, namespace: n.namespace, labels: n.chartLabels },
    spec: {
      replicas: 1,
      // One active replica keeps the prefix-cache scorer's state coherent (the chart's reasoning).
      strategy: { type: 'Recreate' },
      selector: { matchLabels: n.selector },
      template: {
        metadata: { labels: n.selector },
        spec: {
          serviceAccountName: n.epp,
          terminationGracePeriodSeconds: 130,
          containers: [
            {
              name: 'epp',
              image: eppImage('v1.0.1'),
              imagePullPolicy: 'Always',
              args: [
                ...eppPoolArgs(n),
                '--zap-encoder',
                'json',
                '--config-file',
                `/config/${PLUGINS_FILE}`,
                '--kv-cache-usage-percentage-metric',
                service.model.kvCacheMetric,
                '--v',
                '1',
              ],
              ports: eppContainerPorts(),
              ...eppProbes(),
              env: [{ name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
              volumeMounts: [{ name: 'plugins-config-volume', mountPath: '/config' }],
            },
          ],
          volumes: [{ name: 'plugins-config-volume', configMap: { name: n.epp } }],
        },
      },
    },
  };
}

/** One Role for everything the EPP reads, and the cluster role for its metrics endpoint's auth. */
function eppRbac(n: ChartNames): KubeManifest[] {
  const { epp, namespace } = n;
  return [
    {
      apiVersion: RBAC,
      kind: 'ClusterRole',
      metadata: { name: n.clusterRbac, labels: n.chartLabels },
      rules: [
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
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
      metadata: { name: epp, namespace, labels: n.chartLabels },
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
      metadata: { name: epp, namespace, labels: n.labels },
      subjects: [serviceAccountRef(n)],
      roleRef: roleRef('Role', epp),
    },
  ];
}
