import { OperationFailed } from './operation-failed.js';
import {
  describeCallError,
  describeQuota,
  hardQuota,
  isAlreadyExists,
  isRetryable,
  outcomeUnknown,
  toCallError,
} from '../cloud/errors.js';
import type { DesiredState, Resource } from '../render/graph.js';
import { handlerFor } from './handlers.js';
import type { ProgressListener, ResourceState } from './events.js';
import { readMany } from './read-many.js';
import { Locks, withRetries } from './retry.js';
import {
  criticalFirst,
  dependentsOf,
  runGraph,
  type Blocked,
  type GraphNode,
  type Settled,
} from './schedule.js';
import type { Action, Change, EngineContext, Pending, Timing } from './types.js';
import { Reporter } from './reporter.js';

/**
 * The engine: one graph per run. What the spec wants (converge), what it dropped (orphans) and,
 * for destroy, what goes, are nodes of the same dependency graph; the scheduler runs them in
 * parallel where the edges allow. It alone orders, limits concurrency, retries and waits;
 * handlers only call the APIs.
 */
export interface PlanEntry {
  id: string;
  kind: Resource['type'];
  title: string;
  action: Action;
  reason: string;
  repair?: boolean;
}

export interface ResourceResult extends PlanEntry {
  state: ResourceState;
  elapsedMs: number;
  error?: string;
}

export interface RunOptions {
  timing: Timing;
  onEvent?: ProgressListener;
  /** Spillway's resources that the spec no longer has: planned and applied as deletes. */
  orphans?: Resource[];
  /** Finds them while the desired resources are read (both only read); used instead of `orphans`. */
  findOrphans?: () => Promise<Resource[]>;
}

export const ORPHAN_REASON = "Spillway's, no longer in the spec";

/** Deleting these costs GPUs and data: like a replace, it needs --yes. */
const DESTRUCTIVE: ReadonlySet<string> = new Set(['container.cluster', 'container.nodePool']);

// Its own module, so a handler can throw one without importing the engine (an import cycle).
export { OperationFailed };

/** A resource still differs from the spec after Spillway changed it: it would never converge. */
export class NotConverged extends OperationFailed {}

/** A plan cannot be made: some resource could not be read (permissions, an API down). */
export class PlanError extends Error {}

const deadlineFor = (r: Resource, timing: Timing) =>
  timing.clock.now() + (timing.timeoutMs[r.type] ?? 20 * 60_000);

/** Rough seconds each kind takes on Google Cloud, to start the longest chains first. */
const TYPICAL_SECONDS: Record<Resource['type'], number> = {
  'container.cluster': 600,
  'container.nodePool': 300,
  'gkehub.membership': 60,
  'gkehub.feature': 60,
  'compute.subnetwork': 20,
  'serviceusage.service': 10,
  'iam.binding': 2,
  'kubernetes.object': 1,
};
const weightOf = (node: { r: Resource }) => TYPICAL_SECONDS[node.r.type];

/** Each API has its own quotas, so its own limit: `container.cluster` counts against `container`. */
const poolOf = (r: Resource): GraphNode['pool'] =>
  r.type === 'kubernetes.object' ? 'kube' : r.type.split('.')[0]!;

/** The region a resource is in, for messages (a hard quota names it). */
function regionOf(r: Resource): string | undefined {
  const location = 'location' in r ? r.location : 'region' in r ? r.region : undefined;
  return location?.replace(/-[a-z]$/, '');
}

/** What a failed resource reports: an operation's own cause, a quota named, or the API's error in one line. */
function failureMessage(error: unknown, r: Resource): string {
  if (error instanceof OperationFailed) return error.message;
  const e = toCallError(error);
  const quota = hardQuota(e);
  return quota ? describeQuota(quota, regionOf(r)) : describeCallError(e);
}

interface Observed {
  live: unknown;
  change: Change;
}

