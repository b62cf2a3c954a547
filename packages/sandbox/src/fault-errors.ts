/**
 * The quota errors a fault plan injects, worded and shaped as each Google API gives them:
 *
 * - GKE, a hard quota: the create is refused at once, 403 PERMISSION_DENIED (gRPC 7) `Insufficient
 *   regional quota to satisfy request: resource "NVIDIA_H100_GPUS": request requires '16.0' and is
 *   short '8.0'. project has a quota of '8.0' with '0.0' available. View and manage quotas at …`;
 *   or, with `when: operation`, the operation ends in GCE_QUOTA_EXCEEDED (`Instance '…' creation
 *   failed: Quota 'NVIDIA_H100_GPUS' exceeded.  Limit: 8.0 in region us-east4.`).
 * - Compute, a hard quota: 403 with errors[0].reason quotaExceeded, `Quota 'NVIDIA_H100_GPUS'
 *   exceeded.  Limit: 8.0 in region us-east4.` and an ErrorInfo QUOTA_EXCEEDED.
 * - Any API, a per-minute rate quota: 429 RESOURCE_EXHAUSTED (gRPC 8) `Quota exceeded for quota
 *   metric 'Write requests' and limit 'Write requests per minute' of service 'gkehub.googleapis.com'
 *   for consumer 'project_number:123'.` with an ErrorInfo RATE_LIMIT_EXCEEDED and a Help link.
 * - GKE, the concurrent-operations quota: 429 RESOURCE_EXHAUSTED (gRPC 8) `Too many operations:
 *   cluster "gke-east" hits the concurrent operations quota 5, please try again later.`; Compute:
 *   403 rateLimitExceeded with an ErrorInfo CONCURRENT_OPERATIONS_QUOTA_EXCEEDED.
 *
 * Sources: the messages users quote from GKE, Compute and Service Infrastructure (Terraform and
 * gcloud issue threads), and google/api/error_reason.proto for the ErrorInfo shapes.
 */
import type { ApiName, CallContext, InjectedError } from './faults.js';
import { defaultProjectNumber } from './google/common.js';

/** A hard quota the call runs into: `limit` of `metric` in `region`, `usage` of it used. */
export interface QuotaFault {
  /** The quota's name, as the console lists it: NVIDIA_H100_GPUS, PREEMPTIBLE_NVIDIA_H100_GPUS, CPUS, IN_USE_ADDRESSES … */
  metric: string;
  /** Only calls in this region (a GKE location in it, or a Compute region) run into it; default: every call. */
  region?: string;
  limit: number;
  /** How much is in use; default: all of it (`limit`). */
  usage?: number;
  /**
   * How much the request asks for; default: for a GKE create whose node pools have accelerators
   * of the metric's type, what they ask for (nodes × GPUs per node × zones), and otherwise one
   * more than is available. A GKE request that asks for none of the metric, or no more than is
   * available, passes.
   */
  requested?: number;
  /** `request` (default): the call is refused; `operation`: it starts an operation that ends in the quota error. */
  when?: 'request' | 'operation';
}

/** A per-minute rate quota (Service Infrastructure's), exceeded by the call. */
export interface RateLimitFault {
  /** The quota metric's display name; default `Write requests` for calls that change something, else `Read requests`. */
  metric?: string;
  /** The limit's display name; default `<metric> per minute`. */
  limit?: string;
  /** The limit's value (in the ErrorInfo); default 600. */
  value?: number;
  /** The consumer the message names; default `project_number:<the project's number in the sandbox>`. */
  consumer?: string;
}

/** The quota on concurrent operations (GKE: per cluster; Compute: per project and region). */
export interface ConcurrentOperationsFault {
  limit: number;
}

const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
const HELP = 'type.googleapis.com/google.rpc.Help';
const LOCALIZED = 'type.googleapis.com/google.rpc.LocalizedMessage';

/** GKE's accelerator types and the quota each counts against (Spot and preemptible nodes: PREEMPTIBLE_…). */
const GPU_METRICS: Record<string, string> = {
  'nvidia-h100-80gb': 'NVIDIA_H100_GPUS',
  'nvidia-h100-mega-80gb': 'NVIDIA_H100_MEGA_GPUS',
  'nvidia-h200-141gb': 'NVIDIA_H200_GPUS',
  'nvidia-b200': 'NVIDIA_B200_GPUS',
  'nvidia-a100-80gb': 'NVIDIA_A100_80GB_GPUS',
  'nvidia-tesla-a100': 'NVIDIA_A100_GPUS',
  'nvidia-l4': 'NVIDIA_L4_GPUS',
  'nvidia-tesla-t4': 'NVIDIA_T4_GPUS',
};
const GPU_QUOTAS = new Set(Object.values(GPU_METRICS).flatMap((m) => [m, `PREEMPTIBLE_${m}`]));

