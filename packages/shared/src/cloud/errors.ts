/**
 * What a failed call means for the engine: retry it, read before deciding, or give up. Google's
 * APIs fail in known ways (GKE-FACTS.md, "How the GCP APIs behave"); each predicate is named and
 * tested, as Terraform's provider does.
 */
export interface CallError {
  /** HTTP status, or the HTTP equivalent of a gRPC code. */
  status?: number;
  /** gRPC status code, when the call was gRPC. */
  grpcCode?: number;
  /** google.rpc status name or reason: FAILED_PRECONDITION, operationInProgress, rateLimitExceeded … */
  reasons: string[];
  message: string;
  /** ECONNRESET, ECONNREFUSED, ETIMEDOUT … for failures below HTTP. */
  networkCode?: string;
}

const GRPC_TO_HTTP: Record<number, number> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  13: 500,
  14: 503,
  16: 401,
};
const GRPC_NAMES: Record<number, string> = {
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  16: 'UNAUTHENTICATED',
};

const NETWORK_CODES = [
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'ECONNABORTED',
];

/** Normalises gRPC (google-gax), gaxios and client-node errors into one shape. */
export function toCallError(error: unknown): CallError {
  const e = error as any;
  const reasons: string[] = [];
  let status: number | undefined;
  let grpcCode: number | undefined;
  if (typeof e?.code === 'number' && e.code < 20 && (e.details !== undefined || e.metadata !== undefined)) {
    grpcCode = e.code;
    status = GRPC_TO_HTTP[e.code];
    if (GRPC_NAMES[e.code]) reasons.push(GRPC_NAMES[e.code]!);
  }
  const response = e?.response;
  // client-node's ApiException carries the Status as a JSON string.
  const body = parsed(response?.data ?? response?.body ?? e?.body);
  status ??=
    numberOr(response?.status) ??
    numberOr(response?.statusCode) ??
    numberOr(e?.statusCode) ??
    httpCode(e?.code);
  const googleError = typeof body === 'object' && body ? body.error : undefined;
  if (googleError?.status) reasons.push(String(googleError.status));
  for (const item of googleError?.errors ?? []) if (item?.reason) reasons.push(String(item.reason));
  if (typeof body === 'object' && body?.kind === 'Status' && body.reason) reasons.push(String(body.reason));
  const networkCode = [e?.code, e?.cause?.code, e?.errno].find(
    (c) => typeof c === 'string' && NETWORK_CODES.includes(c),
  );
  const message = String(googleError?.message ?? body?.message ?? e?.details ?? e?.message ?? e);
  return {
    ...(status !== undefined ? { status } : {}),
    ...(grpcCode !== undefined ? { grpcCode } : {}),
    reasons,
    message,
    ...(networkCode ? { networkCode } : {}),
  };
}

