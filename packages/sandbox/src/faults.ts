/**
 * Faults on demand (issue 3): error rates per method, latency, operations that end in error, lost
 * responses (applied on the server, a failure for the client), quotas (hard, per-minute, concurrent
 * operations; worded as each API words them, see fault-errors.ts) and dark regions. Random choices
 * come from a seeded generator so a failing test can be replayed.
 *
 * A plan is JSON (`spillway sandbox up --faults FILE`), e.g.:
 *
 *   { "seed": 7, "rules": [
 *     { "api": "container", "method": "ListClusters", "errorRate": 0.3, "status": 429 },
 *     { "api": "container", "method": "CreateNodePool",
 *       "operationError": { "code": "GCE_STOCKOUT", "message": "no H100 in us-east4-a" }, "times": 1 },
 *     { "api": "container", "method": "CreateNodePool",
 *       "quota": { "metric": "NVIDIA_H100_GPUS", "region": "us-east4", "limit": 8, "usage": 8 } },
 *     { "api": "compute", "method": "subnetworks.insert",
 *       "quota": { "metric": "SUBNETWORKS", "limit": 100, "usage": 100 } },
 *     { "api": "gkehub", "method": "memberships.create", "rateLimit": {}, "times": 2 },
 *     { "api": "container", "method": "CreateNodePool", "concurrentOperations": { "limit": 5 }, "times": 1 } ],
 *   "darkRegions": [],
 *   "stockouts": [ { "region": "us-east4", "tier": "reservation" }, { "tier": "spot" } ] }
 *
 * A rule with `quota`, `rateLimit` or `concurrentOperations` fires on every call it matches (with
 * probability `errorRate` when that is given; `status` does not apply), at most `times` times.
 */
import {
  concurrentOperationsError,
  quotaError,
  quotaOperationError,
  rateLimitError,
  regionOf,
  shortfall,
  type ConcurrentOperationsFault,
  type QuotaFault,
  type RateLimitFault,
} from './fault-errors.js';

export type { ConcurrentOperationsFault, QuotaFault, RateLimitFault } from './fault-errors.js';
export type ApiName =
  'container' | 'gkehub' | 'compute' | 'cloudresourcemanager' | 'serviceusage' | 'monitoring' | 'kubernetes';

export interface FaultRule {
  /** Which API; omitted or '*' for all. */
  api?: ApiName | '*';
  /** Method name as the sandbox names it (gRPC method, e.g. CreateCluster, or REST verb, e.g. memberships.create); '*' or omitted for all. */
  method?: string;
  /** Probability in [0,1] that a call fails with `status`. */
  errorRate?: number;
  /** HTTP status of the injected error: 429, 500, 503, 409 (operationInProgress) … */
  status?: number;
  /** Extra latency in simulated seconds. */
  latencySeconds?: number;
  /** Probability that the call is applied but the client sees a failure (503). */
  lostResponseRate?: number;
  /** Operations started by matching calls end in this error, e.g. { code: 'GCE_STOCKOUT', message: '…' }. */
  operationError?: { code: string; message: string };
  /**
   * A hard quota, e.g. { metric: 'NVIDIA_H100_GPUS', region: 'us-east4', limit: 8, usage: 8 }: GKE
   * refuses the create (403 PERMISSION_DENIED, `Insufficient regional quota to satisfy request …`),
   * or with `when: 'operation'` its operation ends in GCE_QUOTA_EXCEEDED; Compute answers 403
   * QUOTA_EXCEEDED (`Quota 'M' exceeded.  Limit: 8.0 in region R.`). See fault-errors.ts.
   */
  quota?: QuotaFault;
  /**
   * A per-minute rate quota: 429 RESOURCE_EXHAUSTED `Quota exceeded for quota metric 'Write
   * requests' and limit 'Write requests per minute' of service …` with ErrorInfo RATE_LIMIT_EXCEEDED.
   */
  rateLimit?: RateLimitFault;
  /** The concurrent-operations quota: GKE's 429 `Too many operations: cluster "C" hits the concurrent operations quota N …`. */
  concurrentOperations?: ConcurrentOperationsFault;
  /** How many times the rule may fire; unlimited when omitted. */
  times?: number;
}

