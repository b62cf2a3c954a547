import { startGateway, type BalancingPolicy, type Gateway } from '../dataplane/index.js';
import type { KubeObject } from '../kube/index.js';
import { condition, matches, type ClusterRef, type ControllerContext } from './context.js';
import { fleetView, MANAGER } from './fleet.js';
import { POD_PORT_ANNOTATION } from './workloads.js';

/**
 * The cross-region internal Gateway: for each Gateway of the multi-cluster class in a config
 * cluster, a simulated gateway on 127.0.0.1 with one listener per region address, routing to the
 * model servers of the imported pools as the GCPBackendPolicy says. Its status carries one address
 * per region (`127.0.0.1:PORT`) and Programmed=True once its route, pools and subnets are sound.
 */
export const GATEWAY_CLASS = 'gke-l7-cross-regional-internal-managed-mc';
const ADDRESS_TYPE = 'networking.gke.io/ephemeral-ipv4-address/';

interface Running {
  signature: string;
  gateway: Gateway;
}

export class Gateways {
  private readonly running = new Map<string, Running>();

  constructor(private readonly ctx: ControllerContext) {}

  /** The simulated gateway of a Gateway object, by `cluster key/namespace/name`. */
  get(key: string): Gateway | undefined {
    return this.running.get(key)?.gateway;
  }

  async reconcile(cluster: ClusterRef) {
    const store = cluster.server.store;
    const seen = new Set<string>();
    for (const gw of store.list('gateway.networking.k8s.io/v1', 'Gateway')) {
      if (gw.spec?.gatewayClassName !== GATEWAY_CLASS) continue;
      const key = `${cluster.key}/${gw.metadata.namespace}/${gw.metadata.name}`;
      seen.add(key);
      const regions: string[] = (gw.spec?.addresses ?? [])
        .map((a: { type?: string }) => a.type ?? '')
        .filter((t: string) => t.startsWith(ADDRESS_TYPE))
        .map((t: string) => t.slice(ADDRESS_TYPE.length));
      const ns = gw.metadata.namespace!;
      const imports = this.importsOf(cluster, gw);
      const policy = this.policyFor(cluster, ns, imports[0]?.metadata.name);
      const healthPath = this.healthPathFor(cluster, ns, imports[0]?.metadata.name);
      // GCPBackendPolicy timeoutSec; the load balancer's default is 30 s.
      const timeoutSeconds = Number(
        this.targeting(cluster, ns, 'GCPBackendPolicy', imports[0]?.metadata.name)?.spec?.default
          ?.timeoutSec ?? 30,
      );
      const problems = this.problems(cluster, gw, regions, imports);
      const signature = JSON.stringify(regions);
      let running = this.running.get(key);
      if (running && running.signature !== signature) {
        // Other regions mean other listeners; the ones that stay keep their ports.
        const ports = running.gateway.addresses();
        this.running.delete(key);
        await running.gateway.close();
        running = undefined;
        this.running.set(key, {
          signature,
          gateway: await this.start(cluster, ns, regions, policy, healthPath, timeoutSeconds, gw, ports),
        });
      } else if (!running && regions.length > 0) {
        this.running.set(key, {
          signature,
          gateway: await this.start(cluster, ns, regions, policy, healthPath, timeoutSeconds, gw, {}),
        });
      } else {
        running?.gateway.reconfigure({ policy, healthCheckPath: healthPath, timeoutSeconds });
      }
      const gateway = this.running.get(key)?.gateway;
      const now = store.now();
      const status = {
        addresses: Object.entries(gateway?.addresses() ?? {}).map(([region, url]) => ({
          type: `${ADDRESS_TYPE}${region}`,
          value: new URL(url).host,
        })),
        conditions: [
          condition('Accepted', true, 'Accepted', 'Accepted by the sandbox', now),
          condition(
            'Programmed',
            problems.length === 0,
            problems.length ? 'Invalid' : 'Programmed',
            problems.join('; ') || 'Programmed',
            now,
          ),
        ],
      };
      if (!sameStatus(gw.status, status)) {
        store.patchStatus('gateway.networking.k8s.io/v1', 'Gateway', ns, gw.metadata.name, status, {
          manager: MANAGER,
        });
      }
    }
    for (const [key, running] of this.running) {
      if (key.startsWith(`${cluster.key}/`) && !seen.has(key)) {
        this.running.delete(key);
        await running.gateway.close();
      }
    }
  }

  private start(
    cluster: ClusterRef,
    ns: string,
    regions: string[],
    policy: BalancingPolicy,
    healthCheckPath: string,
    timeoutSeconds: number,
    gw: KubeObject,
    ports: Record<string, string>,
  ) {
    return startGateway({
      regions: regions.map((region) => ({
        region,
        ...(ports[region] ? { port: Number(new URL(ports[region]!).port) } : {}),
      })),
      policy,
      healthCheckPath,
      timeoutSeconds,
      clock: this.ctx.clock,
      regionHeader: this.ctx.regionHeader !== false,
      // Routes and imports are re-read on every request: they may change while the gateway serves.
      backends: () =>
        this.backends(
          cluster,
          ns,
          this.importsOf(cluster, gw).map((i) => i.metadata.name),
        ),
    });
  }