export const regionOf = (location: string | undefined) => location?.replace(/-[a-z]$/, '');
const isZone = (location: string | undefined) => !!location && /-[a-z]$/.test(location);
/** Quotas are written with one decimal: '16.0', '7.5'. */
const figure = (n: number) => (Number.isInteger(n) ? n.toFixed(1) : String(n));

/**
 * What a GKE create asks of a GPU quota: for each node pool in the request, nodes per zone × zones
 * × GPUs per node of the metric's type. Undefined when the sandbox cannot tell (another API or
 * method, a quota other than a GPU one).
 */
export function gpuDemand(api: ApiName, metric: string, context: CallContext): number | undefined {
  if (api !== 'container' || !GPU_QUOTAS.has(metric)) return undefined;
  const req = context.request as any;
  const pools: any[] = req?.nodePool ? [req.nodePool] : (req?.cluster?.nodePools ?? []);
  if (!req?.nodePool && !req?.cluster) return undefined;
  let total = 0;
  for (const pool of pools) {
    const preemptible = pool.config?.spot || pool.config?.preemptible;
    const perNode = (pool.config?.accelerators ?? [])
      .filter((a: any) => {
        const base = GPU_METRICS[a?.acceleratorType];
        return base && (preemptible ? `PREEMPTIBLE_${base}` : base) === metric;
      })
      .reduce((sum: number, a: any) => sum + Number(a.acceleratorCount ?? 0), 0);
    const zones = pool.locations?.length || (isZone(context.location) ? 1 : 3);
    total += Number(pool.initialNodeCount ?? 3) * zones * perNode;
  }
  return total;
}

/**
 * The request's shortfall against the quota, or undefined when the request fits (a GKE create that
 * asks for none of the metric, or no more than is available).
 */
export function shortfall(api: ApiName, quota: QuotaFault, context: CallContext) {
  const usage = quota.usage ?? quota.limit;
  const available = Math.max(0, quota.limit - usage);
  const demand = gpuDemand(api, quota.metric, context);
  const requested = quota.requested ?? demand ?? available + 1;
  if (requested <= available) return undefined;
  return { usage, available, requested, short: requested - available };
}

/** The error a call that runs into a hard quota gets, as its API words it. */
export function quotaError(
  api: ApiName,
  quota: QuotaFault,
  context: CallContext,
  s: { available: number; requested: number; short: number },
): InjectedError {
  const region = quota.region ?? regionOf(context.location) ?? 'us-central1';
  if (api === 'container') {
    const project = context.project ? `&project=${context.project}` : '';
    return {
      status: 403,
      statusName: 'PERMISSION_DENIED',
      reason: 'forbidden',
      message:
        `Insufficient regional quota to satisfy request: resource "${quota.metric}": request requires ` +
        `'${figure(s.requested)}' and is short '${figure(s.short)}'. project has a quota of ` +
        `'${figure(quota.limit)}' with '${figure(s.available)}' available. View and manage quotas at ` +
        `https://console.cloud.google.com/iam-admin/quotas?usage=USED${project}.`,
    };
  }
  if (api === 'compute') {
    return {
      status: 403,
      statusName: 'PERMISSION_DENIED',
      reason: 'quotaExceeded',
      domain: 'usageLimits',
      message: computeQuotaMessage(quota.metric, quota.limit, region),
      details: [
        {
          '@type': ERROR_INFO,
          reason: 'QUOTA_EXCEEDED',
          domain: 'compute.googleapis.com',
          metadata: {
            quota_metric: quota.metric,
            quota_limit_value: String(quota.limit),
            quota_location: region,
          },
        },
        helpLink(),
      ],
    };
  }
  // The other APIs' hard quotas are Service Infrastructure's (429, RESOURCE_QUOTA_EXCEEDED).
  const service = `${api}.googleapis.com`;
  const consumer = consumerOf(context);
  return {
    status: 429,
    statusName: 'RESOURCE_EXHAUSTED',
    reason: 'quotaExceeded',
    message: `Quota exceeded for quota metric '${quota.metric}' and limit '${quota.metric}' of service '${service}' for consumer '${consumer}'.`,
    details: [
      {
        '@type': ERROR_INFO,
        reason: 'RESOURCE_QUOTA_EXCEEDED',
        domain: 'googleapis.com',
        metadata: {
          service,
          consumer: consumer.replace('project_number:', 'projects/'),
          quota_metric: quota.metric,
          quota_limit_value: String(quota.limit),
        },
      },
      helpLink(),
    ],
  };
}