/** The provisioning models a ComputeClass priority asks for (controllers/compute-class.ts). */
export type CapacityTier = 'reservation' | 'on-demand' | 'flex-start' | 'spot';

/**
 * No capacity of a tier (every region when `region` is omitted): node auto-creation for a
 * ComputeClass skips that priority with GCE_STOCKOUT and tries the next (controllers/capacity.ts).
 */
export interface Stockout {
  tier: CapacityTier;
  region?: string;
}

export interface FaultPlan {
  seed?: number;
  rules?: FaultRule[];
  /** Regions whose clusters' API servers and data plane stop answering. */
  darkRegions?: string[];
  stockouts?: Stockout[];
}

/** An injected error, for the faces to render: REST as Google's JSON error, gRPC as a status with details. */
export interface InjectedError {
  /** HTTP status. */
  status: number;
  /** errors[0].reason of the JSON error: rateLimitExceeded, quotaExceeded, forbidden … */
  reason: string;
  message: string;
  /** The canonical status when the HTTP code alone does not say it (403 PERMISSION_DENIED); the gRPC code follows it. */
  statusName?: string;
  /** errors[0].domain of the JSON error (default `global`). */
  domain?: string;
  /** google.rpc.Status details (ErrorInfo, Help, LocalizedMessage) as JSON, each with its `@type`. */
  details?: Record<string, unknown>[];
}

/** Where a call lands, for rules that depend on it (a quota is per region) and for the wording of their errors. */
export interface CallContext {
  project?: string;
  /** A GKE location (zone or region), a Compute region, or `global`. */
  location?: string;
  /** The GKE cluster the call is about. */
  cluster?: string;
  /** The request (proto3 JSON or REST body): a GKE quota error says how much of the metric it asks for. */
  request?: unknown;
}

export interface FaultDecision {
  error?: InjectedError;
  latencySeconds: number;
  lostResponse: boolean;
  operationError?: { code: string; message: string };
}

const REASONS: Record<number, { reason: string; message: string }> = {
  409: {
    reason: 'operationInProgress',
    message: 'Another operation is in progress on this resource (injected).',
  },
  429: { reason: 'rateLimitExceeded', message: 'Quota exceeded: too many requests (injected).' },
  500: { reason: 'backendError', message: 'Internal error (injected).' },
  503: { reason: 'backendError', message: 'The service is currently unavailable (injected).' },
};