  /** The model servers behind the imported pools, in every cluster that exports them. */
  private backends(config: ClusterRef, ns: string, importNames: string[]) {
    const { members } = fleetView(this.ctx, config.project);
    const out: { region: string; url: string }[] = [];
    for (const name of importNames) {
      const imported = config.server.store.get('networking.gke.io/v1', 'GCPInferencePoolImport', ns, name);
      const exporting: { name: string }[] = imported?.status?.exportingClusters ?? [];
      for (const member of members.filter((m) => exporting.some((e) => e.name === m.name))) {
        const pool = member.server.store.get('inference.networking.k8s.io/v1', 'InferencePool', ns, name);
        const port = Number(pool?.spec?.targetPorts?.[0]?.number);
        for (const pod of member.server.store.list('v1', 'Pod', ns)) {
          if (!matches(pool?.spec?.selector?.matchLabels, pod.metadata.labels)) continue;
          // EPP drops pods whose container port does not match the pool's target port (GKE-FACTS.md).
          const containerPort = this.containerPortOf(member, ns, pod);
          if (containerPort !== undefined && containerPort !== port) continue;
          const hostPort = pod.metadata.annotations?.[POD_PORT_ANNOTATION];
          if (hostPort) out.push({ region: member.region, url: `http://127.0.0.1:${hostPort}` });
        }
      }
    }
    return out;
  }

  private containerPortOf(member: ClusterRef, ns: string, pod: KubeObject): number | undefined {
    const deployment = member.server.store
      .list('apps/v1', 'Deployment', ns)
      .find((d) => matches(d.spec?.selector?.matchLabels, pod.metadata.labels));
    const port = deployment?.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort;
    return port === undefined ? undefined : Number(port);
  }

  private importsOf(cluster: ClusterRef, gw: KubeObject): KubeObject[] {
    const ns = gw.metadata.namespace!;
    const store = cluster.server.store;
    return store
      .list('gateway.networking.k8s.io/v1', 'HTTPRoute', ns)
      .filter((r) => (r.spec?.parentRefs ?? []).some((p: { name?: string }) => p.name === gw.metadata.name))
      .flatMap((r) => (r.spec?.rules ?? []).flatMap((rule: any) => rule.backendRefs ?? []))
      .filter((ref: any) => ref.kind === 'GCPInferencePoolImport')
      .map((ref: any) => store.get('networking.gke.io/v1', 'GCPInferencePoolImport', ns, ref.name))
      .filter((x: KubeObject | undefined): x is KubeObject => !!x);
  }

  private policyFor(cluster: ClusterRef, ns: string, importName: string | undefined): BalancingPolicy {
    const policy = this.targeting(cluster, ns, 'GCPBackendPolicy', importName);
    const d = policy?.spec?.default ?? {};
    const preferredRegions = (d.scopes ?? [])
      .filter((s: any) => s.backendPreference === 'PREFERRED' && s.selector?.['gke.io/region'])
      .map((s: any) => s.selector['gke.io/region']);
    if (d.balancingMode === 'CUSTOM_METRICS') {
      return {
        mode: 'CUSTOM_METRICS',
        maxUtilizationPercent: d.customMetrics?.[0]?.maxUtilizationPercent ?? 80,
        preferredRegions,
      };
    }
    return {
      mode: 'IN_FLIGHT',
      maxInFlightRequestsPerEndpoint: d.maxInFlightRequestsPerEndpoint ?? 1000,
      preferredRegions,
    };
  }

  private healthPathFor(cluster: ClusterRef, ns: string, importName: string | undefined): string {
    const policy = this.targeting(cluster, ns, 'HealthCheckPolicy', importName);
    return policy?.spec?.default?.config?.httpHealthCheck?.requestPath ?? '/';
  }

  private targeting(cluster: ClusterRef, ns: string, kind: string, importName: string | undefined) {
    if (!importName) return undefined;
    return cluster.server.store
      .list('networking.gke.io/v1', kind, ns)
      .find(
        (p) => p.spec?.targetRef?.kind === 'GCPInferencePoolImport' && p.spec?.targetRef?.name === importName,
      );
  }

  /** Why the Gateway is not programmed, in words a person acts on. */
  private problems(cluster: ClusterRef, gw: KubeObject, regions: string[], imports: KubeObject[]): string[] {
    const out: string[] = [];
    const { config } = fleetView(this.ctx, cluster.project);
    if (config?.key !== cluster.key)
      out.push(`cluster ${cluster.name} is not the fleet's multi-cluster ingress config cluster`);
    if (regions.length === 0) out.push('no networking.gke.io/ephemeral-ipv4-address/REGION address');
    const compute = this.ctx.google.states.compute.projects[cluster.project];
    for (const region of regions) {
      const hasProxySubnet = Object.values(compute?.subnetworks ?? {}).some(
        (s) =>
          String(s.resource.region).split('/').pop() === region &&
          s.resource.purpose === 'GLOBAL_MANAGED_PROXY',
      );
      if (!hasProxySubnet) out.push(`no proxy-only subnet (GLOBAL_MANAGED_PROXY) in ${region}`);
    }
    if (imports.length === 0)
      out.push(`no HTTPRoute attaches a GCPInferencePoolImport to Gateway ${gw.metadata.name}`);
    return out;
  }

  async close() {
    await Promise.all([...this.running.values()].map((r) => r.gateway.close()));
    this.running.clear();
  }

  async forget(clusterKey: string) {
    for (const [key, running] of this.running) {
      if (!key.startsWith(`${clusterKey}/`)) continue;
      this.running.delete(key);
      await running.gateway.close();
    }
  }
}

function sameStatus(a: any, b: any): boolean {
  const strip = (s: any) =>
    JSON.stringify({
      ...s,
      conditions: (s?.conditions ?? []).map(({ lastTransitionTime: _t, ...c }: any) => c),
    });
  return strip(a) === strip(b);
}