/** Compute's wording (two spaces before `Limit`, as Compute writes it). */
function computeQuotaMessage(metric: string, limit: number, region: string) {
  return `Quota '${metric}' exceeded.  Limit: ${figure(limit)} in region ${region}.`;
}

/** The operation error of a quota met once the operation runs (GKE creating the nodes, Compute inserting). */
export function quotaOperationError(api: ApiName, quota: QuotaFault, context: CallContext) {
  const region = quota.region ?? regionOf(context.location) ?? 'us-central1';
  const message = computeQuotaMessage(quota.metric, quota.limit, region);
  if (api !== 'container') return { code: 'QUOTA_EXCEEDED', message };
  const req = context.request as any;
  const pool = req?.nodePool?.name ?? req?.cluster?.nodePools?.[0]?.name ?? 'default-pool';
  const id = hash(`${context.cluster}/${pool}`);
  const instance = `gke-${context.cluster ?? 'cluster'}-${pool}-${id}-${hash(id).slice(0, 4)}`;
  return { code: 'GCE_QUOTA_EXCEEDED', message: `Instance '${instance}' creation failed: ${message}` };
}

/** The error of a call over a per-minute rate quota. */
export function rateLimitError(
  api: ApiName,
  rate: RateLimitFault,
  context: CallContext,
  mutating: boolean,
): InjectedError {
  const metric = rate.metric ?? (mutating ? 'Write requests' : 'Read requests');
  const limit = rate.limit ?? `${metric} per minute`;
  const service = `${api === 'kubernetes' ? 'container' : api}.googleapis.com`;
  const consumer = rate.consumer ?? consumerOf(context);
  const camel = (text: string) => text.replace(/(?:^|\s+)(\w)/g, (_, c: string) => c.toUpperCase());
  return {
    status: 429,
    statusName: 'RESOURCE_EXHAUSTED',
    reason: 'rateLimitExceeded',
    message: `Quota exceeded for quota metric '${metric}' and limit '${limit}' of service '${service}' for consumer '${consumer}'.`,
    details: [
      {
        '@type': ERROR_INFO,
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'googleapis.com',
        metadata: {
          service,
          consumer: consumer.replace('project_number:', 'projects/'),
          quota_metric: `${service}/${metric.toLowerCase().replace(/\s+/g, '_')}`,
          quota_limit: `${camel(limit)}PerProject`,
          quota_limit_value: String(rate.value ?? 600),
          quota_location: 'global',
        },
      },
      helpLink(),
    ],
  };
}

/** The error of a call over the concurrent-operations quota. */
export function concurrentOperationsError(
  api: ApiName,
  fault: ConcurrentOperationsFault,
  context: CallContext,
  mutating: boolean,
): InjectedError {
  if (api === 'compute') {
    const number = consumerOf(context).replace('project_number:', '');
    const region = regionOf(context.location) ?? 'global';
    return {
      status: 403,
      statusName: 'PERMISSION_DENIED',
      reason: 'rateLimitExceeded',
      domain: 'usageLimits',
      message: 'Rate Limit Exceeded',
      details: [
        {
          '@type': ERROR_INFO,
          reason: 'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED',
          domain: 'compute.googleapis.com',
          metadata: { containerType: 'PROJECT', containerId: number, location: region },
        },
        {
          '@type': LOCALIZED,
          locale: 'en-US',
          message: `Quota on concurrent operations exceeded for project ${number} in ${region}.`,
        },
      ],
    };
  }
  if (api === 'container') {
    const target = context.cluster ? `cluster "${context.cluster}"` : `project "${context.project ?? ''}"`;
    return {
      status: 429,
      statusName: 'RESOURCE_EXHAUSTED',
      reason: 'rateLimitExceeded',
      message: `Too many operations: ${target} hits the concurrent operations quota ${fault.limit}, please try again later.`,
    };
  }
  return rateLimitError(
    api,
    { metric: 'Concurrent operations', limit: 'Concurrent operations per project', value: fault.limit },
    context,
    mutating,
  );
}

function consumerOf(context: CallContext) {
  return `project_number:${context.project ? defaultProjectNumber(context.project) : '0'}`;
}

function helpLink() {
  return {
    '@type': HELP,
    links: [
      {
        description: 'Request a higher quota limit.',
        url: 'https://cloud.google.com/docs/quotas/help/request_increase',
      },
    ],
  };
}

/** Eight hex digits from a text, as in GKE's instance names (gke-CLUSTER-POOL-1a2b3c4d-x9z8). */
function hash(text: string) {
  let h = 0x811c9dc5;
  for (const c of text) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