/** Reads every resource once (a kind at a time where the API lists), and says what apply would do. */
async function observe(
  resources: Resource[],
  ctx: EngineContext,
  timing: Timing,
  reporter: Reporter | undefined,
  /** Retries are shown even when the reads are not (the plan inside apply). */
  retries: Reporter,
): Promise<Map<string, Observed>> {
  const observed = new Map<string, Observed>();
  const unreadable: string[] = [];
  const deadline = timing.clock.now() + timing.readTimeoutMs;
  const batches = await readMany(
    resources.filter((r) => !ctx.handlers?.[r.type]),
    ctx,
    (read) => withRetries(read, timing, deadline),
  );
  const nodes = resources.map((r) => ({ id: r.id, after: [], pool: poolOf(r), r }));
  await runGraph(
    nodes,
    { cloud: timing.concurrency, kube: timing.kubeConcurrency },
    async ({ r }) => {
      const handler = handlerFor(r, ctx);
      try {
        const live = batches.has(r.id)
          ? batches.get(r.id)
          : (reporter?.emit(r, 'reading'),
            await withRetries(
              () => handler.read(r, ctx),
              timing,
              Math.min(deadline, deadlineFor(r, timing)),
              (e) => retries.emit(r, 'retrying', { detail: describeCallError(e) }),
            ));
        const change = handler.diff(r, live, ctx);
        observed.set(r.id, { live, change });
        return 'done';
      } catch (error) {
        const message = failureMessage(error, r);
        unreadable.push(`${r.title}: ${message}`);
        reporter?.emit(r, 'failed', { detail: message });
        return 'failed';
      }
    },
    () => undefined,
  );
  if (unreadable.length) {
    throw new PlanError(`cannot read ${unreadable.length} resource(s): ${unreadable.slice(0, 3).join('; ')}`);
  }
  return observed;
}

const entry = (r: Resource, change: Change): PlanEntry => ({
  id: r.id,
  kind: r.type,
  title: r.title,
  action: change.action,
  reason: change.reason,
  ...(change.repair ? { repair: true } : {}),
});

const orphanEntry = (r: Resource): PlanEntry => ({
  id: r.id,
  kind: r.type,
  title: r.title,
  action: 'delete',
  reason: ORPHAN_REASON,
});

/** Reads every resource and says what apply would do, without changing anything. */
export async function plan(
  state: DesiredState,
  ctx: EngineContext,
  options: RunOptions,
): Promise<PlanEntry[]> {
  const reporter = new Reporter(options.timing.clock, options.onEvent);
  const [observed, orphans] = await Promise.all([
    observe(state.resources, ctx, options.timing, reporter, reporter),
    options.findOrphans?.() ?? options.orphans ?? [],
  ]);
  for (const r of state.resources) {
    const { change } = observed.get(r.id)!;
    reporter.emit(r, 'done', { action: change.action, detail: change.reason });
  }
  return [...state.resources.map((r) => entry(r, observed.get(r.id)!.change)), ...orphans.map(orphanEntry)];
}

/** Polls an operation until done; its error (e.g. GCE_STOCKOUT, a quota) fails the resource with that cause. */
async function waitFor(pending: Pending | void, r: Resource, timing: Timing, deadline: number) {
  if (!pending) return;
  for (;;) {
    const state = await withRetries(() => pending.poll(), timing, deadline);
    if (state.done) {
      if (!state.error) return;
      const quota = hardQuota({ reasons: [], message: state.error });
      throw new OperationFailed(
        `${pending.describe} failed: ${quota ? describeQuota(quota, regionOf(r)) : state.error}`,
      );
    }
    if (timing.clock.now() > deadline)
      throw new OperationFailed(`${pending.describe} did not finish in time`);
    await timing.clock.sleep(timing.pollIntervalMs);
  }
}

