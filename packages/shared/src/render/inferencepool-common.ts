import type { InferenceExtensionVersion, Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';

/** Objects and names both chart versions render alike (their templates agree on them). */
export const EPP_GRPC_PORT = 9002;
export const EPP_HEALTH_PORT = 9003;
export const EPP_METRICS_PORT = 9090;
export const POOL_API = 'inference.networking.k8s.io/v1';
export const POOL_GROUP = 'inference.networking.k8s.io';
export const RBAC = 'rbac.authorization.k8s.io/v1';
const RBAC_GROUP = 'rbac.authorization.k8s.io';
/** Where the chart mounts the EndpointPickerConfig, and the file the EPP is told to read. */
export const PLUGINS_FILE = 'default-plugins.yaml';

/** The chart's `gateway-api-inference-extension.name`: release name truncated to 40, plus -epp. */
export const eppName = (pool: string) => `${pool.slice(0, 40)}-epp`;

/** The EPP image a chart version runs (values.yaml: `hub/name:tag` in v1.0.1, `registry/repository:tag` in v1.5.0). */
export const eppImage = (version: InferenceExtensionVersion) =>
  `registry.k8s.io/gateway-api-inference-extension/epp:${version}`;

export interface ChartNames {
  pool: string;
  namespace: string;
  epp: string;
  /** `gateway-api-inference-extension.cluster-rbac-name`. */
  clusterRbac: string;
  /** The EPP pods' selector labels. */
  selector: Record<string, string>;
  /** The chart's labels plus Spillway's. */
  chartLabels: Record<string, string>;
  /** Spillway's labels only, for objects the chart leaves unlabelled. */
  labels: Record<string, string>;
  poolTarget: { group: string; kind: string; name: string };
}

export function chartNames(
  service: Service,
  labels: Record<string, string>,
  version: InferenceExtensionVersion,
): ChartNames {
  const pool = service.pool.name;
  const namespace = service.namespace;
  const epp = eppName(pool);
  return {
    pool,
    namespace,
    epp,
    clusterRbac: `${pool.slice(0, 40)}-${namespace.slice(0, 40)}-epp`,
    selector: { inferencepool: epp },
    // The published chart is packaged with its tag as appVersion.
    chartLabels: { ...labels, 'app.kubernetes.io/name': epp, 'app.kubernetes.io/version': version },
    labels,
    poolTarget: { group: POOL_GROUP, kind: 'InferencePool', name: pool },
  };
}

export const serviceAccountRef = (n: ChartNames) => ({
  kind: 'ServiceAccount',
  name: n.epp,
  namespace: n.namespace,
});

export const roleRef = (kind: 'Role' | 'ClusterRole', name: string) => ({
  apiGroup: RBAC_GROUP,
  kind,
  name,
});

export function eppService(n: ChartNames): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: n.epp, namespace: n.namespace, labels: n.chartLabels },
    spec: {
      selector: n.selector,
      ports: [
        { name: 'grpc-ext-proc', protocol: 'TCP', port: EPP_GRPC_PORT },
        { name: 'http-metrics', protocol: 'TCP', port: EPP_METRICS_PORT },
      ],
      type: 'ClusterIP',
    },
  };
}

export function eppServiceAccount(n: ChartNames): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: n.epp, namespace: n.namespace, labels: n.chartLabels },
  };
}

export function eppConfigMap(n: ChartNames, pluginsYaml: string): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: n.epp, namespace: n.namespace, labels: n.labels },
    data: { [PLUGINS_FILE]: pluginsYaml },
  };
}

/** The EPP container's ports and probes, the same in both templates with one replica. */
export const eppContainerPorts = () => [
  { name: 'grpc', containerPort: EPP_GRPC_PORT },
  { name: 'grpc-health', containerPort: EPP_HEALTH_PORT },
  { name: 'metrics', containerPort: EPP_METRICS_PORT },
];

export const eppProbes = () => ({
  livenessProbe: {
    grpc: { port: EPP_HEALTH_PORT, service: 'inference-extension' },
    initialDelaySeconds: 5,
    periodSeconds: 10,
  },
  readinessProbe: { grpc: { port: EPP_HEALTH_PORT, service: 'inference-extension' }, periodSeconds: 2 },
});

/** The EPP's own arguments, before the version's own: the pool it serves. */
export const eppPoolArgs = (n: ChartNames) => [
  '--pool-name',
  n.pool,
  '--pool-namespace',
  n.namespace,
  '--pool-group',
  POOL_GROUP,
];
