import type { KubeObject } from '../kube/index.js';
import { condition, type ClusterRef, type ControllerContext } from './context.js';
import { MANAGER } from './fleet.js';
import type { Workloads } from './workloads.js';

/**
 * The HPA on the KV-cache metric (seed 000, "Configure autoscaling"): it reads
 * `prometheus.googleapis.com|METRIC|gauge` through the custom-metrics adapter, so it scales only
 * where the adapter's APIService exists; desired = ceil(current × average / target), within bounds.
 */
const HPA_API = 'autoscaling/v2';
const ADAPTER_API_SERVICE = 'v1beta1.custom.metrics.k8s.io';

/** The HPA's scale-down stabilization window (Kubernetes' default, in seconds). */
export const SCALE_DOWN_STABILIZATION_SECONDS = 300;

/** Recent recommendations per HPA: a scale-down follows the highest of the window, as the HPA does. */
const recommendations = new WeakMap<object, Map<string, { atMs: number; replicas: number }[]>>();

export function reconcileAutoscalers(ctx: ControllerContext, cluster: ClusterRef, workloads: Workloads) {
  const history = recommendations.get(ctx) ?? new Map<string, { atMs: number; replicas: number }[]>();
  recommendations.set(ctx, history);
  const store = cluster.server.store;
  const adapter = !!store.get('apiregistration.k8s.io/v1', 'APIService', undefined, ADAPTER_API_SERVICE);
  for (const hpa of store.list(HPA_API, 'HorizontalPodAutoscaler')) {
    const ns = hpa.metadata.namespace!;
    const target = hpa.spec?.scaleTargetRef;
    const deployment =
      target?.kind === 'Deployment' ? store.get('apps/v1', 'Deployment', ns, target.name) : undefined;
    const metric = hpa.spec?.metrics?.find((m: any) => m.type === 'Pods');
    const metricName: string | undefined = metric?.pods?.metric?.name;
    const targetValue = Number(metric?.pods?.target?.averageValue);
    const now = store.now();
    const replicas = workloads.of(cluster.key, ns, target?.name ?? '');
    const served = /^prometheus\.googleapis\.com\|(.+)\|gauge$/.exec(metricName ?? '')?.[1];
    const exported =
      replicas.length > 0 && served !== undefined && replicas.every((r) => r.metric === served);
    let status: Record<string, unknown>;
    if (!deployment) {
      status = failed(
        now,
        'FailedGetScale',
        `the HPA controller was unable to get the target's current scale: deployments "${target?.name}" not found`,
      );
    } else if (deployment.spec?.replicas === 0) {
      // Kubernetes: an HPA does not act on a target scaled to zero by hand.
      status = failed(
        now,
        'ScalingDisabled',
        'scaling is disabled since the replica count of the target is zero',
      );
    } else if (!adapter) {
      status = failed(
        now,
        'FailedGetPodsMetric',
        `unable to get metric ${metricName}: no custom metrics API (${ADAPTER_API_SERVICE}) is registered`,
      );
    } else if (!exported) {
      status = failed(
        now,
        'FailedGetPodsMetric',
        `unable to get metric ${metricName}: no metrics returned from custom metrics API`,
      );
    } else {
      const current = deployment.spec?.replicas ?? 1;
      const average = replicas.reduce((sum, r) => sum + r.server.utilization(), 0) / replicas.length;
      const min = hpa.spec?.minReplicas ?? 1;
      const max = hpa.spec?.maxReplicas ?? min;
      // A 10% tolerance, as the HPA keeps, so a load at the target does not flap.
      const ratio = average / targetValue;
      const desired =
        Math.abs(ratio - 1) <= 0.1 ? current : Math.min(max, Math.max(min, Math.ceil(current * ratio)));
      if (desired !== current) scale(store, deployment, desired);
      status = {
        currentReplicas: current,
        desiredReplicas: desired,
        currentMetrics: [
          {
            type: 'Pods',
            pods: { metric: { name: metricName }, current: { averageValue: average.toFixed(3) } },
          },
        ],
        conditions: [
          condition('AbleToScale', true, 'ReadyForNewScale', 'recommended size matches current size', now),
          condition(
            'ScalingActive',
            true,
            'ValidMetricFound',
            `the HPA was able to compute the replica count from pods metric ${metricName}`,
            now,
          ),
        ],
      };
    }
    if (!sameStatus(hpa.status, status)) {
      store.patchStatus(HPA_API, 'HorizontalPodAutoscaler', ns, hpa.metadata.name, status, {
        manager: MANAGER,
      });
    }
  }
}

function failed(now: string, reason: string, message: string) {
  return {
    currentMetrics: null,
    conditions: [
      condition(
        'AbleToScale',
        true,
        'SucceededGetScale',
        "the HPA controller was able to get the target's current scale",
        now,
      ),
      condition('ScalingActive', false, reason, message, now),
    ],
  };
}

function scale(store: ClusterRef['server']['store'], deployment: KubeObject, replicas: number) {
  const latest = store.get('apps/v1', 'Deployment', deployment.metadata.namespace, deployment.metadata.name)!;
  store.update({ ...latest, spec: { ...latest.spec, replicas } }, { manager: 'horizontal-pod-autoscaler' });
}

function sameStatus(a: any, b: any): boolean {
  const strip = (s: any) =>
    JSON.stringify({
      ...s,
      currentMetrics: s?.currentMetrics ?? null,
      conditions: (s?.conditions ?? []).map(({ lastTransitionTime: _t, ...c }: any) => c),
    });
  return strip(a) === strip(b);
}