/** Reads until `until(live)` holds. */
async function readUntil(
  r: Resource,
  ctx: EngineContext,
  timing: Timing,
  deadline: number,
  until: (live: unknown) => boolean,
  what: string,
) {
  const handler = handlerFor(r, ctx);
  for (;;) {
    const live = await withRetries(() => handler.read(r, ctx), timing, deadline);
    if (until(live)) return live;
    if (timing.clock.now() > deadline)
      throw new OperationFailed(`timed out waiting for ${r.title} to be ${what}`);
    await timing.clock.sleep(timing.pollIntervalMs);
  }
}

export interface ApplyOptions extends RunOptions {
  /** Resources whose plan says replace are changed only with this (the CLI's --yes). */
  allowReplace: boolean;
  /** A guard that sees what the spec dropped before anything changes; it refuses by throwing. */
  beforeChanges?: (orphans: Resource[]) => Promise<void>;
}

export interface ApplyResult {
  converged: boolean;
  /** Set when apply stopped before touching anything (a replace without --yes). */
  refused?: string;
  resources: ResourceResult[];
}

/** Why a node did not start, in words. */
function blockedDetail(blocked: Blocked, titleOf: (id: string) => string): string {
  const what = titleOf(blocked.by);
  if (blocked.why === 'cycle')
    return `not started: waits for ${what}, which can never finish (a dependency cycle)`;
  return `not started: ${what} ${blocked.why === 'failed' ? 'failed' : 'did not start'}`;
}

/**
 * Converges live state to `state`: idempotent, and safe to re-run after any failure. Orphans are
 * deleted after every desired resource converged (what replaces them runs first), dependents first.
 */
export async function apply(
  state: DesiredState,
  ctx: EngineContext,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const { timing } = options;
  const reporter = new Reporter(timing.clock, options.onEvent);
  // The plan inside apply is silent: the faces show apply's own progress.
  const [observed, orphans] = await Promise.all([
    observe(state.resources, ctx, timing, undefined, reporter),
    options.findOrphans?.() ?? options.orphans ?? [],
  ]);
  await options.beforeChanges?.(orphans);
  const planned = [
    ...state.resources.map((r) => entry(r, observed.get(r.id)!.change)),
    ...orphans.map(orphanEntry),
  ];
  const replaces = planned.filter(
    (p) => (p.action === 'replace' && !p.repair) || (p.action === 'delete' && DESTRUCTIVE.has(p.kind)),
  );
  if (replaces.length && !options.allowReplace) {
    return {
      converged: false,
      refused: `apply would replace or delete ${replaces.length} resource(s): ${replaces.map((p) => `${p.title} (${p.reason})`).join('; ')}. Nothing was changed; run again with --yes to go ahead.`,
      resources: planned.map((p) => ({ ...p, state: 'skipped', elapsedMs: 0 })),
    };
  }
  const plannedById = new Map(planned.map((p) => [p.id, p]));
  const locks = new Locks();
  const results = new Map<string, ResourceResult>();
  for (const r of state.resources) reporter.emit(r, 'pending', { action: plannedById.get(r.id)!.action });
  for (const r of orphans) reporter.emit(r, 'pending', { action: 'delete' });

  const desiredIds = state.resources.map((r) => r.id);
  const orphanDependents = dependentsOf(orphans);
  const nodes = criticalFirst(
    [
      ...state.resources.map((r) => ({ id: r.id, after: r.dependsOn, pool: poolOf(r), r, orphan: false })),
      ...orphans.map((r) => ({
        id: r.id,
        after: [...(orphanDependents.get(r.id) ?? []), ...desiredIds],
        pool: poolOf(r),
        r,
        orphan: true,
      })),
    ],
    weightOf,
  );
  // A resource whose prerequisites all stood still may trust what the plan read.
  const unchanged = new Set<string>();
  const goneClusters = new Set(
    orphans.filter((o) => o.type === 'container.cluster').map((o) => clusterNameOf(o)),
  );
  const byId = new Map([...state.resources, ...orphans].map((r) => [r.id, r]));
  await runGraph(
    nodes,
    { cloud: timing.concurrency, kube: timing.kubeConcurrency },
    async ({ r, orphan }): Promise<Settled> => {
      const p = plannedById.get(r.id)!;
      try {
        if (orphan) {
          const outcome =
            r.type === 'kubernetes.object' && goneClusters.has(r.cluster)
              ? 'goes with its cluster'
              : await deleteOne(r, ctx, timing, locks, reporter);
          const state = outcome === 'deleted' ? 'done' : 'skipped';
          results.set(r.id, { ...p, state, elapsedMs: reporter.elapsed(r) });
          reporter.emit(r, state, { action: 'delete', detail: outcome });
          return state;
        }
        // The plan's read stands when nothing it depends on changed since, and for a create: a create
        // that finds the resource there after all reads it back (below) rather than duplicating it.
        const trusted =
          p.action === 'create' ||
          (p.action === 'noop' && r.dependsOn.every((d) => unchanged.has(d) || !byId.has(d)));
        const mutated = await converge(
          r,
          ctx,
          timing,
          locks,
          reporter,
          trusted ? observed.get(r.id) : undefined,
        );
        if (!mutated) unchanged.add(r.id);
        results.set(r.id, { ...p, state: 'done', elapsedMs: reporter.elapsed(r) });
        reporter.emit(r, 'done', { action: p.action, detail: p.action === 'noop' ? p.reason : undefined });
        return 'done';
      } catch (error) {
        const message = failureMessage(error, r);
        results.set(r.id, { ...p, state: 'failed', elapsedMs: reporter.elapsed(r), error: message });
        reporter.emit(r, 'failed', { action: p.action, detail: message });
        return 'failed';
      }
    },
    ({ r }, blocked) => {
      const p = plannedById.get(r.id)!;
      const detail = blockedDetail(blocked, (id) => byId.get(id)?.title ?? id);
      results.set(r.id, { ...p, state: 'blocked', elapsedMs: 0, error: detail });
      reporter.emit(r, 'blocked', { action: p.action, detail });
    },
  );
  const resources = [...state.resources, ...orphans].map((r) => results.get(r.id)!);
  return {
    converged: resources.every((r) => r.state === 'done' || (r.action === 'delete' && r.state === 'skipped')),
    resources,
  };
}

