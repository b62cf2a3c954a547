import { startModelServer, type ModelServer } from '../dataplane/index.js';
import type { KubeObject } from '../kube/index.js';
import { Capacity, type Placement } from './capacity.js';
import { pendingPods } from './capacity-nodes.js';
import { containerOf, type ClusterRef, type ControllerContext } from './context.js';
import { endpointPickerOf, type EndpointPicker } from './endpoint-picker.js';
import { refusedAtAdmission } from './pod-admission.js';

/**
 * Deployments become ready as far as their cluster's node pools have room for their GPUs (the
 * cluster autoscaler may grow a pool to its max); each ready replica of a vLLM server is a
 * simulated model server on 127.0.0.1, with a Pod object that points at it. A Deployment that
 * selects a ComputeClass gets its nodes from capacity.ts instead; its replicas without a node are
 * Pending pods.
 */
export const POD_PORT_ANNOTATION = 'sandbox.spillway.dev/port';

export interface Replica {
  cluster: string;
  region: string;
  namespace: string;
  deployment: string;
  pod: string;
  /** The KV-cache gauge this replica's vLLM version exports. */
  metric: 'vllm:kv_cache_usage_perc' | 'vllm:gpu_cache_usage_perc';
  server: ModelServer;
}

export class Workloads {
  /** `cluster/namespace/deployment` → started replicas, in order. */
  private readonly replicas = new Map<string, Promise<ModelServer>[]>();
  private readonly ready = new Map<string, Replica[]>();
  /** `cluster/namespace/deployment` → the endpoint picker it runs, started or not. */
  private readonly pickers = new Map<string, EndpointPicker>();
  private readonly capacity: Capacity;
  /** `cluster/namespace/deployment` → the simulated second its class-backed replicas began to wait. */
  private readonly waitingSince = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {
    this.capacity = new Capacity(ctx);
  }

  /** Every running model server replica, for routing, metrics and the autoscaler. */
  all(): Replica[] {
    return [...this.ready.values()].flat();
  }

  /** The endpoint picker a Deployment runs (undefined: it runs none, or was not reconciled yet). */
  endpointPicker(cluster: string, namespace: string, deployment: string): EndpointPicker | undefined {
    return this.pickers.get(`${cluster}/${namespace}/${deployment}`);
  }

  of(cluster: string, namespace: string, deployment: string): Replica[] {
    return this.ready.get(`${cluster}/${namespace}/${deployment}`) ?? [];
  }

  async reconcile(cluster: ClusterRef) {
    const store = cluster.server.store;
    const dark = this.ctx.faults.isDark(cluster.region);
    const placements = this.capacity.reconcile(cluster);
    for (const deployment of store.list('apps/v1', 'Deployment')) {
      const key = `${cluster.key}/${deployment.metadata.namespace}/${deployment.metadata.name}`;
      // Pods admission refuses are never created (FailedCreate); the running ones stay.
      const running = this.of(cluster.key, deployment.metadata.namespace!, deployment.metadata.name).length;
      if (refusedAtAdmission(store, deployment, running)) continue;
      const wanted = deployment.spec?.replicas ?? 1;
      const container = containerOf(deployment);
      const gpus = Number(container.resources?.limits?.['nvidia.com/gpu'] ?? 0);
      const placement = placements.get(key);
      const fit = placement
        ? placement.nodes.length
        : gpus > 0
          ? Math.floor(this.gpuCapacity(cluster, deployment) / gpus)
          : wanted;
      const picker = endpointPickerOf(deployment, store);
      if (picker) this.pickers.set(key, picker);
      else this.pickers.delete(key);
      // An EPP that refuses its configuration exits at start: no replica ever becomes ready.
      const refused = picker && !picker.started ? picker : undefined;
      const ready = refused ? 0 : Math.min(wanted, fit);
      if (isModelServer(container))
        await this.scaleServers(cluster, deployment, key, ready, dark, placement && { ...placement, wanted });
      const progressing =
        placement && this.progressing(key, deployment, ready < wanted && !!placement.pending);
      const status = {
        observedGeneration: deployment.metadata.generation,
        replicas: wanted,
        updatedReplicas: ready,
        readyReplicas: ready,
        availableReplicas: ready,
        conditions: [
          {
            type: 'Available',
            status: ready > 0 || (wanted === 0 && !refused) ? 'True' : 'False',
            reason: ready > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
            message: refused
              ? `the ${refused.version} endpoint picker exits at start: ${refused.error} (CrashLoopBackOff)`
              : ready < wanted && placement?.pending
                ? `${wanted - ready} replica(s) Pending: ${placement.pending}`
                : ready < wanted && gpus > 0
                  ? `${wanted - ready} replica(s) wait for ${gpus} nvidia.com/gpu each: the node pools are full`
                  : 'Deployment has minimum availability.',
          },
          ...(progressing ? [progressing] : []),
        ],
      };
      if (JSON.stringify(pick(deployment.status, status)) !== JSON.stringify(status)) {
        store.patchStatus(
          'apps/v1',
          'Deployment',
          deployment.metadata.namespace,
          deployment.metadata.name,
          status,
        );
      }
    }
  }

