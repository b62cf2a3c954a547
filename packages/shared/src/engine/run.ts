import {
  describeCallError,
  isAlreadyExists,
  isRetryable,
  outcomeUnknown,
  toCallError,
} from '../cloud/errors.js';
import type { DesiredState, Resource } from '../render/graph.js';
import { handlerFor } from './handlers.js';
import type { ProgressEvent, ProgressListener, ResourceState } from './events.js';
import { Locks, sleep, withRetries } from './retry.js';
import type { Action, Change, EngineContext, Pending, Timing } from './types.js';

/**
 * The engine: reads every resource, decides, and converges live state to the desired state in
 * dependency order, in parallel where it may. It alone orders, limits concurrency, retries and
 * waits; handlers only call the APIs.
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
}

export const ORPHAN_REASON = "Spillway's, no longer in the spec";

/** Deleting these costs GPUs and data: like a replace, it needs --yes. */
const DESTRUCTIVE: ReadonlySet<string> = new Set(['container.cluster', 'container.nodePool']);

class Reporter {
  private readonly started = new Map<string, number>();
  constructor(private readonly onEvent?: ProgressListener) {}
  emit(r: Resource, state: ResourceState, extra: { action?: Action; detail?: string } = {}) {
    if (!this.started.has(r.id) && state !== 'pending') this.started.set(r.id, Date.now());
    const start = this.started.get(r.id);
    const event: ProgressEvent = {
      id: r.id,
      type: r.type,
      title: r.title,
      state,
      ...extra,
      elapsedMs: start ? Date.now() - start : 0,
      at: new Date().toISOString(),
    };
    this.onEvent?.(event);
    return event;
  }
  elapsed(r: Resource) {
    const start = this.started.get(r.id);
    return start ? Date.now() - start : 0;
  }
}

/**
 * Runs `work` for every resource once its dependencies are done. Google Cloud changes and
 * Kubernetes objects have separate limits, so a burst of cheap object applies never holds back
 * a cluster or a fleet membership on the critical path.
 */
async function schedule(
  resources: Resource[],
  dependencies: (r: Resource) => string[],
  timing: Timing,
  work: (r: Resource) => Promise<'done' | 'failed' | 'skipped'>,
  onBlocked: (r: Resource, failedDependency: string) => void,
): Promise<Map<string, 'done' | 'failed' | 'skipped' | 'blocked'>> {
  const outcome = new Map<string, 'done' | 'failed' | 'skipped' | 'blocked'>();
  const ids = new Set(resources.map((r) => r.id));
  const started = new Set<string>();
  const pool = (r: Resource) => (r.type === 'kubernetes.object' ? 'kube' : 'cloud');
  const limit = { cloud: timing.concurrency, kube: timing.kubeConcurrency };
  const running = { cloud: 0, kube: 0 };
  return new Promise((resolve) => {
    const pump = () => {
      for (const r of resources) {
        if (started.has(r.id)) continue;
        const deps = dependencies(r).filter((d) => ids.has(d));
        const bad = deps.find((d) => outcome.get(d) === 'failed' || outcome.get(d) === 'blocked');
        if (bad) {
          started.add(r.id);
          outcome.set(r.id, 'blocked');
          onBlocked(r, bad);
          continue;
        }
        if (running[pool(r)] >= limit[pool(r)]) continue;
        if (!deps.every((d) => outcome.get(d) === 'done' || outcome.get(d) === 'skipped')) continue;
        started.add(r.id);
        running[pool(r)]++;
        work(r)
          .catch(() => 'failed' as const)
          .then((result) => {
            running[pool(r)]--;
            outcome.set(r.id, result);
            pump();
          });
      }
      if (outcome.size === resources.length) resolve(outcome);
    };
    pump();
  });
}

const deadlineFor = (r: Resource, timing: Timing) => Date.now() + (timing.timeoutMs[r.type] ?? 20 * 60_000);