const clusterNameOf = (r: Resource) => (r.type === 'container.cluster' ? r.name : '');

/** Same decision twice: an update that changed nothing the diff looks at. */
const sameChange = (a: Change, b: Change) =>
  a.action === b.action &&
  (a.fields && b.fields ? JSON.stringify(a.fields) === JSON.stringify(b.fields) : a.reason === b.reason);

/**
 * One resource: decide, change, wait for the operation, read again, until the diff says noop; then
 * wait until ready. Convergence is proven: a change that leaves the same difference behind fails,
 * naming the fields that keep differing. Returns whether it changed anything.
 */
async function converge(
  r: Resource,
  ctx: EngineContext,
  timing: Timing,
  locks: Locks,
  reporter: Reporter,
  planned: Observed | undefined,
): Promise<boolean> {
  const handler = handlerFor(r, ctx);
  const deadline = deadlineFor(r, timing);
  const onRetry = (e: ReturnType<typeof toCallError>) =>
    reporter.emit(r, 'retrying', { detail: describeCallError(e) });
  const read = () => {
    reporter.emit(r, 'reading');
    return withRetries(() => handler.read(r, ctx), timing, deadline, onRetry);
  };
  let live = planned ? planned.live : await read();
  let mutated = false;
  let last: { change: Change; applied: boolean } | undefined;
  /** Why the last create's outcome is unknown (no answer, a 503): said when the resource gives up. */
  let unknownOutcome: string | undefined;
  for (let round = 0; ; round++) {
    const change = handler.diff(r, live, ctx);
    if (change.action === 'noop') break;
    if (last?.applied && sameChange(last.change, change)) {
      const what = change.fields?.length ? change.fields.join(', ') : change.reason;
      throw new NotConverged(
        change.action === 'create'
          ? `${r.title} is still absent after its create finished: the API did not do the work (a stale request ID?)`
          : `${r.title} still differs after its ${last.change.action}: ${what}. Something else keeps changing it (another controller or field manager), or the API does not take this value`,
      );
    }
    if (round >= timing.maxRounds || (unknownOutcome && timing.clock.now() >= deadline))
      throw new NotConverged(
        `${r.title} did not converge after ${round} changes: ${change.reason}${unknownOutcome ? ` (its last create: ${unknownOutcome})` : ''}`,
      );
    mutated = true;
    if (change.action === 'replace') {
      reporter.emit(r, 'replacing', { action: 'replace', detail: change.reason });
      await locks.run(handler.lockKey?.(r), async () => {
        const pending = await withRetries(() => handler.delete(r, live!, ctx), timing, deadline, onRetry);
        await waitFor(pending, r, timing, deadline);
      });
      await readUntil(r, ctx, timing, deadline, (l) => l === undefined, 'deleted');
      ctx.newIntent(r.id);
      live = undefined;
      last = { change, applied: false };
      continue;
    }
    const creating = change.action === 'create';
    reporter.emit(r, creating ? 'creating' : 'updating', { action: change.action, detail: change.reason });
    const applied = await locks.run(handler.lockKey?.(r), async () => {
      let pending: Pending | void;
      try {
        pending = await withRetries(
          () => (creating ? handler.create(r, ctx) : handler.update(r, live!, ctx)),
          timing,
          deadline,
          onRetry,
          // A create whose outcome is unknown is read back before it is sent again (below).
          creating ? (e) => isRetryable(e) && !outcomeUnknown(e) : isRetryable,
        );
      } catch (error) {
        const e = toCallError(error);
        // A create may fail on the client and land on the server: read before deciding (#20087).
        if (creating && (isAlreadyExists(e) || outcomeUnknown(e))) {
          unknownOutcome = describeCallError(e);
          reporter.emit(r, 'retrying', { detail: `${unknownOutcome}; reading it back` });
          await timing.clock.sleep(Math.min(timing.maxBackoffMs, timing.initialBackoffMs * 2 ** round));
          return false;
        }
        throw error;
      }
      reporter.emit(r, 'waiting', { detail: pending ? `waiting for ${pending.describe}` : undefined });
      await waitFor(pending, r, timing, deadline);
      return true;
    });
    last = { change, applied };
    live = await read();
  }
  if (!handler.ready(r, live)) {
    reporter.emit(r, 'waiting', { detail: 'waiting until ready' });
    await readUntil(r, ctx, timing, deadline, (l) => handler.ready(r, l), 'ready');
  }
  return mutated;
}

