import type { Cloud } from '../src/cloud/clients.js';
import { VirtualClock } from '../src/engine/clock.js';
import type { Handler, Pending, Timing } from '../src/engine/types.js';
import { EMULATOR_TIMING, engineContext, type EngineContext } from '../src/engine/types.js';
import type { Resource, ResourceType } from '../src/render/graph.js';

/**
 * An in-memory cloud for the engine's tests: resources with one field (`value`), operations that
 * take a number of polls, errors queued per call, and request IDs remembered as the real APIs do
 * (a request ID seen before returns the old operation, which does no work).
 */
export interface FakeLive {
  value: string;
  owned: boolean;
}

export class FakeApi {
  readonly live = new Map<string, FakeLive>();
  /** Every mutating call, in order: `create a`, `update a`, `delete a`. */
  readonly calls: string[] = [];
  /** Errors thrown by the next calls of `verb id` (read, create, update, delete, poll). */
  readonly faults = new Map<string, unknown[]>();
  /** Operations that fail when done, by `verb id`, with this message. */
  readonly operationErrors = new Map<string, string>();
  /** Resources whose update does nothing (another controller reverts it). */
  readonly stuck = new Set<string>();
  /** Operations that never finish, by `verb id`. */
  readonly hanging = new Set<string>();
  /** Calls that never answer, by `verb id` (read, create, update, delete): an API that hangs. */
  readonly unanswered = new Set<string>();
  readonly requestIds = new Set<string>();
  readonly reads: string[] = [];
  polls = 2;

  constructor(readonly clock: VirtualClock) {}

  fail(key: string, ...errors: unknown[]) {
    this.faults.set(key, [...(this.faults.get(key) ?? []), ...errors]);
  }

  private async fault(key: string) {
    if (this.unanswered.has(key)) await new Promise(() => undefined);
    const queue = this.faults.get(key);
    if (queue?.length) throw queue.shift();
  }

  private operation(key: string, work: () => void): Pending {
    let left = this.polls;
    return {
      describe: `operation ${key}`,
      poll: async () => {
        await this.fault(`poll ${key.split(' ')[1]}`);
        if (this.hanging.has(key)) return { done: false };
        if (--left > 0) return { done: false };
        const error = this.operationErrors.get(key);
        if (error) return { done: true, error };
        work();
        return { done: true };
      },
    };
  }

  handler(): Handler<Resource & { body?: { value?: string } }, FakeLive> {
    return {
      read: async (r) => {
        this.reads.push(r.id);
        await this.fault(`read ${r.id}`);
        const live = this.live.get(r.id);
        return live && { ...live };
      },
      diff: (r, live) => {
        if (!live) return { action: 'create', reason: 'does not exist' };
        const want = valueOf(r);
        if (live.value !== want)
          return { action: 'update', reason: `value ${live.value} → ${want}`, fields: ['value'] };
        return { action: 'noop', reason: 'up to date' };
      },
      create: async (r, ctx) => {
        await this.fault(`create ${r.id}`);
        const requestId = ctx.requestId(r.id, 'create');
        this.calls.push(`create ${r.id}`);
        // A request ID seen before: the old operation again, and no work (GKE Hub, Compute).
        if (this.requestIds.has(requestId))
          return { describe: 'old operation', poll: async () => ({ done: true }) };
        this.requestIds.add(requestId);
        return this.operation(`create ${r.id}`, () =>
          this.live.set(r.id, { value: valueOf(r), owned: true }),
        );
      },
      update: async (r) => {
        await this.fault(`update ${r.id}`);
        this.calls.push(`update ${r.id}`);
        return this.operation(`update ${r.id}`, () => {
          if (!this.stuck.has(r.id)) this.live.get(r.id)!.value = valueOf(r);
        });
      },
      delete: async (r) => {
        await this.fault(`delete ${r.id}`);
        this.calls.push(`delete ${r.id}`);
        return this.operation(`delete ${r.id}`, () => this.live.delete(r.id));
      },
      ready: (_r, live) => !!live,
      owned: (_r, live) => live.owned,
    };
  }
}

const valueOf = (r: Resource & { body?: { value?: string } }) => r.body?.value ?? 'v1';

/** A generic cloud resource (a fleet feature stands in for any Google Cloud resource). */
export const cloudResource = (id: string, dependsOn: string[] = [], value = 'v1'): Resource =>
  ({
    type: 'gkehub.feature',
    id,
    dependsOn,
    owner: { platform: 'p' },
    title: `resource ${id}`,
    project: 'p',
    featureId: id,
    body: { value },
  }) as Resource;

export const clusterResource = (name: string, dependsOn: string[] = []): Resource =>
  ({
    type: 'container.cluster',
    id: `cluster/${name}`,
    dependsOn,
    owner: { platform: 'p' },
    title: `cluster ${name}`,
    project: 'p',
    location: 'us-east4',
    name,
    body: { value: 'v1' },
  }) as unknown as Resource;

export const kubeResource = (
  cluster: string,
  kind: string,
  name: string,
  dependsOn: string[] = [],
): Resource =>
  ({
    type: 'kubernetes.object',
    id: `kube/${cluster}/${kind}/${name}`,
    dependsOn,
    owner: { platform: 'p', service: 's' },
    title: `${kind} ${name} in ${cluster}`,
    cluster,
    bundle: 'service-s',
    manifest: { apiVersion: 'v1', kind, metadata: { name, namespace: 'default' } },
    body: { value: 'v1' },
  }) as unknown as Resource;

export function fakeWorld(): {
  api: FakeApi;
  clock: VirtualClock;
  timing: Timing;
  context: () => EngineContext;
} {
  const clock = new VirtualClock();
  const api = new FakeApi(clock);
  const timing: Timing = {
    ...EMULATOR_TIMING,
    pollIntervalMs: 1_000,
    initialBackoffMs: 1_000,
    maxBackoffMs: 8_000,
    timeoutMs: Object.fromEntries(
      ['gkehub.feature', 'container.cluster', 'kubernetes.object'].map((t) => [t, 60_000]),
    ) as Partial<Record<ResourceType, number>>,
    maxRounds: 6,
    clock,
    random: () => 1,
  };
  const handler = api.handler();
  const context = () => {
    const ctx = engineContext({ platforms: [] }, {} as Cloud);
    ctx.handlers = {
      'gkehub.feature': handler,
      'container.cluster': handler,
      'kubernetes.object': handler,
    };
    return ctx;
  };
  return { api, clock, timing, context };
}
