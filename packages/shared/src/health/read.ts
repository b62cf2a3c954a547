import type { Cloud } from '../cloud/clients.js';
import { describeCallError, toCallError } from '../cloud/errors.js';
import type { KubeClient } from '../cloud/kube.js';
import type { Cluster, Service, Spec } from '../spec/model.js';
import { clusterClient } from '../engine/kube-handler.js';
import { VERIFY_RECORD_PREFIX } from '../engine/orphans.js';
import { EMULATOR_TIMING, engineContext, type EngineContext, type Timing } from '../engine/types.js';
import { withRetries } from '../engine/retry.js';
import { planSpec } from '../engine/index.js';
import { hpaMetricName } from '../render/autoscaling.js';
import { eppName } from '../render/inferencepool-common.js';
import { readCapacity } from './capacity.js';
import { regionState, type Check, type HealthReport, type RegionHealth } from './model.js';

/**
 * Reads the health of every region of every service in the spec, in parallel; a region that
 * cannot be read within the deadline is reported as such and never hides the others. Reads only.
 */
export interface HealthOptions {
  cloud: Cloud;
  /** Per region (Google and Kubernetes reads together). */
  regionTimeoutMs: number;
  /** Report drift per region: a plan is made (reads only; the token is used if available). */
  drift?: { timing: Timing; env?: NodeJS.ProcessEnv };
}

const EXPORT = 'networking.gke.io/export';
const RETRY_TIMING = { ...EMULATOR_TIMING, initialBackoffMs: 100, maxBackoffMs: 2_000 };

/** Each region's deadline for status and verify: emulators answer at once, GKE may take a while. */
export function regionTimeoutFor(cloud: Cloud): number {
  return cloud.emulated ? 10_000 : 60_000;
}

export async function readHealth(spec: Spec, options: HealthOptions): Promise<HealthReport> {
  const ctx = engineContext(spec, options.cloud);
  const drifted = options.drift
    ? (
        await planSpec(spec, {
          cloud: options.cloud,
          timing: options.drift.timing,
          env: options.drift.env ?? process.env,
          secrets: 'ifAvailable',
          preflight: false,
        })
      ).resources.filter((r) => r.action !== 'noop')
    : undefined;
  const regions = await Promise.all(
    spec.services.flatMap((service) =>
      service.clusters.map((cluster) =>
        withDeadline(
          // A 429 or 503 is waited out within the region's deadline; a dark region fails at the deadline.
          withRetries(
            () => readRegion(service, cluster, ctx, drifted),
            RETRY_TIMING,
            Date.now() + options.regionTimeoutMs,
          ),
          options.regionTimeoutMs,
        ).catch((error) => unreadable(service, cluster, error)),
      ),
    ),
  );
  markSpilling(spec, regions);
  const lastVerified = await readLastVerified(spec, ctx);
  return {
    regions,
    ok: regions.every((r) => r.state === 'healthy'),
    checkedAt: new Date().toISOString(),
    ...(Object.keys(lastVerified).length ? { lastVerified } : {}),
  };
}