/** Deletes one resource if it is Spillway's, waiting until it is gone; says why when it is left. */
async function deleteOne(
  r: Resource,
  ctx: EngineContext,
  timing: Timing,
  locks: Locks,
  reporter: Reporter,
): Promise<string> {
  const handler = handlerFor(r, ctx);
  const deadline = deadlineFor(r, timing);
  const onRetry = (e: ReturnType<typeof toCallError>) =>
    reporter.emit(r, 'retrying', { detail: describeCallError(e) });
  reporter.emit(r, 'reading');
  const live = await withRetries(() => handler.read(r, ctx), timing, deadline, onRetry);
  if (live === undefined) return 'already gone';
  if (!handler.owned?.(r, live)) return "not Spillway's (adopted or unmarked): kept";
  reporter.emit(r, 'deleting', { action: 'delete' });
  await locks.run(handler.lockKey?.(r), async () => {
    const pending = await withRetries(() => handler.delete(r, live, ctx), timing, deadline, onRetry);
    await waitFor(pending, r, timing, deadline);
  });
  await readUntil(r, ctx, timing, deadline, (l) => l === undefined, 'deleted');
  ctx.newIntent(r.id);
  return 'deleted';
}

export type DestroyOptions = RunOptions;

/**
 * Deletes what Spillway created for the desired state, dependents first; adopted and unmarked
 * resources stay. A cluster's Kubernetes objects are deleted unless Spillway deletes that cluster
 * itself; a token Secret goes first of all (nothing needs it to leave gracefully, and it must not
 * outlive a destroy that fails half-way).
 */
