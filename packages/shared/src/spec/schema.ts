import { z } from 'zod';

/**
 * The shape of the spec (CONTRACT.md §1): field names, types and defaults.
 * Rules that relate fields to each other live in rules/, not here.
 */

export const API_VERSION = 'spillway.dev/v1alpha1';
export const MIN_GKE_VERSION = '1.34.1-gke.1127000';

const name = z.string().min(1);
const positiveInt = z.number().int().min(1);
const nonNegativeInt = z.number().int().min(0);

const nodeCounts = z.strictObject({
  initial: nonNegativeInt.default(1),
  min: nonNegativeInt.default(0),
  max: positiveInt.default(3),
});

const acceleratorPool = z.strictObject({
  name,
  accelerator: z.strictObject({ type: name, count: positiveInt }),
  machineType: name,
  spot: z.boolean().default(false),
  nodes: nodeCounts.default({ initial: 1, min: 0, max: 3 }),
});

const cluster = z.strictObject({
  name,
  location: name,
  configCluster: z.boolean().default(false),
  machineType: name.default('c2-standard-16'),
  diskType: z.enum(['pd-standard', 'pd-balanced', 'pd-ssd', 'hyperdisk-balanced']).default('pd-standard'),
  proxySubnet: z.strictObject({ cidr: name }),
  // Empty only when the platform has capacityClasses (a rule): their nodes come from auto-created pools.
  acceleratorPools: z.array(acceleratorPool).default([]),
});

/**
 * One tier of a capacity class, tried in `order` (CONTRACT.md §1b). Exactly one key per entry and
 * what each key needs are rules (rules/), so each mistake gets its own message and position.
 */
const capacityTier = z.strictObject({
  /** A zonal reservation: `{ name, zone, project? }`, or `{ any: true }` (any matching reservation). */
  reservation: z
    .strictObject({
      name: name.optional(),
      project: name.optional(),
      zone: name.optional(),
      any: z.boolean().optional(),
    })
    .optional(),
  onDemand: z.strictObject({}).optional(),
  /** Dynamic Workload Scheduler flex-start; `maxRunDuration` like `7d`, `36h` or `90m` (at most 7d). */
  flexStart: z.strictObject({ maxRunDuration: name.default('7d') }).optional(),
  spot: z.strictObject({}).optional(),
});

export const CAPACITY_TIER_KINDS = ['reservation', 'onDemand', 'flexStart', 'spot'] as const;
export type CapacityTierKind = (typeof CAPACITY_TIER_KINDS)[number];

/** A GKE custom ComputeClass rendered in every cluster, and who may use it (the guardrail). */
const capacityClass = z.strictObject({
  name,
  /** A GPU class: its type and how many per node (the machine type's). */
  accelerator: z.strictObject({ type: name, count: positiveInt }).optional(),
  /** A TPU class instead: its type and topology. */
  tpu: z.strictObject({ type: name, topology: name }).optional(),
  machineType: name,
  order: z.array(capacityTier).min(1),
  whenUnsatisfiable: z.enum(['DoNotScaleUp', 'ScaleUpAnyway']).default('DoNotScaleUp'),
  /** Only pods in these namespaces may use (tolerate or select) this class. */
  namespaces: z.array(name).min(1),
  /** Per cluster: node auto-provisioning's limit for this accelerator, so the class has a budget. */
  maxAccelerators: positiveInt,
});

const metadata = z.strictObject({ name });

export const platformSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('InferencePlatform'),
  metadata,
  spec: z.strictObject({
    projectId: name,
    network: name.default('default'),
    gkeVersion: name.default(MIN_GKE_VERSION),
    releaseChannel: z.enum(['rapid', 'regular', 'stable', 'extended']).optional(),
    capacityClasses: z.array(capacityClass).default([]),
    clusters: z.array(cluster).min(1),
  }),
});

const loraAdapter = z.strictObject({ name, source: name });

const huggingFaceToken = z.strictObject({
  secretName: name.default('hf-token'),
  fromEnv: name.optional(),
  secretManager: name.optional(),
});

export const KV_CACHE_METRICS = ['vllm:kv_cache_usage_perc', 'vllm:gpu_cache_usage_perc'] as const;

/** The gateway-api-inference-extension release whose `inferencepool` chart renders the pool (CONTRACT.md §1b). */
export const INFERENCE_EXTENSION_VERSIONS = ['v1.0.1', 'v1.5.0'] as const;
/** What a spec without `pool.inferenceExtension` gets: the seeds' release, so nothing changes under it. */
export const DEFAULT_INFERENCE_EXTENSION = 'v1.0.1';

export const serviceSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('InferenceService'),
  metadata: z.strictObject({ name, namespace: name.default('default') }),
  spec: z.strictObject({
    platform: name,
    regions: z.array(name).min(1).optional(),
    model: z.strictObject({
      id: name,
      image: name.default('vllm/vllm-openai:v0.10.2'),
      /** Needed only when the image tag does not tell the vLLM version. */
      kvCacheMetric: z.enum(KV_CACHE_METRICS).optional(),
      gpusPerReplica: positiveInt.default(1),
      huggingFaceToken: huggingFaceToken,
      loraAdapters: z.array(loraAdapter).default([]),
      /** Run on this platform capacity class (its ComputeClass) instead of the clusters' accelerator pools. */
      capacityClass: name.optional(),
    }),
    pool: z
      .strictObject({
        name: name.optional(),
        targetPort: z.number().int().min(1).max(65535).default(8000),
        // No default here: the checked document is recorded, and an absent field must record as before.
        inferenceExtension: z.enum(INFERENCE_EXTENSION_VERSIONS).optional(),
      })
      .default({ targetPort: 8000 }),
    objectives: z.array(z.strictObject({ name, priority: z.number().int().default(0) })).default([]),
    gateway: z
      .strictObject({
        name: name.default('cross-region-gateway'),
        port: z.number().int().min(1).max(65535).default(80),
        healthCheckPath: z.string().startsWith('/').default('/health'),
        timeoutSec: positiveInt.default(100),
      })
      .default({ name: 'cross-region-gateway', port: 80, healthCheckPath: '/health', timeoutSec: 100 }),
    balancing: z
      .strictObject({
        mode: z.enum(['CUSTOM_METRICS', 'IN_FLIGHT']).default('CUSTOM_METRICS'),
        maxUtilizationPercent: z.number().int().min(1).max(100).optional(),
        maxInFlightRequestsPerEndpoint: z.number().int().min(1).max(1_000_000_000).optional(),
        preferredRegions: z.array(name).optional(),
      })
      .default({ mode: 'CUSTOM_METRICS' }),
    autoscaling: z
      .strictObject({
        minReplicas: positiveInt.default(1),
        maxReplicas: positiveInt.default(10),
        targetUtilization: z.number().default(0.5),
      })
      .default({ minReplicas: 1, maxReplicas: 10, targetUtilization: 0.5 }),
  }),
});

export type PlatformDoc = z.infer<typeof platformSchema>;
export type ServiceDoc = z.infer<typeof serviceSchema>;
export type ClusterSpec = PlatformDoc['spec']['clusters'][number];
export type AcceleratorPoolSpec = ClusterSpec['acceleratorPools'][number];
export type CapacityClassSpec = PlatformDoc['spec']['capacityClasses'][number];
export type CapacityTierSpec = CapacityClassSpec['order'][number];

export const schemaByKind = {
  InferencePlatform: platformSchema,
  InferenceService: serviceSchema,
} as const;
export type SpecKind = keyof typeof schemaByKind;
