import { stringify } from 'yaml';
import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';

/**
 * The service's checked spec, kept in the config cluster so that readers that only know the
 * platform (the Backstage health route) can find what was applied. Holds no secret: the token is
 * only referenced (secretName, fromEnv or secretManager).
 */
export const SERVICE_RECORD_PREFIX = 'spillway-spec-';
export const SERVICE_RECORD_KEY = 'service.yaml';
/**
 * On the record of a service applied together with its platform (not from a repository that holds
 * a read-only copy): the platform's spec then owns the service, and a service dropped from that
 * spec is deleted by its next apply.
 */
export const APPLIED_WITH_PLATFORM = 'spillway.dev/applied-with-platform';

/** Every kind a service renders: what a dropped service may have left in a cluster. */
export const SERVICE_KINDS: readonly { apiVersion: string; kind: string }[] = [
  ['apps/v1', 'Deployment'],
  ['autoscaling.gke.io/v1beta1', 'AutoscalingMetric'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['gateway.networking.k8s.io/v1', 'Gateway'],
  ['gateway.networking.k8s.io/v1', 'HTTPRoute'],
  ['inference.networking.k8s.io/v1', 'InferencePool'],
  ['inference.networking.x-k8s.io/v1alpha2', 'InferenceObjective'],
  ['monitoring.googleapis.com/v1', 'PodMonitoring'],
  ['networking.gke.io/v1', 'GCPBackendPolicy'],
  ['networking.gke.io/v1', 'HealthCheckPolicy'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
].map(([apiVersion, kind]) => ({ apiVersion: apiVersion!, kind: kind! }));

export function serviceRecord(service: Service, labels: Record<string, string>): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: `${SERVICE_RECORD_PREFIX}${service.name}`,
      namespace: service.namespace,
      labels,
      ...(service.platform.reference
        ? {}
        : { annotations: { [APPLIED_WITH_PLATFORM]: service.platform.name } }),
    },
    data: { [SERVICE_RECORD_KEY]: stringify(service.document, { lineWidth: 0 }) },
  };
}