  /**
   * The Progressing condition of a class-backed Deployment: False (ProgressDeadlineExceeded) once
   * its replicas have waited for a node longer than spec.progressDeadlineSeconds (600 by default).
   */
  private progressing(key: string, deployment: KubeObject, waiting: boolean) {
    const now = this.ctx.clock.simulatedSeconds();
    if (!waiting) this.waitingSince.delete(key);
    else if (!this.waitingSince.has(key)) this.waitingSince.set(key, now);
    const since = this.waitingSince.get(key);
    const deadline = Number(deployment.spec?.progressDeadlineSeconds ?? 600);
    if (since !== undefined && now - since >= deadline)
      return {
        type: 'Progressing',
        status: 'False',
        reason: 'ProgressDeadlineExceeded',
        message: `ReplicaSet "${deployment.metadata.name}" has timed out progressing.`,
      };
    return {
      type: 'Progressing',
      status: 'True',
      reason: waiting ? 'ReplicaSetUpdated' : 'NewReplicaSetAvailable',
      message: `ReplicaSet "${deployment.metadata.name}" ${waiting ? 'is progressing' : 'has successfully progressed'}.`,
    };
  }

  /** GPUs the cluster's running pools can offer a Deployment: nodes (up to the autoscaler's max) × GPUs per node. */
  private gpuCapacity(cluster: ClusterRef, deployment: KubeObject): number {
    let record: any;
    try {
      record = this.ctx.gke.getCluster(cluster.project, cluster.location, cluster.name);
    } catch {
      return 0;
    }
    const wantedType = deployment.spec?.template?.spec?.nodeSelector?.['cloud.google.com/gke-accelerator'];
    return (
      (record.nodePools ?? [])
        // Pools auto-created for a ComputeClass are tainted for that class's pods alone.
        .filter((p: any) => p.status === 'RUNNING' && !p.autoscaling?.autoprovisioned)
        .map((p: any) => {
          const acc = p.config?.accelerators?.[0];
          if (!acc || (wantedType && acc.acceleratorType !== wantedType)) return 0;
          const nodes = p.autoscaling?.enabled
            ? p.autoscaling.maxNodeCount
            : (p.currentNodeCount ?? p.initialNodeCount ?? 0);
          return Number(nodes) * Number(acc.acceleratorCount);
        })
        .reduce((a: number, b: number) => a + b, 0)
    );
  }

