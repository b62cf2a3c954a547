import { clusterRefs, type ControllerContext } from './context.js';
import { reconcileAutoscalers } from './autoscaler.js';
import { reconcileExports } from './fleet.js';
import { Gateways } from './gateways.js';
import { Workloads, type Replica } from './workloads.js';
import { Jobs } from './jobs.js';

/**
 * What makes the sandbox feel alive: a reconcile loop over every running cluster — workloads and
 * their model servers, pool exports and imports, the gateways, the autoscalers — and the metrics
 * Cloud Monitoring serves. One loop, run every simulated couple of seconds, so the order of events
 * never matters.
 */
export interface Controllers {
  workloads: Workloads;
  gateways: Gateways;
  /** Runs every controller once, now (tests call it to avoid waiting for a tick). */
  reconcile(): Promise<void>;
  clusterStarted(key: string): void;
  clusterStopped(key: string): void;
  close(): Promise<void>;
}

export function startControllers(ctx: ControllerContext): Controllers {
  const workloads = new Workloads(ctx);
  const gateways = new Gateways(ctx);
  const jobs = new Jobs(ctx);
  // Managed Prometheus' view of the model servers: the KV-cache gauge and the served-requests counter.
  ctx.google.monitoring.setSource((metric, project) => {
    const replicas = workloads.all().filter((r) => r.cluster.startsWith(`${project}/`));
    if (metric === 'vllm:request_success_total')
      return replicas.map((r) => sample(r, metric, r.server.served()));
    return replicas
      .filter((r) => r.metric === metric)
      .map((r) => sample(r, r.metric, r.server.utilization()));
  });
  let running: Promise<void> | undefined;
  let closed = false;
  const reconcile = () => {
    // One pass at a time; a caller arriving mid-pass waits for it and then for a fresh one.
    const next = (running ?? Promise.resolve()).then(async () => {
      for (const cluster of clusterRefs(ctx)) await workloads.reconcile(cluster);
      reconcileExports(ctx);
      for (const cluster of clusterRefs(ctx)) {
        await gateways.reconcile(cluster);
        reconcileAutoscalers(ctx, cluster, workloads);
        jobs.reconcile(cluster);
      }
    });
    running = next.catch(() => undefined);
    return next;
  };
  const timer = setInterval(
    () => {
      if (!closed) reconcile().catch(() => undefined);
    },
    Math.max(20, ctx.clock.wallMs(2)),
  );
  timer.unref();
  return {
    workloads,
    gateways,
    reconcile,
    clusterStarted: () => void reconcile().catch(() => undefined),
    clusterStopped: (key) => {
      void workloads.forget(key);
      void gateways.forget(key);
    },
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running;
      await Promise.all([gateways.close(), workloads.close()]);
    },
  };
}

function sample(r: Replica, metric: string, value: number) {
  const [project, location, cluster] = r.cluster.split('/');
  return {
    labels: {
      __name__: metric,
      project_id: project!,
      location: location!,
      cluster: cluster!,
      namespace: r.namespace,
      pod: r.pod,
    },
    value,
  };
}