export async function destroy(
  state: DesiredState,
  ctx: EngineContext,
  options: DestroyOptions,
): Promise<ApplyResult> {
  const { timing } = options;
  const reporter = new Reporter(timing.clock, options.onEvent);
  const locks = new Locks();
  const results = new Map<string, ResourceResult>();
  const dependents = dependentsOf(state.resources);
  const byId = new Map(state.resources.map((r) => [r.id, r]));
  const clusters = new Map(
    state.resources.filter((r) => r.type === 'container.cluster').map((r) => [clusterNameOf(r), r]),
  );
  /** Whether Spillway deletes this cluster itself (it is in this run and carries Spillway's marks). */
  const clusterGoes = (name: string): Promise<boolean> => {
    const cluster = clusters.get(name);
    if (!cluster) return Promise.resolve(false);
    const key = `destroy/clusterGoes/${name}`;
    if (!ctx.memo.has(key)) {
      const handler = handlerFor(cluster, ctx);
      const answer = withRetries(() => handler.read(cluster, ctx), timing, deadlineFor(cluster, timing)).then(
        (live) => live === undefined || !!handler.owned?.(cluster, live),
      );
      answer.catch(() => ctx.memo.delete(key));
      ctx.memo.set(key, answer);
    }
    return ctx.memo.get(key) as Promise<boolean>;
  };
  const isSecret = (r: Resource) => r.type === 'kubernetes.object' && r.manifest.kind === 'Secret';
  const nodes = criticalFirst(
    state.resources.map((r) => ({
      id: r.id,
      after: isSecret(r) ? [] : (dependents.get(r.id) ?? []),
      pool: poolOf(r),
      r,
    })),
    weightOf,
  );
  await runGraph(
    nodes,
    { cloud: timing.concurrency, kube: timing.kubeConcurrency },
    async ({ r }): Promise<Settled> => {
      const base = { id: r.id, kind: r.type, title: r.title, action: 'delete' as Action };
      try {
        if (r.type === 'kubernetes.object' && !isSecret(r) && (await clusterGoes(r.cluster))) {
          results.set(r.id, { ...base, reason: 'goes with its cluster', state: 'skipped', elapsedMs: 0 });
          reporter.emit(r, 'skipped', { detail: 'goes with its cluster' });
          return 'skipped';
        }
        const outcome = await deleteOne(r, ctx, timing, locks, reporter);
        if (outcome !== 'deleted') {
          results.set(r.id, {
            ...base,
            action: 'noop',
            reason: outcome,
            state: 'skipped',
            elapsedMs: reporter.elapsed(r),
          });
          reporter.emit(r, 'skipped', { action: 'noop', detail: outcome });
          return 'skipped';
        }
        results.set(r.id, { ...base, reason: 'deleted', state: 'done', elapsedMs: reporter.elapsed(r) });
        reporter.emit(r, 'done', { action: 'delete' });
        return 'done';
      } catch (error) {
        const message = failureMessage(error, r);
        results.set(r.id, {
          ...base,
          reason: message,
          state: 'failed',
          elapsedMs: reporter.elapsed(r),
          error: message,
        });
        reporter.emit(r, 'failed', { detail: message });
        return 'failed';
      }
    },
    ({ r }, blocked) => {
      const detail = blockedDetail(blocked, (id) => byId.get(id)?.title ?? id);
      results.set(r.id, {
        id: r.id,
        kind: r.type,
        title: r.title,
        action: 'delete',
        reason: detail,
        state: 'blocked',
        elapsedMs: 0,
        error: detail,
      });
      reporter.emit(r, 'blocked', { detail });
    },
  );
  const resources = state.resources.map((r) => results.get(r.id)!);
  return { converged: resources.every((r) => r.state === 'done' || r.state === 'skipped'), resources };
}
