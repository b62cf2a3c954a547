/**
 * What the Google REST APIs of the sandbox share: the shape of an API ready for startRestServer,
 * routes whose handlers see the fault decision made for their call, ids, times and google.rpc
 * status codes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import type { ApiName, FaultDecision, Faults } from '../faults.js';
import { startRestServer, type RestDeps, type RestRequest, type RestServer, type Route } from '../rest.js';

export interface ApiDeps {
  clock: Clock;
  faults: Faults;
}

/** One Google REST API: its routes, its state (plain data, to persist), and what to start it with. */
export interface GoogleApi<S> {
  api: ApiName;
  routes: Route[];
  state: S;
  /** The deps for startRestServer: the caller's clock and faults, with the faults tapped (see tappedRoutes). */
  deps: RestDeps;
}

export function startApi<S>(api: GoogleApi<S>, port?: number): Promise<RestServer> {
  return startRestServer(api.api, api.routes, api.deps, port);
}

export interface TappedRoute {
  method: string;
  path: string;
  name: string;
  handler: (req: RestRequest, decision: FaultDecision) => unknown;
}

/** Routes whose handlers take the fault decision of their call (rest.ts makes it) as an argument. */
export function tappedRoutes(deps: ApiDeps, routes: TappedRoute[]): { routes: Route[]; deps: RestDeps } {
  return {
    deps: { clock: deps.clock, faults: deps.faults },
    routes: routes.map((route) => ({
      ...route,
      handler: (req: RestRequest) => route.handler(req, req.fault),
    })),
  };
}

/** Wall-clock milliseconds at which an operation of `seconds` simulated seconds started now ends. */
export function doneAt(clock: Clock, seconds: number): number {
  return clock.now().getTime() + clock.wallMs(seconds);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function uuid(): string {
  return randomUUID();
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A decimal uint64 as Compute writes ids. */
export function numericId(): string {
  return (randomBytes(8).readBigUInt64BE() >> 1n).toString();
}

/** `operation-1700000000000-5f0a1b2c3d4e5-6789abcd-ef012345`, as GKE Hub and Compute name operations. */
export function operationId(nowMs: number): string {
  return `operation-${nowMs}-${hex(7).slice(0, 13)}-${hex(4)}-${hex(4)}`;
}

/** How long the APIs remember a request ID, in simulated seconds (Google documents "at least 60 minutes"). */
export const REQUEST_ID_TTL_SECONDS = 3600;

/** A request ID the API has seen: the operation it started and when (Clock.simulatedSeconds). */
export interface RememberedRequest {
  operation: string;
  at: number;
}

/**
 * The operation a request ID started, if the API still remembers it. Entries older than an hour
 * of simulated time are forgotten (and swept), as the real APIs forget them; a remembered ID is
 * answered with its operation even when the resource it made was deleted since, or when the new
 * request differs (the real APIs do not compare bodies either).
 */
export function recallRequest(
  memory: Record<string, RememberedRequest | string>,
  key: string,
  clock: Clock,
): string | undefined {
  const now = clock.simulatedSeconds();
  for (const [k, entry] of Object.entries(memory)) {
    // An entry without a stamp (state persisted before request IDs expired) is forgotten too.
    if (typeof entry !== 'object' || !(now - entry.at < REQUEST_ID_TTL_SECONDS)) delete memory[k];
  }
  const entry = memory[key];
  return typeof entry === 'object' ? entry.operation : undefined;
}

export function rememberRequest(
  memory: Record<string, RememberedRequest | string>,
  key: string,
  operation: string,
  clock: Clock,
) {
  memory[key] = { operation, at: clock.simulatedSeconds() };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
  return UUID.test(value) && !/^[0-]+$/.test(value);
}

/** A stable 12-digit project number for a project ID (the sandbox may configure others). */
export function defaultProjectNumber(projectId: string): string {
  const digest = createHash('sha256').update(projectId).digest();
  return String(100_000_000_000n + (digest.readBigUInt64BE() % 900_000_000_000n));
}

const RPC_CODES: Record<string, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

export interface RpcStatus {
  code: number;
  message: string;
  details?: unknown[];
}

/**
 * A google.rpc.Status for an injected operation error: a canonical code name (FAILED_PRECONDITION)
 * maps to its number; anything else (GCE_STOCKOUT) is INTERNAL, with the name in the message and
 * in an ErrorInfo reason.
 */
export function rpcStatus(error: { code: string; message: string }, domain: string): RpcStatus {
  const code = RPC_CODES[error.code];
  if (code !== undefined) return { code, message: error.message };
  return {
    code: 13,
    message: `${error.code}: ${error.message}`,
    details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: error.code, domain }],
  };
}

/** A deep copy, so that a response never aliases the state. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** Sets `value` at a dotted `path` in `target`, creating objects on the way. */
export function setPath(target: Record<string, any>, path: string, value: unknown) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1))
    node = node[key] = typeof node[key] === 'object' && node[key] ? node[key] : {};
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete node[last];
  else node[last] = copy(value);
}

export function getPath(source: unknown, path: string): unknown {
  return path.split('.').reduce<any>((node, key) => (node == null ? undefined : node[key]), source);
}
