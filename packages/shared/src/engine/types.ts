import { createHash, randomUUID } from 'node:crypto';
import type { Cloud } from '../cloud/clients.js';
import type { Resource, ResourceType } from '../render/graph.js';
import { systemClock, type Clock } from './clock.js';

/** What a plan says of one resource (CONTRACT.md §5). */
export type Action = 'create' | 'update' | 'replace' | 'delete' | 'noop';

export interface Change {
  action: Action;
  /** One line a person reads: why this action. */
  reason: string;
  /** For an update: the fields that differ (convergence is proven by their going away). */
  fields?: string[];
  /** A replace that repairs a resource in ERROR (e.g. after GCE_STOCKOUT) needs no --yes. */
  repair?: boolean;
}

/** A started long-running operation: the engine polls it until done. */
export interface Pending {
  describe: string;
  /** `done: true` with `error` when the operation failed (e.g. GCE_STOCKOUT). */
  poll(): Promise<{ done: boolean; error?: string }>;
}

/** How the engine reads and changes one kind of resource. Handlers never sleep or retry. */
export interface Handler<R extends Resource = Resource, O = unknown> {
  /** The live state, or undefined when absent. */
  read(r: R, ctx: EngineContext): Promise<O | undefined>;
  diff(r: R, observed: O | undefined, ctx: EngineContext): Change;
  create(r: R, ctx: EngineContext): Promise<Pending | void>;
  update(r: R, observed: O, ctx: EngineContext): Promise<Pending | void>;
  delete(r: R, observed: O, ctx: EngineContext): Promise<Pending | void>;
  /** Ready for what depends on it (a cluster RUNNING, a CRD Established …). */
  ready(r: R, observed: O | undefined): boolean;
  /** Mutations sharing a key run one at a time (GKE runs one operation per cluster). */
  lockKey?(r: R): string;
  /** True when the live object carries Spillway's marks (CONTRACT.md §4); others are never deleted. */
  owned?(r: R, observed: O): boolean;
}

export interface Timing {
  /** Between polls of an operation or of readiness (Terraform polls every 10 s). */
  pollIntervalMs: number;
  /** First pause before a retry; doubles up to maxBackoffMs. */
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** How long each kind may take, create to ready (Terraform's figures by default). */
  timeoutMs: Partial<Record<ResourceType, number>>;
  /** How long reading the live state may take, retries included, before a plan fails naming what it could not read. */
  readTimeoutMs: number;
  /**
   * How long one call may go unanswered before it counts as timed out (and is retried while the
   * deadline allows). Each client has a timeout of its own below this; this catches a call that has none.
   */
  callTimeoutMs: number;
  /** Google Cloud resources worked on at once. */
  concurrency: number;
  /** Kubernetes objects worked on at once (cheap calls, many of them). */
  kubeConcurrency: number;
  /** Updates of one resource before it must have converged (GKE takes one cluster field per call). */
  maxRounds: number;
  /** How long a run's claim (a Lease in the config cluster) lasts unless renewed; a killed run's expires. */
  leaseDurationMs: number;
  /** How long a run waits for another run's claim before it gives up. */
  lockTimeoutMs: number;
  /** Where time comes from (ARCHITECTURE.md: one place); tests pass a VirtualClock. */
  clock: Clock;
  /** Jitter for backoff, injectable so a test is repeatable. */
  random: () => number;
}

export const REAL_TIMING: Timing = {
  pollIntervalMs: 10_000,
  initialBackoffMs: 2_000,
  maxBackoffMs: 60_000,
  timeoutMs: {
    'container.cluster': 90 * 60_000,
    'container.nodePool': 120 * 60_000,
    'gkehub.membership': 20 * 60_000,
    'gkehub.feature': 20 * 60_000,
    'compute.subnetwork': 20 * 60_000,
    'serviceusage.service': 20 * 60_000,
    'iam.binding': 10 * 60_000,
    'kubernetes.object': 20 * 60_000,
  },
  readTimeoutMs: 10 * 60_000,
  callTimeoutMs: 90_000,
  concurrency: 16,
  kubeConcurrency: 32,
  maxRounds: 12,
  leaseDurationMs: 60_000,
  lockTimeoutMs: 30 * 60_000,
  clock: systemClock,
  random: Math.random,
};

/** Against the sandbox: the same logic, at its time scale. */
export const EMULATOR_TIMING: Timing = {
  pollIntervalMs: 25,
  initialBackoffMs: 25,
  maxBackoffMs: 500,
  timeoutMs: Object.fromEntries(Object.entries(REAL_TIMING.timeoutMs).map(([k]) => [k, 120_000])),
  // The sandbox answers a read in milliseconds, even under its faults; one that hangs fails fast.
  readTimeoutMs: 10_000,
  callTimeoutMs: 10_000,
  concurrency: 16,
  kubeConcurrency: 32,
  maxRounds: 12,
  leaseDurationMs: 3_000,
  lockTimeoutMs: 60_000,
  clock: systemClock,
  random: Math.random,
};

export interface EngineContext {
  cloud: Cloud;
  /** Secret values by resource id, resolved once before anything is read (never logged). */
  secretValues: Map<string, string>;
  /** Project and location of each cluster by name, for reaching its Kubernetes API. */
  clusters: Map<string, { project: string; location: string }>;
  /** Run-wide memo (project numbers, cluster endpoints). */
  memo: Map<string, Promise<unknown>>;
  /**
   * A request ID for one intent on one resource (GKE Hub, Compute): the same for every retry of
   * one attempt, new for each run and for a create after a delete, because the APIs answer a
   * request ID they have seen (for an hour or more) with the old operation instead of doing the work.
   */
  requestId(resourceId: string, intent: string): string;
  /** Called when the engine deleted a resource: its next create is a new intent. */
  newIntent(resourceId: string): void;
  /** Handlers that replace the real ones by resource type (the engine's in-memory tests). */
  handlers?: Partial<Record<ResourceType, Handler<any, any>>>;
}

/** A run's context for a spec: where each cluster is, a fresh memo, and the secrets (none when only reading). */
export function engineContext(
  spec: { platforms: { projectId: string; clusters: { name: string; location: string }[] }[] },
  cloud: Cloud,
  secretValues: Map<string, string> = new Map(),
): EngineContext {
  const clusters = new Map(
    spec.platforms.flatMap((p) =>
      p.clusters.map((c) => [c.name, { project: p.projectId, location: c.location }] as const),
    ),
  );
  const runId = randomUUID();
  const generation = new Map<string, number>();
  return {
    cloud,
    secretValues,
    clusters,
    memo: new Map(),
    requestId: (resourceId, intent) =>
      uuidFrom(`${runId}|${resourceId}|${intent}|${generation.get(resourceId) ?? 0}`),
    newIntent: (resourceId) => generation.set(resourceId, (generation.get(resourceId) ?? 0) + 1),
  };
}

/** A version-4-shaped UUID from a text (the APIs require UUIDs). */
export function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