function parsed(body: unknown): any {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

const numberOr = (v: unknown) => (typeof v === 'number' && v >= 100 ? v : undefined);
const httpCode = (v: unknown) =>
  typeof v === 'number' && v >= 100 && v < 600
    ? v
    : typeof v === 'string' && /^\d{3}$/.test(v)
      ? Number(v)
      : undefined;

/** A rate or concurrency quota, which refills by itself (per-minute quotas, CONCURRENT_OPERATIONS). */
const RATE_WORDS =
  /per (minute|100 seconds|second|day)|rate ?limit|too many operations|concurrent[_ ]operations/i;

/** 429, per-minute quotas and concurrent operations: wait and retry (terraform-provider-google #15205). */
export function isRateLimited(e: CallError): boolean {
  if (hardQuota(e)) return false;
  return (
    e.status === 429 ||
    e.reasons.some((r) =>
      [
        'RESOURCE_EXHAUSTED',
        'rateLimitExceeded',
        'userRateLimitExceeded',
        'RATE_LIMIT_EXCEEDED',
        'CONCURRENT_OPERATIONS_QUOTA_EXCEEDED',
      ].includes(r),
    ) ||
    RATE_WORDS.test(e.message)
  );
}

/** What a hard quota failure says: which quota, where, and how far short. */
export interface QuotaShortfall {
  quota: string;
  region?: string;
  limit?: number;
  usage?: number;
  requested?: number;
}

/**
 * A hard quota (e.g. NVIDIA_H100_GPUS in a region): waiting does not refill it, so the engine
 * fails at once. GKE: `Insufficient regional quota to satisfy request: resource "NVIDIA_H100_GPUS":
 * request requires '16.0' and is short '8.0'. project has a quota of '8.0' with '0.0' available`;
 * Compute: `Quota 'NVIDIA_H100_GPUS' exceeded.  Limit: 8.0 in region us-east4.`
 */
export function hardQuota(e: CallError): QuotaShortfall | undefined {
  if (RATE_WORDS.test(e.message)) return undefined;
  const gke =
    /insufficient (?:regional |global )?quota[^"]*"([A-Z0-9_]+)"(?:: request requires '([\d.]+)' and is short '([\d.]+)'\. project has a quota of '([\d.]+)' with '([\d.]+)' available)?/i.exec(
      e.message,
    );
  if (gke) {
    const [, quota, requires, , limit, available] = gke;
    return {
      quota: quota!,
      ...(limit !== undefined ? { limit: Number(limit) } : {}),
      ...(limit !== undefined && available !== undefined ? { usage: Number(limit) - Number(available) } : {}),
      ...(requires !== undefined ? { requested: Number(requires) } : {}),
      ...regionIn(e.message),
    };
  }
  const compute = /quota '([A-Za-z0-9_]+)' exceeded\.?\s*limit: ([\d.]+)(?: in region ([a-z0-9-]+))?/i.exec(
    e.message,
  );
  if (compute) {
    const [, quota, limit, region] = compute;
    return { quota: quota!, limit: Number(limit), ...(region ? { region } : {}) };
  }
  if (e.reasons.some((r) => r === 'QUOTA_EXCEEDED' || r === 'quotaExceeded')) {
    const named = /quota (?:metric )?'?"?([A-Za-z0-9_./]+)/i.exec(e.message);
    return { quota: named?.[1] ?? 'a project quota', ...regionIn(e.message) };
  }
  return undefined;
}

const regionIn = (message: string) => {
  const m = /\bregion[: ]+'?([a-z]+-[a-z]+\d+)/i.exec(message);
  return m ? { region: m[1]! } : {};
};

/** One line a person acts on: the quota, where, how far short, and what to do. */
export function describeQuota(q: QuotaShortfall, where?: string): string {
  const region = q.region ?? where;
  const figures = [
    q.limit !== undefined ? `limit ${q.limit}` : '',
    q.usage !== undefined ? `usage ${q.usage}` : '',
    q.requested !== undefined ? `this request needs ${q.requested}` : '',
  ].filter(Boolean);
  return (
    `quota ${q.quota}${region ? ` in ${region}` : ''} is exhausted${figures.length ? ` (${figures.join(', ')})` : ''}: ` +
    'waiting will not help. Request more in the console (IAM & Admin → Quotas), lower the node count or ' +
    'accelerators in the spec, or serve from a region with quota'
  );
}

/** 500, 502, 503, 504 and network resets: the service hiccupped. */
export function isTransient(e: CallError): boolean {
  return (
    (e.status !== undefined && [500, 502, 503, 504].includes(e.status)) ||
    e.networkCode !== undefined ||
    e.reasons.includes('UNAVAILABLE')
  );
}

/** Another operation runs on the same cluster or resource: wait until it is at rest (#758, #3650, #10366). */
export function isOperationInProgress(e: CallError): boolean {
  return (
    e.reasons.includes('operationInProgress') ||
    e.reasons.includes('resourceNotReady') ||
    /incompatible operation|currently (upgrading|running)|operation in progress|has an operation in progress|not running \(status/i.test(
      e.message,
    ) ||
    (e.reasons.includes('FAILED_PRECONDITION') && /operation|not running|try again/i.test(e.message))
  );
}

/** IAM's 409 ABORTED "concurrent policy changes": redo the whole read-modify-write (#964). */
export function isConcurrentPolicyChange(e: CallError): boolean {
  return (
    e.status === 409 &&
    (e.reasons.includes('ABORTED') ||
      e.reasons.includes('aborted') ||
      /concurrent policy changes/i.test(e.message))
  );
}

export function isNotFound(e: CallError): boolean {
  return e.status === 404 || e.reasons.includes('NOT_FOUND') || e.reasons.includes('NotFound');
}

export function isAlreadyExists(e: CallError): boolean {
  return (
    e.reasons.includes('ALREADY_EXISTS') ||
    e.reasons.includes('alreadyExists') ||
    e.reasons.includes('AlreadyExists') ||
    (e.status === 409 && /already exists/i.test(e.message))
  );
}

/** Worth another try after a pause. */
export function isRetryable(e: CallError): boolean {
  return (
    isRateLimited(e) ||
    isTransient(e) ||
    isOperationInProgress(e) ||
    isConcurrentPolicyChange(e) ||
    (e.status === 409 && e.reasons.includes('Conflict'))
  );
}

/** A failure that leaves the server's outcome unknown: read before deciding anything (#20087). */
export function outcomeUnknown(e: CallError): boolean {
  return isTransient(e) || e.status === 504 || e.reasons.includes('DEADLINE_EXCEEDED');
}

export function describeCallError(e: CallError): string {
  const quota = hardQuota(e);
  if (quota) return describeQuota(quota);
  const code = e.status
    ? `${e.status}${e.reasons[0] ? ` ${e.reasons[0]}` : ''}`
    : (e.networkCode ?? e.reasons[0] ?? 'error');
  return `${code}: ${e.message}`;
}

/** The call's result, or undefined when the resource does not exist (a read before a create). */
export async function unlessNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(toCallError(error))) return undefined;
    throw error;
  }
}