/** Reads every resource and says what apply would do, without changing anything. */
export async function plan(
  state: DesiredState,
  ctx: EngineContext,
  options: RunOptions,
): Promise<PlanEntry[]> {
  const reporter = new Reporter(options.onEvent);
  const entries = new Map<string, PlanEntry>();
  const unreadable: string[] = [];
  await schedule(
    state.resources,
    () => [],
    options.timing,
    async (r) => {
      reporter.emit(r, 'reading');
      const handler = handlerFor(r);
      try {
        const live = await withRetries(
          () => handler.read(r, ctx),
          options.timing,
          deadlineFor(r, options.timing),
        );
        const change = handler.diff(r, live, ctx);
        entries.set(r.id, entry(r, change));
        reporter.emit(r, 'done', { action: change.action, detail: change.reason });
        return 'done';
      } catch (error) {
        const message = describeCallError(toCallError(error));
        unreadable.push(`${r.title}: ${message}`);
        reporter.emit(r, 'failed', { detail: message });
        return 'failed';
      }
    },
    () => undefined,
  );
  if (unreadable.length) {
    throw new PlanError(`cannot read ${unreadable.length} resource(s): ${unreadable.slice(0, 3).join('; ')}`);
  }
  const deletes = (options.orphans ?? []).map((r) => ({
    id: r.id,
    kind: r.type,
    title: r.title,
    action: 'delete' as Action,
    reason: ORPHAN_REASON,
  }));
  return [...state.resources.map((r) => entries.get(r.id)!), ...deletes];
}

const entry = (r: Resource, change: Change): PlanEntry => ({
  id: r.id,
  kind: r.type,
  title: r.title,
  action: change.action,
  reason: change.reason,
  ...(change.repair ? { repair: true } : {}),
});

export class OperationFailed extends Error {}

/** What a failed resource reports: an operation's own cause, or the API's error in one line. */
const failureMessage = (error: unknown) =>
  error instanceof OperationFailed ? error.message : describeCallError(toCallError(error));

/** A plan cannot be made: some resource could not be read (permissions, an API down). */
export class PlanError extends Error {}