  private async scaleServers(
    cluster: ClusterRef,
    deployment: KubeObject,
    key: string,
    ready: number,
    dark: boolean,
    placement?: Placement & { wanted: number },
  ) {
    const store = cluster.server.store;
    const ns = deployment.metadata.namespace!;
    const name = deployment.metadata.name;
    const started = this.replicas.get(key) ?? [];
    const container = containerOf(deployment);
    while (started.length < ready) {
      started.push(
        startModelServer({
          modelId: argAfter(container.args, '--model') ?? 'model',
          loraAdapters: loraAdaptersOf(store, deployment),
          kvCacheMetric: metricOf(container.image),
          clock: this.ctx.clock,
          ...this.ctx.modelServers,
        }),
      );
    }
    const removed = started.splice(ready);
    this.replicas.set(key, started);
    for (const [i, gone] of removed.entries()) {
      (await gone).close();
      const pod = `${name}-${started.length + i}`;
      if (store.get('v1', 'Pod', ns, pod)) store.delete('v1', 'Pod', ns, pod);
    }
    const servers = await Promise.all(started);
    const replicas: Replica[] = [];
    for (const [i, server] of servers.entries()) {
      server.setHealthy(!dark);
      const pod = `${name}-${i}`;
      replicas.push({
        cluster: cluster.key,
        region: cluster.region,
        namespace: ns,
        deployment: name,
        pod,
        metric: metricOf(container.image),
        server,
      });
      const nodeName = placement?.nodes[i];
      const existing = store.get('v1', 'Pod', ns, pod);
      // A pod is never moved: one that was Pending, or whose node went, is replaced.
      if (existing && (existing.status?.phase !== 'Running' || existing.spec?.nodeName !== nodeName))
        store.delete('v1', 'Pod', ns, pod);
      if (!store.get('v1', 'Pod', ns, pod)) {
        store.create({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: pod,
            namespace: ns,
            labels: deployment.spec?.template?.metadata?.labels ?? {},
            annotations: { [POD_PORT_ANNOTATION]: String(server.port) },
          },
          spec: {
            containers: [{ name: container.name ?? 'vllm', image: container.image }],
            ...(nodeName ? { nodeName, nodeSelector: deployment.spec?.template?.spec?.nodeSelector } : {}),
          },
        });
        store.patchStatus('v1', 'Pod', ns, pod, {
          phase: 'Running',
          podIP: '127.0.0.1',
          conditions: [{ type: 'Ready', status: 'True' }],
        });
      }
    }
    this.ready.set(key, replicas);
    if (placement) pendingPods(store, deployment, ready, placement);
  }

  async close() {
    const all = [...this.replicas.values()].flat();
    this.replicas.clear();
    this.ready.clear();
    await Promise.all(all.map(async (s) => (await s).close()));
  }

  async forget(clusterKey: string) {
    for (const [key, servers] of this.replicas) {
      if (!key.startsWith(`${clusterKey}/`)) continue;
      this.replicas.delete(key);
      this.ready.delete(key);
      await Promise.all(servers.map(async (s) => (await s).close()));
    }
  }
}

/** The adapters the lora-syncer sidecar would load: the `- id:` entries of its ConfigMap. */
function loraAdaptersOf(store: ClusterRef['server']['store'], deployment: KubeObject): string[] {
  const volume = (deployment.spec?.template?.spec?.volumes ?? []).find(
    (v: any) => v.name === 'config-volume',
  );
  const configMap =
    volume?.configMap?.name &&
    store.get('v1', 'ConfigMap', deployment.metadata.namespace, volume.configMap.name);
  const text: string = configMap ? ((Object.values(configMap.data ?? {})[0] as string) ?? '') : '';
  return [...text.matchAll(/-\s*id:\s*(\S+)/g)].map((m) => m[1]!);
}

const isModelServer = (container: any) =>
  typeof container.image === 'string' && container.image.includes('vllm');

function argAfter(args: unknown, flag: string): string | undefined {
  if (!Array.isArray(args)) return undefined;
  const i = args.indexOf(flag);
  return i >= 0 ? String(args[i + 1]) : undefined;
}

/** vLLM renamed the KV-cache gauge in v0.10.2 (GKE-FACTS.md). */
export function metricOf(image: string): 'vllm:kv_cache_usage_perc' | 'vllm:gpu_cache_usage_perc' {
  const m = /:v?(\d+)\.(\d+)\.(\d+)/.exec(image ?? '');
  if (!m) return 'vllm:kv_cache_usage_perc';
  const [major, minor, patch] = m.slice(1).map(Number) as [number, number, number];
  const newer = major > 0 || minor > 10 || (minor === 10 && patch >= 2);
  return newer ? 'vllm:kv_cache_usage_perc' : 'vllm:gpu_cache_usage_perc';
}

function pick(source: any, like: Record<string, unknown>) {
  return Object.fromEntries(Object.keys(like).map((k) => [k, source?.[k]]));
}
