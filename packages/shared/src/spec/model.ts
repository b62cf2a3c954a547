import type { SourceDocument } from './source.js';
import {
  DEFAULT_INFERENCE_EXTENSION,
  type CapacityClassSpec,
  type PlatformDoc,
  type ServiceDoc,
} from './schema.js';
import { isZone, kvMetricForVersion, NEW_KV_METRIC, regionOf, vllmVersionOf } from './catalog.js';
import { derivePoolName } from './names.js';
import { DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_UTILIZATION } from './rules.js';

/** A valid spec, resolved: every default applied and every derived value computed. */
export interface Spec {
  platforms: Platform[];
  services: Service[];
}

export interface Where {
  file: string;
  line: number;
}

export interface Platform {
  name: string;
  projectId: string;
  network: string;
  gkeVersion: string;
  releaseChannel?: 'rapid' | 'regular' | 'stable' | 'extended';
  clusters: Cluster[];
  configCluster: Cluster;
  /** GKE custom ComputeClasses rendered in every cluster (CONTRACT.md §1b); empty when none. */
  capacityClasses: CapacityClassSpec[];
  source: Where;
  /** Given with --platform: read-only, its own resources are never planned, applied or destroyed. */
  reference?: boolean;
}

export interface Cluster {
  name: string;
  location: string;
  region: string;
  zonal: boolean;
  configCluster: boolean;
  machineType: string;
  diskType: string;
  proxySubnetCidr: string;
  acceleratorPools: PlatformDoc['spec']['clusters'][number]['acceleratorPools'];
}

export type KvCacheMetric = 'vllm:kv_cache_usage_perc' | 'vllm:gpu_cache_usage_perc';
export type InferenceExtensionVersion = 'v1.0.1' | 'v1.5.0';

export interface Service {
  name: string;
  namespace: string;
  platform: Platform;
  /** The platform's clusters in this service's regions, in the platform's order. */
  clusters: Cluster[];
  regions: string[];
  model: ServiceDoc['spec']['model'] & {
    kvCacheMetric: KvCacheMetric;
    /** The AutoscalingMetric export name the load balancer reads: kv-cache or kv-cache-old. */
    exportName: 'kv-cache' | 'kv-cache-old';
  };
  pool: { name: string; targetPort: number; inferenceExtension: InferenceExtensionVersion };
  objectives: ServiceDoc['spec']['objectives'];
  gateway: ServiceDoc['spec']['gateway'];
  balancing:
    | { mode: 'CUSTOM_METRICS'; maxUtilizationPercent: number; preferredRegions: string[] }
    | { mode: 'IN_FLIGHT'; maxInFlightRequestsPerEndpoint: number; preferredRegions: string[] };
  autoscaling: ServiceDoc['spec']['autoscaling'];
  source: Where;
  /** The checked document, defaults filled in: what apply records in the config cluster. */
  document: ServiceDoc;
}

const where = (doc: SourceDocument): Where => ({ file: doc.file, line: doc.locate([]).line });

export function resolvePlatform(value: PlatformDoc, doc: SourceDocument): Platform {
  const clusters: Cluster[] = value.spec.clusters.map((c) => ({
    name: c.name,
    location: c.location,
    region: regionOf(c.location)!,
    zonal: isZone(c.location),
    configCluster: c.configCluster,
    machineType: c.machineType,
    diskType: c.diskType,
    proxySubnetCidr: c.proxySubnet.cidr,
    acceleratorPools: c.acceleratorPools,
  }));
  return {
    name: value.metadata.name,
    projectId: value.spec.projectId,
    network: value.spec.network,
    gkeVersion: value.spec.gkeVersion,
    ...(value.spec.releaseChannel ? { releaseChannel: value.spec.releaseChannel } : {}),
    clusters,
    configCluster: clusters.find((c) => c.configCluster)!,
    capacityClasses: value.spec.capacityClasses,
    source: where(doc),
  };
}

export function resolveService(value: ServiceDoc, doc: SourceDocument, platform: Platform): Service {
  const spec = value.spec;
  const regions = spec.regions ?? platform.clusters.map((c) => c.region);
  const version = vllmVersionOf(spec.model.image);
  const kvCacheMetric = (version ? kvMetricForVersion(version) : spec.model.kvCacheMetric!) as KvCacheMetric;
  const preferredRegions = spec.balancing.preferredRegions ?? [];
  return {
    name: value.metadata.name,
    namespace: value.metadata.namespace,
    platform,
    clusters: platform.clusters.filter((c) => regions.includes(c.region)),
    regions: platform.clusters.map((c) => c.region).filter((r) => regions.includes(r)),
    model: {
      ...spec.model,
      kvCacheMetric,
      exportName: kvCacheMetric === NEW_KV_METRIC ? 'kv-cache' : 'kv-cache-old',
    },
    pool: {
      name: spec.pool.name ?? derivePoolName(spec.model.id),
      targetPort: spec.pool.targetPort,
      inferenceExtension: spec.pool.inferenceExtension ?? DEFAULT_INFERENCE_EXTENSION,
    },
    objectives: spec.objectives,
    gateway: spec.gateway,
    balancing:
      spec.balancing.mode === 'CUSTOM_METRICS'
        ? {
            mode: 'CUSTOM_METRICS',
            maxUtilizationPercent: spec.balancing.maxUtilizationPercent ?? DEFAULT_MAX_UTILIZATION,
            preferredRegions,
          }
        : {
            mode: 'IN_FLIGHT',
            maxInFlightRequestsPerEndpoint:
              spec.balancing.maxInFlightRequestsPerEndpoint ?? DEFAULT_MAX_IN_FLIGHT,
            preferredRegions,
          },
    autoscaling: spec.autoscaling,
    source: where(doc),
    document: value,
  };
}