/** Polls an operation until done; its error (e.g. GCE_STOCKOUT) fails the resource with that cause. */
async function waitFor(pending: Pending | void, r: Resource, timing: Timing, deadline: number) {
  if (!pending) return;
  for (;;) {
    const state = await withRetries(() => pending.poll(), timing, deadline);
    if (state.done) {
      if (state.error) throw new OperationFailed(`${pending.describe} failed: ${state.error}`);
      return;
    }
    if (Date.now() > deadline) throw new OperationFailed(`${pending.describe} did not finish in time`);
    await sleep(timing.pollIntervalMs);
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
  const handler = handlerFor(r);
  for (;;) {
    const live = await withRetries(() => handler.read(r, ctx), timing, deadline);
    if (until(live)) return live;
    if (Date.now() > deadline) throw new OperationFailed(`timed out waiting for ${r.title} to be ${what}`);
    await sleep(timing.pollIntervalMs);
  }
}

export interface ApplyOptions extends RunOptions {
  /** Resources whose plan says replace are changed only with this (the CLI's --yes). */
  allowReplace: boolean;
}

export interface ApplyResult {
  converged: boolean;
  /** Set when apply stopped before touching anything (a replace without --yes). */
  refused?: string;
  resources: ResourceResult[];
}

/** Converges live state to `state`: idempotent, and safe to re-run after any failure. */
export async function apply(
  state: DesiredState,
  ctx: EngineContext,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const planned = await plan(state, ctx, {
    timing: options.timing,
    ...(options.orphans ? { orphans: options.orphans } : {}),
  });
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
  const reporter = new Reporter(options.onEvent);
  const locks = new Locks();
  const results = new Map<string, ResourceResult>();
  const plannedById = new Map(planned.map((p) => [p.id, p]));
  for (const r of state.resources) reporter.emit(r, 'pending', { action: plannedById.get(r.id)!.action });

  await schedule(
    state.resources,
    (r) => r.dependsOn,
    options.timing,
    async (r) => {
      const p = plannedById.get(r.id)!;
      try {
        await converge(r, ctx, options.timing, locks, reporter);
        results.set(r.id, { ...p, state: 'done', elapsedMs: reporter.elapsed(r) });
        reporter.emit(r, 'done', { action: p.action, detail: p.action === 'noop' ? p.reason : undefined });
        return 'done';
      } catch (error) {
        const message = failureMessage(error);
        results.set(r.id, { ...p, state: 'failed', elapsedMs: reporter.elapsed(r), error: message });
        reporter.emit(r, 'failed', { action: p.action, detail: message });
        return 'failed';
      }
    },
    (r, dep) => {
      const p = plannedById.get(r.id)!;
      const detail = `not started: ${state.resources.find((x) => x.id === dep)?.title ?? dep} failed`;
      results.set(r.id, { ...p, state: 'blocked', elapsedMs: 0, error: detail });
      reporter.emit(r, 'blocked', { action: p.action, detail });
    },
  );
  const converged = state.resources.every((r) => results.get(r.id)!.state === 'done');
  // What the spec dropped goes last, once what replaces it runs, and only if the rest converged.
  const orphans = converged ? (options.orphans ?? []) : [];
  await schedule(
    orphans,
    (r) => r.dependsOn,
    options.timing,
    async (r) => {
      const base = {
        id: r.id,
        kind: r.type,
        title: r.title,
        action: 'delete' as Action,
        reason: ORPHAN_REASON,
      };
      try {
        const outcome = await deleteOne(r, ctx, options.timing, locks, reporter);
        results.set(r.id, {
          ...base,
          state: outcome === 'deleted' ? 'done' : 'skipped',
          elapsedMs: reporter.elapsed(r),
        });
        reporter.emit(r, outcome === 'deleted' ? 'done' : 'skipped', { action: 'delete', detail: outcome });
        return 'done';
      } catch (error) {
        const message = failureMessage(error);
        results.set(r.id, { ...base, state: 'failed', elapsedMs: reporter.elapsed(r), error: message });
        reporter.emit(r, 'failed', { action: 'delete', detail: message });
        return 'failed';
      }
    },
    (r, dep) => {
      results.set(r.id, {
        id: r.id,
        kind: r.type,
        title: r.title,
        action: 'delete',
        reason: ORPHAN_REASON,
        state: 'blocked',
        elapsedMs: 0,
        error: `waits for ${dep}`,
      });
    },
  );
  const resources = [...state.resources, ...(options.orphans ?? [])].map(
    (r) => results.get(r.id) ?? { ...plannedById.get(r.id)!, state: 'skipped' as const, elapsedMs: 0 },
  );
  return {
    converged: resources.every((r) => r.state === 'done' || (r.action === 'delete' && r.state === 'skipped')),
    resources,
  };
}

/** One resource: read, decide, change, wait for the operation, wait until ready. */
async function converge(r: Resource, ctx: EngineContext, timing: Timing, locks: Locks, reporter: Reporter) {
  const handler = handlerFor(r);
  const deadline = deadlineFor(r, timing);
  const onRetry = (e: ReturnType<typeof toCallError>) =>
    reporter.emit(r, 'retrying', { detail: describeCallError(e) });
  for (let round = 0; round < 20; round++) {
    reporter.emit(r, 'reading');
    const live = await withRetries(() => handler.read(r, ctx), timing, deadline, onRetry);
    const change = handler.diff(r, live, ctx);
    if (change.action === 'noop') break;
    if (change.action === 'replace') {
      reporter.emit(r, 'replacing', { action: 'replace', detail: change.reason });
      await locks.run(handler.lockKey?.(r), async () => {
        const pending = await withRetries(() => handler.delete(r, live!, ctx), timing, deadline, onRetry);
        await waitFor(pending, r, timing, deadline);
      });
      await readUntil(r, ctx, timing, deadline, (l) => l === undefined, 'deleted');
      continue;
    }
    const creating = change.action === 'create';
    reporter.emit(r, creating ? 'creating' : 'updating', { action: change.action, detail: change.reason });
    await locks.run(handler.lockKey?.(r), async () => {
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
          reporter.emit(r, 'retrying', { detail: `${describeCallError(e)}; reading it back` });
          await sleep(Math.min(timing.maxBackoffMs, timing.initialBackoffMs * 2 ** round));
          return;
        }
        throw error;
      }
      reporter.emit(r, 'waiting', { detail: pending ? `waiting for ${pending.describe}` : undefined });
      await waitFor(pending, r, timing, deadline);
    });
  }
  reporter.emit(r, 'waiting', { detail: 'waiting until ready' });
  await readUntil(r, ctx, timing, deadline, (live) => handler.ready(r, live), 'ready');
}