async function readLastVerified(
  spec: Spec,
  ctx: EngineContext,
): Promise<NonNullable<HealthReport['lastVerified']>> {
  const out: NonNullable<HealthReport['lastVerified']> = {};
  for (const service of spec.services) {
    try {
      const kube = await clusterClient(ctx, service.platform.configCluster.name);
      const map = await kube?.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${VERIFY_RECORD_PREFIX}${service.name}`, namespace: service.namespace },
      });
      if (map?.data?.result) out[service.name] = JSON.parse(map.data.result);
    } catch {
      // An unreadable config cluster is already reported per region.
    }
  }
  return out;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function unreadable(service: Service, cluster: Cluster, error: unknown): RegionHealth {
  const why =
    error instanceof Error && !('response' in error) && !('code' in error)
      ? error.message
      : describeCallError(toCallError(error));
  const checks = [
    {
      name: 'readable',
      ok: false,
      detail: `cannot read region ${cluster.region} (cluster ${cluster.name}): ${why} — check the cluster and the network, then run status again`,
    },
  ];
  return {
    service: service.name,
    region: cluster.region,
    cluster: cluster.name,
    preferred: service.balancing.preferredRegions.includes(cluster.region),
    state: regionState(checks),
    checks,
  };
}

async function readRegion(
  service: Service,
  cluster: Cluster,
  ctx: EngineContext,
  drifted: { id: string; title: string }[] | undefined,
): Promise<RegionHealth> {
  const platform = service.platform;
  const ns = service.namespace;
  const pool = service.pool.name;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const region: RegionHealth = {
    service: service.name,
    region: cluster.region,
    cluster: cluster.name,
    preferred: service.balancing.preferredRegions.includes(cluster.region),
    state: 'unknown',
    checks,
  };
  if (service.balancing.mode === 'CUSTOM_METRICS')
    region.threshold = service.balancing.maxUtilizationPercent / 100;

  const [gke] = await ctx.cloud.container().getCluster({
    name: `projects/${platform.projectId}/locations/${cluster.location}/clusters/${cluster.name}`,
  });
  check(
    'cluster running',
    gke.status === 'RUNNING',
    gke.status === 'RUNNING'
      ? `${cluster.name} is RUNNING`
      : `${cluster.name} is ${gke.status}${gke.statusMessage ? ` (${gke.statusMessage})` : ''} — wait, or run apply`,
  );
  region.nodePools = cluster.acceleratorPools.map((p) => {
    const live = gke.nodePools?.find((n) => n.name === p.name);
    return {
      name: p.name,
      status: String(live?.status ?? 'MISSING'),
      min: Number(live?.autoscaling?.minNodeCount ?? 0),
      max: Number(live?.autoscaling?.maxNodeCount ?? 0),
    };
  });
  const badPools = region.nodePools.filter((p) => p.status !== 'RUNNING');
  check(
    'accelerator node pools running',
    badPools.length === 0,
    badPools.length
      ? badPools.map((p) => `node pool ${p.name} is ${p.status}`).join('; ') + ' — run apply'
      : region.nodePools.map((p) => `${p.name} RUNNING, ${p.min}–${p.max} nodes`).join('; '),
  );

  const kube = await clusterClient(ctx, cluster.name);
  if (!kube) throw new Error(`cluster ${cluster.name} has no reachable API server`);
  const config = platform.configCluster;

  const deployment = await kube.read({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: pool, namespace: ns },
  });
  const desired = deployment ? Number(deployment.spec?.replicas ?? 1) : 0;
  const ready = Number(deployment?.status?.readyReplicas ?? 0);
  region.modelServers = { ready, desired };
  check(
    'model servers ready',
    ready > 0,
    !deployment
      ? `Deployment ${ns}/${pool} is missing in ${cluster.name} — run apply`
      : ready > 0
        ? `${ready}/${desired} ready`
        : `0/${desired} ready in ${cluster.name}: ${conditionMessage(deployment, 'Available') ?? 'no replica is ready'} — check the node pools' GPUs and the model server's logs`,
  );

  if (deployment) await readCapacity(deployment, kube, region, check);
  await readEndpointPicker(service, cluster, kube, check);
  await readAutoscaler(service, kube, region, check);
  const poolObject = await kube.read({
    apiVersion: 'inference.networking.k8s.io/v1',
    kind: 'InferencePool',
    metadata: { name: pool, namespace: ns },
  });
  check(
    'pool exported',
    poolObject?.metadata?.annotations?.[EXPORT] === 'True',
    !poolObject
      ? `InferencePool ${pool} is missing in ${cluster.name} — run apply`
      : poolObject.metadata?.annotations?.[EXPORT] === 'True'
        ? `InferencePool ${pool} is exported`
        : `InferencePool ${pool} in ${cluster.name} is not exported: annotation ${EXPORT} missing — run apply`,
  );
  try {
    // The config cluster may be in another region: when it cannot be read, only its checks fail.
    const configKube = config.name === cluster.name ? kube : await clusterClient(ctx, config.name);
    await readGateway(service, cluster, configKube, region, check);
  } catch (error) {
    const why = `the config cluster ${config.name} cannot be read (${describeCallError(toCallError(error))})`;
    for (const name of ['pool imported', 'gateway programmed', 'policies attached']) check(name, false, why);
  }
  await readUtilization(service, cluster, ctx, region);
  if (drifted) {
    const drift = drifted.filter(
      (d) => d.id.includes(`/${cluster.name}/`) || d.title.includes(` in ${cluster.name}`),
    );
    region.drift = drift.map((d) => d.title);
    check(
      'no drift',
      drift.length === 0,
      drift.length
        ? `${drift.length} resource(s) differ from the spec (${drift
            .slice(0, 3)
            .map((d) => d.title)
            .join('; ')}) — run plan, then apply`
        : 'live state matches the spec',
    );
  }
  region.state = regionState(checks);
  return region;
}

type CheckFn = (name: string, ok: boolean, detail: string) => void;

const CHECK = 'inference extension';

/**
 * The inference extension release the region runs (its endpoint picker's image tag), against the
 * spec's. The check's detail starts with the running release; {@link inferenceExtensionOf} reads it.
 */
async function readEndpointPicker(service: Service, cluster: Cluster, kube: KubeClient, check: CheckFn) {
  const name = eppName(service.pool.name);
  const ns = service.namespace;
  const wanted = service.pool.inferenceExtension;
  const epp = await kube.read({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
  });
  const image = String(epp?.spec?.template?.spec?.containers?.[0]?.image ?? '');
  const running =
    /\/epp:(v[\w.-]+)$/.exec(image)?.[1] ?? epp?.metadata?.labels?.['app.kubernetes.io/version'];
  const ready = Number(epp?.status?.readyReplicas ?? 0);
  if (!epp)
    return check(CHECK, false, `none: Deployment ${ns}/${name} is missing in ${cluster.name} — run apply`);
  if (running !== wanted)
    return check(
      CHECK,
      false,
      `${running ?? image} runs, the spec says ${wanted} (drift) — run plan, then apply`,
    );
  check(
    CHECK,
    ready > 0,
    ready > 0
      ? `${running}, as the spec says; endpoint picker ready`
      : `${running}, as the spec says; endpoint picker not ready: ${conditionMessage(epp, 'Available') ?? 'no replica is ready'} — read its logs (kubectl logs deploy/${name} -n ${ns})`,
  );
}

/** The release a region's endpoint picker runs, from its check: `v1.5.0`, or `v1.0.1 (spec v1.5.0)` on drift. */
export function inferenceExtensionOf(region: RegionHealth): string | undefined {
  const detail = region.checks.find((c) => c.name === CHECK)?.detail;
  const drift = detail && / runs, the spec says (\S+) \(drift\)/.exec(detail);
  const running = detail?.split(/[ ,:]/)[0];
  if (!running) return undefined;
  return drift ? `${running} (spec ${drift[1]})` : running;
}

async function readAutoscaler(service: Service, kube: KubeClient, region: RegionHealth, check: CheckFn) {
  const hpa = await kube.read({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: service.pool.name, namespace: service.namespace },
  });
  const metric = hpaMetricName(service.model.kvCacheMetric);
  const active = (hpa?.status?.conditions ?? []).find((c: any) => c.type === 'ScalingActive');
  const current = hpa?.status?.currentMetrics?.[0]?.pods?.current?.averageValue;
  region.hpa = {
    ...(current !== undefined ? { current: Number(current) } : {}),
    target: service.autoscaling.targetUtilization,
    ...(hpa?.status?.desiredReplicas !== undefined
      ? { desiredReplicas: Number(hpa.status.desiredReplicas) }
      : {}),
    metric,
  };
  const specMetric = hpa?.spec?.metrics?.[0]?.pods?.metric?.name;
  if (!hpa)
    check('autoscaler active', false, `HorizontalPodAutoscaler ${service.pool.name} is missing — run apply`);
  else if (specMetric !== metric)
    check(
      'autoscaler active',
      false,
      `the HPA reads ${specMetric ?? 'no metric'}, not ${metric} — run apply`,
    );
  else if (active?.status !== 'True')
    check(
      'autoscaler active',
      false,
      `the HPA cannot read ${metric}: ${active?.message ?? 'no status yet'} — check the custom-metrics adapter and its monitoring.viewer binding`,
    );
  else
    check(
      'autoscaler active',
      true,
      `scaling on ${metric}, ${current ?? '?'} against a target of ${service.autoscaling.targetUtilization}`,
    );
}

async function readGateway(
  service: Service,
  cluster: Cluster,
  configKube: KubeClient | undefined,
  region: RegionHealth,
  check: CheckFn,
) {
  const ns = service.namespace;
  const pool = service.pool.name;
  const config = service.platform.configCluster.name;
  if (!configKube) {
    check('pool imported', false, `the config cluster ${config} is not reachable`);
    return;
  }
  const imported = await configKube.read({
    apiVersion: 'networking.gke.io/v1',
    kind: 'GCPInferencePoolImport',
    metadata: { name: pool, namespace: ns },
  });
  const exporters: { name?: string }[] | undefined = imported?.status?.exportingClusters;
  const listed = !exporters || exporters.some((e) => e.name === cluster.name);
  check(
    'pool imported',
    !!imported && listed,
    !imported
      ? `no GCPInferencePoolImport ${pool} in the config cluster ${config} — check the export annotation and the multi-cluster ingress feature`
      : listed
        ? `imported in ${config}`
        : `GCPInferencePoolImport ${pool} in ${config} does not list ${cluster.name} — check its export`,
  );
  const gateway = await configKube.read({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: service.gateway.name, namespace: ns },
  });
  const programmed = (gateway?.status?.conditions ?? []).find((c: any) => c.type === 'Programmed');
  const address =
    (gateway?.status?.addresses ?? []).find((a: any) => String(a.type).endsWith(`/${cluster.region}`)) ??
    (gateway?.status?.addresses ?? [])[service.regions.indexOf(cluster.region)];
  if (address) region.gatewayAddress = address.value;
  check(
    'gateway programmed',
    programmed?.status === 'True' && !!address,
    !gateway
      ? `Gateway ${service.gateway.name} is missing in ${config} — run apply`
      : programmed?.status !== 'True'
        ? `Gateway ${service.gateway.name} is not programmed: ${programmed?.message ?? 'no status yet'}`
        : !address
          ? `Gateway ${service.gateway.name} has no address in ${cluster.region} yet`
          : `programmed; address ${address.value} in ${cluster.region}`,
  );
  const policy = await configKube.read({
    apiVersion: 'networking.gke.io/v1',
    kind: 'GCPBackendPolicy',
    metadata: { name: `${pool}-import`, namespace: ns },
  });
  const health = await configKube.read({
    apiVersion: 'networking.gke.io/v1',
    kind: 'HealthCheckPolicy',
    metadata: { name: `${pool}-import`, namespace: ns },
  });
  const missing = [!policy && 'GCPBackendPolicy', !health && 'HealthCheckPolicy'].filter(Boolean);
  check(
    'policies attached',
    missing.length === 0,
    missing.length
      ? `${missing.join(' and ')} ${pool}-import missing in ${config}: traffic is balanced without Spillway's settings — run apply`
      : `GCPBackendPolicy (${policy.spec?.default?.balancingMode}) and HealthCheckPolicy attached to the import`,
  );
}

async function readUtilization(service: Service, cluster: Cluster, ctx: EngineContext, region: RegionHealth) {
  const metric = service.model.kvCacheMetric;
  try {
    const query = encodeURIComponent(`avg by (cluster) (${metric}{cluster="${cluster.name}"})`);
    const result = await ctx.cloud
      .rest('monitoring')
      .request(
        'GET',
        `/v1/projects/${service.platform.projectId}/location/global/prometheus/api/v1/query?query=${query}`,
      );
    const sample = (result?.data?.result ?? []).find((r: any) => r.metric?.cluster === cluster.name);
    if (sample) {
      region.utilization = Number(sample.value[1]);
      region.utilizationSource = 'monitoring';
      return;
    }
  } catch {
    // Cloud Monitoring unreachable: the HPA's own reading is the fallback.
  }
  if (region.hpa?.current !== undefined) {
    region.utilization = region.hpa.current;
    region.utilizationSource = 'hpa';
  }
}

function conditionMessage(object: any, type: string): string | undefined {
  return (object?.status?.conditions ?? []).find((c: any) => c.type === type)?.message;
}

/** Spilling: a preferred region at or above the threshold while another region takes traffic. */
function markSpilling(spec: Spec, regions: RegionHealth[]) {
  for (const service of spec.services) {
    const mine = regions.filter((r) => r.service === service.name);
    const saturated = mine.some(
      (r) => r.preferred && r.threshold !== undefined && (r.utilization ?? 0) >= r.threshold,
    );
    for (const r of mine) if (!r.preferred) r.spilling = saturated && (r.utilization ?? 0) > 0;
  }
}
