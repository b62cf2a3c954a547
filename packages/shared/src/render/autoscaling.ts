import type { Service } from '../spec/model.js';
import type { KubeManifest } from './graph.js';

/**
 * One signal for both the load balancer and the HPA (seed 000, "Configure autoscaling"): the
 * model server's KV-cache metric, exported under one name, scraped once, scaled on below the
 * load balancer's threshold.
 */
export const autoscalingMetricName = (pool: string) => `${pool}-kv-cache`;
export const hpaMetricName = (metric: string) => `prometheus.googleapis.com|${metric}|gauge`;
export const lbMetricName = (exportName: string) => `gke.named_metrics.${exportName}`;

export function autoscalingObjects(service: Service, labels: Record<string, string>): KubeManifest[] {
  const pool = service.pool.name;
  const namespace = service.namespace;
  const port = service.pool.targetPort;
  return [
    {
      apiVersion: 'autoscaling.gke.io/v1beta1',
      kind: 'AutoscalingMetric',
      metadata: { name: autoscalingMetricName(pool), namespace, labels },
      spec: {
        selector: { matchLabels: { app: pool } },
        endpoints: [
          {
            port,
            path: '/metrics',
            metrics: [{ name: service.model.kvCacheMetric, exportName: service.model.exportName }],
          },
        ],
      },
    },
    {
      apiVersion: 'monitoring.googleapis.com/v1',
      kind: 'PodMonitoring',
      metadata: { name: `${pool}-server`, namespace, labels },
      spec: {
        selector: { matchLabels: { app: pool } },
        endpoints: [{ port, path: '/metrics', interval: '5s' }],
      },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: pool, namespace, labels },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: pool },
        minReplicas: service.autoscaling.minReplicas,
        maxReplicas: service.autoscaling.maxReplicas,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: hpaMetricName(service.model.kvCacheMetric) },
              target: { type: 'AverageValue', averageValue: String(service.autoscaling.targetUtilization) },
            },
          },
        ],
      },
    },
  ];
}
