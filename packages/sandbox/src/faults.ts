/**
 * Faults on demand (issue 3): error rates per method, latency, operations that end in error, lost
 * responses (applied on the server, a failure for the client) and dark regions. Random choices come
 * from a seeded generator so a failing test can be replayed.
 */
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
  /** How many times the rule may fire; unlimited when omitted. */
  times?: number;
}

export interface FaultPlan {
  seed?: number;
  rules?: FaultRule[];
  /** Regions whose clusters' API servers and data plane stop answering. */
  darkRegions?: string[];
}

export interface FaultDecision {
  error?: { status: number; reason: string; message: string };
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
  private plan: Required<Pick<FaultPlan, 'rules' | 'darkRegions'>>;
  private random: () => number;
  private fired = new Map<FaultRule, number>();
  /** What fired, in order: for tests that must see a fault happen. */
  readonly log: { api: ApiName; method: string; fault: string }[] = [];
  /** Every call the sandbox served, by `api method` (each passes through decide): for counting. */
  readonly calls = new Map<string, number>();

  constructor(plan: FaultPlan = {}) {
    this.plan = { rules: plan.rules ?? [], darkRegions: plan.darkRegions ?? [] };
    this.random = seeded(plan.seed ?? 1);
  }

  /** Replaces the plan (e.g. to clear faults mid-test); the random sequence continues. */
  setPlan(plan: FaultPlan) {
    this.plan = { rules: plan.rules ?? [], darkRegions: plan.darkRegions ?? [] };
    this.fired.clear();
    if (plan.seed !== undefined) this.random = seeded(plan.seed);
  }

  isDark(region: string): boolean {
    return this.plan.darkRegions.includes(region);
  }

  decide(api: ApiName, method: string): FaultDecision {
    const key = `${api} ${method}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const decision: FaultDecision = { latencySeconds: 0, lostResponse: false };
    for (const rule of this.plan.rules) {
      if (rule.api && rule.api !== '*' && rule.api !== api) continue;
      if (rule.method && rule.method !== '*' && rule.method !== method) continue;
      if (rule.times !== undefined && (this.fired.get(rule) ?? 0) >= rule.times) continue;
      let fired = false;
      if (rule.latencySeconds) {
        decision.latencySeconds += rule.latencySeconds;
        fired = true;
      }
      if (!decision.error && rule.errorRate && this.random() < rule.errorRate) {
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
}

/** Calls that change something, by the names the sandbox gives them (gRPC methods, REST verbs, kube verbs). */
export function isMutatingCall(key: string): boolean {
  const [api, ...rest] = key.split(' ');
  const method = rest.join(' ');
  if (api === 'container') return /^(Create|Delete|Set|Update|Start|Complete|Cancel|Rollback)/.test(method);
  if (api === 'kubernetes') return /^(create|update|patch|apply|delete|deletecollection) /.test(method);
  return /\.(create|delete|patch|insert|setIamPolicy|enable|batchEnable|disable)$/.test(method);
}