/** mulberry32: a tiny, well-known seeded generator; enough to replay a fault sequence. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private plan: Required<Pick<FaultPlan, 'rules' | 'darkRegions' | 'stockouts'>>;
  private random: () => number;
  private fired = new Map<FaultRule, number>();
  /** What fired, in order: for tests that must see a fault happen. */
  readonly log: { api: ApiName; method: string; fault: string }[] = [];
  /** Every call the sandbox served, by `api method` (each passes through decide): for counting. */
  readonly calls = new Map<string, number>();

  constructor(plan: FaultPlan = {}) {
    this.plan = planOf(plan);
    this.random = seeded(plan.seed ?? 1);
  }

  /** Replaces the plan (e.g. to clear faults mid-test); the random sequence continues. */
  setPlan(plan: FaultPlan) {
    this.plan = planOf(plan);
    this.fired.clear();
    if (plan.seed !== undefined) this.random = seeded(plan.seed);
  }

  isDark(region: string): boolean {
    return this.plan.darkRegions.includes(region);
  }

  isStockedOut(region: string, tier: CapacityTier): boolean {
    return this.plan.stockouts.some((s) => s.tier === tier && (!s.region || s.region === region));
  }

  decide(api: ApiName, method: string, context: CallContext = {}): FaultDecision {
    const key = `${api} ${method}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const decision: FaultDecision = { latencySeconds: 0, lostResponse: false };
    for (const rule of this.plan.rules) {
      if (rule.api && rule.api !== '*' && rule.api !== api) continue;
      if (rule.method && rule.method !== '*' && rule.method !== method) continue;
      if (rule.times !== undefined && (this.fired.get(rule) ?? 0) >= rule.times) continue;
      if (rule.quota?.region && regionOf(context.location) !== rule.quota.region) continue;
      let fired = false;
      if (rule.latencySeconds) {
        decision.latencySeconds += rule.latencySeconds;
        fired = true;
      }
      if (rule.quota || rule.rateLimit || rule.concurrentOperations) {
        if (this.quotaFault(rule, api, method, context, decision)) fired = true;
      } else if (!decision.error && rule.errorRate && this.random() < rule.errorRate) {
        const status = rule.status ?? 503;
        decision.error = {
          status,
          ...(REASONS[status] ?? { reason: 'injected', message: `Injected error ${status}.` }),
        };
        this.log.push({ api, method, fault: `error ${status}` });
        fired = true;
      } else if (!decision.lostResponse && rule.lostResponseRate && this.random() < rule.lostResponseRate) {
        decision.lostResponse = true;
        this.log.push({ api, method, fault: 'lost response' });
        fired = true;
      }
      if (!decision.operationError && rule.operationError) {
        decision.operationError = rule.operationError;
        this.log.push({ api, method, fault: `operation error ${rule.operationError.code}` });
        fired = true;
      }
      if (fired) this.fired.set(rule, (this.fired.get(rule) ?? 0) + 1);
    }
    return decision;
  }

  /** Applies a rule's quota, rate limit or concurrent-operations quota to the decision; true if it fired. */
  private quotaFault(
    rule: FaultRule,
    api: ApiName,
    method: string,
    context: CallContext,
    decision: FaultDecision,
  ): boolean {
    const atOperation = rule.quota?.when === 'operation';
    if (atOperation ? decision.operationError : decision.error) return false;
    const short = rule.quota ? shortfall(api, rule.quota, context) : undefined;
    if (rule.quota && !short) return false; // the request fits in the quota
    if (rule.errorRate !== undefined && !(this.random() < rule.errorRate)) return false;
    const mutating = isMutatingCall(`${api} ${method}`);
    if (rule.quota && atOperation) {
      decision.operationError = quotaOperationError(api, rule.quota, context);
      this.log.push({ api, method, fault: `operation error ${decision.operationError.code}` });
    } else if (rule.quota) {
      decision.error = quotaError(api, rule.quota, context, short!);
      this.log.push({ api, method, fault: `quota ${rule.quota.metric}` });
    } else if (rule.rateLimit) {
      decision.error = rateLimitError(api, rule.rateLimit, context, mutating);
      this.log.push({ api, method, fault: 'rate limit' });
    } else {
      decision.error = concurrentOperationsError(api, rule.concurrentOperations!, context, mutating);
      this.log.push({ api, method, fault: 'concurrent operations' });
    }
    return true;
  }
}

const planOf = (plan: FaultPlan) => ({
  rules: plan.rules ?? [],
  darkRegions: plan.darkRegions ?? [],
  stockouts: plan.stockouts ?? [],
});

/** Calls that change something, by the names the sandbox gives them (gRPC methods, REST verbs, kube verbs). */
export function isMutatingCall(key: string): boolean {
  const [api, ...rest] = key.split(' ');
  const method = rest.join(' ');
  if (api === 'container') return /^(Create|Delete|Set|Update|Start|Complete|Cancel|Rollback)/.test(method);
  if (api === 'kubernetes') return /^(create|update|patch|apply|delete|deletecollection) /.test(method);
  return /\.(create|delete|patch|insert|setIamPolicy|enable|batchEnable|disable)$/.test(method);
}