export type DestroyOptions = RunOptions;

/** Deletes one resource if it is Spillway's, waiting until it is gone; says why when it is left. */
async function deleteOne(
  r: Resource,
  ctx: EngineContext,
  timing: Timing,
  locks: Locks,
  reporter: Reporter,
): Promise<string> {
  const handler = handlerFor(r);
  const deadline = deadlineFor(r, timing);
  reporter.emit(r, 'reading');
  const live = await withRetries(() => handler.read(r, ctx), timing, deadline);
  if (live === undefined) return 'already gone';
  if (!handler.owned?.(r, live)) return "not Spillway's (adopted or unmarked): kept";
  reporter.emit(r, 'deleting', { action: 'delete' });
  await locks.run(handler.lockKey?.(r), async () => {
    const pending = await withRetries(() => handler.delete(r, live, ctx), timing, deadline);
    await waitFor(pending, r, timing, deadline);
  });
  await readUntil(r, ctx, timing, deadline, (l) => l === undefined, 'deleted');
  return 'deleted';
}

/** Deletes what Spillway created for the desired state, dependents first; adopted and unmarked resources stay. */
export async function destroy(
  state: DesiredState,
  ctx: EngineContext,
  options: DestroyOptions,
): Promise<ApplyResult> {
  const reporter = new Reporter(options.onEvent);
  const locks = new Locks();
  const results = new Map<string, ResourceResult>();
  const dependents = new Map<string, string[]>();
  for (const r of state.resources)
    for (const d of r.dependsOn) dependents.set(d, [...(dependents.get(d) ?? []), r.id]);
  const deletedClusters = new Set(
    state.resources.filter((r) => r.type === 'container.cluster').map((r) => (r as any).name as string),
  );
  const reversed = [...state.resources].reverse();
  await schedule(
    reversed,
    (r) => dependents.get(r.id) ?? [],
    options.timing,
    async (r) => {
      const base = { id: r.id, kind: r.type, title: r.title, action: 'delete' as Action };
      try {
        if (r.type === 'kubernetes.object' && deletedClusters.has(r.cluster)) {
          results.set(r.id, { ...base, reason: 'goes with its cluster', state: 'skipped', elapsedMs: 0 });
          reporter.emit(r, 'skipped', { detail: 'goes with its cluster' });
          return 'skipped';
        }
        const outcome = await deleteOne(r, ctx, options.timing, locks, reporter);
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
        const message = failureMessage(error);
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
    (r, dep) => {
      results.set(r.id, {
        id: r.id,
        kind: r.type,
        title: r.title,
        action: 'delete',
        reason: `${dep} was not deleted`,
        state: 'blocked',
        elapsedMs: 0,
      });
      reporter.emit(r, 'blocked', { detail: `waits for ${dep}` });
    },
  );
  const resources = state.resources.map((r) => results.get(r.id)!);
  return { converged: resources.every((r) => r.state === 'done' || r.state === 'skipped'), resources };
}
