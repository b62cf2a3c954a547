import type { KubeManifest } from './graph.js';

/**
 * The custom-metrics Stackdriver adapter, as k8s-stackdriver's adapter_new_resource_model.yaml
 * deploys it (seed 000 applies that file). Lets the HPA read Cloud Monitoring metrics.
 * The conformance test compares these objects with the upstream manifest.
 */
export const ADAPTER_NAMESPACE = 'custom-metrics';
export const ADAPTER_NAME = 'custom-metrics-stackdriver-adapter';
export const ADAPTER_IMAGE = 'gcr.io/gke-release/custom-metrics-stackdriver-adapter:v0.15.1-gke.0';

export function customMetricsAdapter(labels: Record<string, string>): KubeManifest[] {
  const sa = { kind: 'ServiceAccount', name: ADAPTER_NAME, namespace: ADAPTER_NAMESPACE };
  const appLabels = { run: ADAPTER_NAME, 'k8s-app': ADAPTER_NAME };
  const rbac = 'rbac.authorization.k8s.io/v1';
  const apiService = (group: string, version: string, versionPriority: number): KubeManifest => ({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: `${version}.${group}`, labels },
    spec: {
      insecureSkipTLSVerify: true,
      group,
      groupPriorityMinimum: 100,
      versionPriority,
      service: { name: ADAPTER_NAME, namespace: ADAPTER_NAMESPACE },
      version,
    },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ADAPTER_NAMESPACE, labels } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: ADAPTER_NAME, namespace: ADAPTER_NAMESPACE, labels },
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'custom-metrics:system:auth-delegator', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' },
      subjects: [sa],
    },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: { name: 'custom-metrics-auth-reader', namespace: 'kube-system', labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: 'extension-apiserver-authentication-reader',
      },
      subjects: [sa],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      // Upstream also sets a namespace here; a ClusterRole has none, so it is left out.
      metadata: { name: 'custom-metrics-resource-reader', labels },
      rules: [
        { apiGroups: [''], resources: ['pods', 'nodes', 'nodes/stats'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'custom-metrics-resource-reader', labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'custom-metrics-resource-reader',
      },
      subjects: [sa],
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: ADAPTER_NAME, namespace: ADAPTER_NAMESPACE, labels: { ...labels, ...appLabels } },
      spec: {
        replicas: 1,
        selector: { matchLabels: appLabels },
        template: {
          metadata: { labels: { ...appLabels, 'kubernetes.io/cluster-service': 'true' } },
          spec: {
            serviceAccountName: ADAPTER_NAME,
            containers: [
              {
                image: ADAPTER_IMAGE,
                imagePullPolicy: 'Always',
                name: 'pod-custom-metrics-stackdriver-adapter',
                command: [
                  '/adapter',
                  '--use-new-resource-model=true',
                  '--fallback-for-container-metrics=true',
                ],
                resources: {
                  limits: { cpu: '250m', memory: '400Mi' },
                  requests: { cpu: '250m', memory: '400Mi' },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: ADAPTER_NAME,
        namespace: ADAPTER_NAMESPACE,
        labels: {
          ...labels,
          ...appLabels,
          'kubernetes.io/cluster-service': 'true',
          'kubernetes.io/name': 'Adapter',
        },
      },
      spec: {
        ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }],
        selector: appLabels,
        type: 'ClusterIP',
      },
    },
    apiService('custom.metrics.k8s.io', 'v1beta1', 100),
    apiService('custom.metrics.k8s.io', 'v1beta2', 200),
    apiService('external.metrics.k8s.io', 'v1beta1', 100),
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: { name: 'external-metrics-reader', labels },
      rules: [{ apiGroups: ['external.metrics.k8s.io'], resources: ['*'], verbs: ['list', 'get', 'watch'] }],
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'external-metrics-reader', labels },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'external-metrics-reader',
      },
      subjects: [{ kind: 'ServiceAccount', name: 'horizontal-pod-autoscaler', namespace: 'kube-system' }],
    },
  ];
}
