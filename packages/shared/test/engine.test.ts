import { describe, expect, it } from '@jest/globals';
import { apply, destroy, plan } from '../src/engine/run.js';
import { criticalFirst } from '../src/engine/schedule.js';
import type { ProgressEvent } from '../src/engine/events.js';
import { cloudResource, clusterResource, fakeWorld, kubeResource } from './engine-fake.js';

const grpc = (code: number, details: string) =>
  Object.assign(new Error(details), { code, details, metadata: {} });
const http = (status: number, error: object) => ({
  response: { status, data: { error } },
  message: `HTTP ${status}`,
});

const byId = (result: { resources: { id: string }[] }) =>
  Object.fromEntries(result.resources.map((r) => [r.id, r])) as Record<string, any>;

describe('engine: one graph, in memory', () => {
  it('creates what a resource depends on first, and each only once', async () => {
    const { api, timing, context } = fakeWorld();
    const state = {
      resources: [cloudResource('b', ['a']), cloudResource('a'), cloudResource('c', ['b', 'a'])],
    };
    const result = await apply(state, context(), { timing, allowReplace: false });
    expect(result.converged).toBe(true);
    expect(api.calls).toEqual(['create a', 'create b', 'create c']);
    expect((await plan(state, context(), { timing })).map((p) => p.action)).toEqual(['noop', 'noop', 'noop']);
  });

  it('deletes dependents before what they depend on, and a Secret first of all', async () => {
    const { api, timing, context } = fakeWorld();
    const state = {
      resources: [
        cloudResource('network'),
        kubeResource('adopted', 'Secret', 'hf-token', ['network']),
        kubeResource('adopted', 'Deployment', 'vllm', ['kube/adopted/Secret/hf-token', 'network']),
        kubeResource('adopted', 'Service', 'vllm', ['kube/adopted/Deployment/vllm']),
      ],
    };
    await apply(state, context(), { timing, allowReplace: false });
    api.calls.length = 0;
    const result = await destroy(state, context(), { timing });
    expect(result.converged).toBe(true);
    expect(api.calls).toEqual([
      'delete kube/adopted/Secret/hf-token',
      'delete kube/adopted/Service/vllm',
      'delete kube/adopted/Deployment/vllm',
      'delete network',
    ]);
    expect(api.live.size).toBe(0);
  });

  it("deletes a cluster's objects unless Spillway deletes that cluster itself", async () => {
    const { api, timing, context } = fakeWorld();
    const mine = clusterResource('mine');
    const theirs = clusterResource('theirs');
    const state = {
      resources: [
        mine,
        theirs,
        kubeResource('mine', 'Deployment', 'vllm', [mine.id]),
        kubeResource('mine', 'Secret', 'hf-token', [mine.id]),
        kubeResource('theirs', 'Deployment', 'vllm', [theirs.id]),
      ],
    };
    await apply(state, context(), { timing, allowReplace: false });
    api.live.get(theirs.id)!.owned = false; // existed before Spillway: adopted
    api.calls.length = 0;
    const result = await destroy(state, context(), { timing });
    expect(result.converged).toBe(true);
    expect(byId(result)['kube/mine/Deployment/vllm'].reason).toBe('goes with its cluster');
    expect(api.calls.sort()).toEqual([
      'delete cluster/mine',
      'delete kube/mine/Secret/hf-token',
      'delete kube/theirs/Deployment/vllm',
    ]);
    expect(api.live.has(theirs.id)).toBe(true);
    expect(byId(result)[theirs.id].reason).toMatch(/not Spillway's/);
  });

  it('blocks what depends on a failure, naming it, and finishes everything else', async () => {
    const { api, timing, context } = fakeWorld();
    api.fail('create a', http(400, { message: 'bad request', status: 'INVALID_ARGUMENT' }));
    const state = { resources: [cloudResource('a'), cloudResource('b', ['a']), cloudResource('c')] };
    const result = await apply(state, context(), { timing, allowReplace: false });
    const r = byId(result);
    expect(result.converged).toBe(false);
    expect([r.a.state, r.b.state, r.c.state]).toEqual(['failed', 'blocked', 'done']);
    expect(r.a.error).toContain('400 INVALID_ARGUMENT: bad request');
    expect(r.b.error).toBe('not started: resource a failed');
  });

  it('retries what is retryable, counting each retry, and nothing else', async () => {
    const { api, clock, timing, context } = fakeWorld();
    api.fail('create a', http(503, { message: 'backend' }));
    api.fail(
      'read a',
      http(429, { message: 'slow down', status: 'RESOURCE_EXHAUSTED' }),
      grpc(14, 'unavailable'),
    );
    api.fail(
      'create b',
      http(429, {
        status: 'RESOURCE_EXHAUSTED',
        message: "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute'",
      }),
    );
    const events: ProgressEvent[] = [];
    const result = await apply({ resources: [cloudResource('a'), cloudResource('b')] }, context(), {
      timing,
      allowReplace: false,
      onEvent: (e) => events.push(e),
    });
    expect(result.converged).toBe(true);
    const retries = (id: string) => events.filter((e) => e.id === id && e.state === 'retrying').length;
    // a: the 503 on create is read back (its outcome is unknown), then two failed reads are retried.
    expect([retries('a'), retries('b')]).toEqual([3, 1]);
    expect(api.calls.filter((c) => c === 'create a')).toHaveLength(1);
    // Backoff doubles from the initial pause (jitter pinned).
    expect(clock.sleeps.slice(0, 3)).toEqual(expect.arrayContaining([1_000]));
  });

  it('fails at once on a hard quota, naming quota, region, limit and usage', async () => {
    const { api, clock, timing, context } = fakeWorld();
    api.fail(
      'create cluster/gpu',
      grpc(
        8,
        `Insufficient regional quota to satisfy request: resource "NVIDIA_H100_GPUS": request requires '16.0' and is short '8.0'. project has a quota of '8.0' with '0.0' available.`,
      ),
    );
    const started = clock.now();
    const result = await apply({ resources: [clusterResource('gpu')] }, context(), {
      timing,
      allowReplace: false,
    });
    const r = byId(result)['cluster/gpu'];
    expect([r.state, result.converged]).toEqual(['failed', false]);
    expect(r.error).toMatch(
      /^quota NVIDIA_H100_GPUS in us-east4 is exhausted \(limit 8, usage 8, this request needs 16\)/,
    );
    expect(clock.now() - started).toBeLessThan(timing.initialBackoffMs);
  });

  it('names a quota that fails the operation itself', async () => {
    const { api, timing, context } = fakeWorld();
    api.operationErrors.set('create a', "Quota 'NVIDIA_H100_GPUS' exceeded.  Limit: 8.0 in region us-east4.");
    const result = await apply({ resources: [cloudResource('a')] }, context(), {
      timing,
      allowReplace: false,
    });
    expect(byId(result).a.error).toContain(
      'failed: quota NVIDIA_H100_GPUS in us-east4 is exhausted (limit 8)',
    );
  });

  it('gives up on an operation at its deadline, in virtual time', async () => {
    const { api, clock, timing, context } = fakeWorld();
    api.hanging.add('create a');
    const started = clock.now();
    const result = await apply({ resources: [cloudResource('a')] }, context(), {
      timing,
      allowReplace: false,
    });
    expect(byId(result).a.error).toBe('operation create a did not finish in time');
    expect(clock.now() - started).toBeGreaterThanOrEqual(60_000);
    expect(clock.now() - started).toBeLessThan(62_000);
  });

  it('fails a plan whose read never answers at the read deadline, naming the resource, in virtual time', async () => {
    const { api, clock, timing, context } = fakeWorld();
    api.unanswered.add('read b');
    const started = clock.now();
    await expect(
      plan({ resources: [cloudResource('a'), cloudResource('b')] }, context(), { timing }),
    ).rejects.toThrow('cannot read 1 resource(s): resource b: ETIMEDOUT: no answer within 10 s');
    expect(clock.now() - started).toBe(timing.readTimeoutMs);
  });

  it('fails a create that never answers at its deadline, reading back and resending meanwhile; the rest converge', async () => {
    const { api, clock, timing, context } = fakeWorld();
    api.unanswered.add('create a');
    const started = clock.now();
    const result = await apply({ resources: [cloudResource('a'), cloudResource('b')] }, context(), {
      timing,
      allowReplace: false,
    });
    expect(byId(result).a.state).toBe('failed');
    expect(byId(result).a.error).toMatch(
      /^resource a did not converge after \d changes: does not exist \(its last create: ETIMEDOUT: no answer within 10 s\)$/,
    );
    expect(byId(result).b.state).toBe('done');
    expect(api.reads.filter((id) => id === 'a').length).toBeGreaterThan(2);
    expect(clock.now() - started).toBeGreaterThanOrEqual(60_000);
    expect(clock.now() - started).toBeLessThan(60_000 + timing.callTimeoutMs + timing.maxBackoffMs);
  });

  it('fails a resource that still differs after its update, naming the field', async () => {
    const { api, timing, context } = fakeWorld();
    await apply({ resources: [cloudResource('a')] }, context(), { timing, allowReplace: false });
    api.stuck.add('a');
    const result = await apply({ resources: [cloudResource('a', [], 'v2')] }, context(), {
      timing,
      allowReplace: false,
    });
    expect(result.converged).toBe(false);
    expect(byId(result).a.error).toMatch(
      /resource a still differs after its update: value\. Something else keeps changing it/,
    );
    expect(api.calls.filter((c) => c === 'update a')).toHaveLength(1);
  });

  it('gives a new request ID to each run and to a create after a delete: apply → destroy → apply converges', async () => {
    const { api, timing, context } = fakeWorld();
    const state = { resources: [cloudResource('membership')] };
    expect((await apply(state, context(), { timing, allowReplace: false })).converged).toBe(true);
    expect((await destroy(state, context(), { timing })).converged).toBe(true);
    const again = await apply(state, context(), { timing, allowReplace: false });
    expect(again.converged).toBe(true);
    expect(api.live.has('membership')).toBe(true);
    expect(api.requestIds.size).toBe(2);
    // Within one run, retries of one attempt keep their ID; a delete makes the next create a new intent.
    const ctx = context();
    const first = ctx.requestId('membership', 'create');
    expect(ctx.requestId('membership', 'create')).toBe(first);
    ctx.newIntent('membership');
    expect(ctx.requestId('membership', 'create')).not.toBe(first);
    expect(context().requestId('membership', 'create')).not.toBe(first);
  });

  it('deletes what the spec dropped after the rest converged, dependents first', async () => {
    const { api, timing, context } = fakeWorld();
    const cluster = clusterResource('gone');
    const membership = cloudResource('membership-gone', [cluster.id]);
    const pool = cloudResource('pool-gone', [cluster.id]);
    await apply({ resources: [cluster, membership, pool, cloudResource('kept')] }, context(), {
      timing,
      allowReplace: false,
    });
    api.calls.length = 0;
    const result = await apply({ resources: [cloudResource('kept', [], 'v2')] }, context(), {
      timing,
      allowReplace: true,
      orphans: [cluster, membership, pool],
    });
    expect(result.converged).toBe(true);
    expect(api.calls[0]).toBe('update kept');
    expect(api.calls.slice(1, 3).sort()).toEqual(['delete membership-gone', 'delete pool-gone']);
    expect(api.calls[3]).toBe('delete cluster/gone');
  });

  it('a dropped resource whose delete fails blocks what waits for it, and the run ends', async () => {
    const { api, timing, context } = fakeWorld();
    const cluster = clusterResource('gone');
    const membership = cloudResource('membership-gone', [cluster.id]);
    await apply({ resources: [cluster, membership] }, context(), { timing, allowReplace: false });
    api.fail('delete membership-gone', http(403, { message: 'denied', status: 'PERMISSION_DENIED' }));
    const result = await apply({ resources: [] }, context(), {
      timing,
      allowReplace: true,
      orphans: [cluster, membership],
    });
    const r = byId(result);
    expect([result.converged, r['membership-gone'].state, r['cluster/gone'].state]).toEqual([
      false,
      'failed',
      'blocked',
    ]);
    expect(r['cluster/gone'].error).toBe('not started: resource membership-gone failed');
  });

  it('never hangs: nodes in a cycle fail naming what they wait for', async () => {
    const { timing, context } = fakeWorld();
    const state = { resources: [cloudResource('a', ['b']), cloudResource('b', ['a']), cloudResource('c')] };
    const result = await apply(state, context(), { timing, allowReplace: false });
    const r = byId(result);
    expect([r.a.state, r.b.state, r.c.state]).toEqual(['blocked', 'blocked', 'done']);
    expect(r.a.error).toBe('not started: waits for resource b, which can never finish (a dependency cycle)');
  });

  it('refuses a replace or a dropped cluster without --yes, changing nothing', async () => {
    const { api, timing, context } = fakeWorld();
    const cluster = clusterResource('gone');
    await apply({ resources: [cluster] }, context(), { timing, allowReplace: false });
    api.calls.length = 0;
    const result = await apply({ resources: [] }, context(), {
      timing,
      allowReplace: false,
      orphans: [cluster],
    });
    expect(result.refused).toMatch(/^apply would replace or delete 1 resource\(s\): cluster gone/);
    expect(api.calls).toEqual([]);
  });

  it('a no-op re-apply reads each resource once and changes nothing', async () => {
    const { api, timing, context } = fakeWorld();
    const state = { resources: [cloudResource('a'), cloudResource('b', ['a']), cloudResource('c', ['b'])] };
    await apply(state, context(), { timing, allowReplace: false });
    api.calls.length = 0;
    api.reads.length = 0;
    expect((await apply(state, context(), { timing, allowReplace: false })).converged).toBe(true);
    expect([api.calls, api.reads.sort()]).toEqual([[], ['a', 'b', 'c']]);
  });

  it('with one slot, starts first what the longest chain of work waits on', async () => {
    const { api, timing, context } = fakeWorld();
    const state = {
      resources: [
        cloudResource('x'),
        cloudResource('y'),
        cloudResource('root'),
        cloudResource('leaf', ['root']),
      ],
    };
    await apply(state, context(), { timing: { ...timing, concurrency: 1 }, allowReplace: false });
    expect(api.calls[0]).toBe('create root'); // listed after x and y, but leaf waits on it
  });
  it('gives each API its own limit: an operation of one never holds back another', async () => {
    const { api, timing, context } = fakeWorld();
    const cluster = clusterResource('c');
    api.hanging.add(`create ${cluster.id}`); // a cluster create that never finishes, in the one slot
    const events: string[] = [];
    const result = await apply({ resources: [cluster, cloudResource('feature')] }, context(), {
      timing: { ...timing, concurrency: 1 },
      allowReplace: false,
      onEvent: (e) => {
        if (['done', 'failed'].includes(e.state)) events.push(`${e.id} ${e.state}`);
      },
    });
    expect(byId(result).feature.state).toBe('done');
    expect(events).toEqual(['feature done', `${cluster.id} failed`]);
  });
});

describe('criticalFirst', () => {
  const node = (id: string, after: string[] = []) => ({ id, after, pool: 'cloud' });
  it('ranks by the heaviest chain still behind a node, keeping the given order on ties', () => {
    const weights: Record<string, number> = { a: 1, b: 1, slow: 10, c: 1, d: 1 };
    const nodes = [node('a'), node('b'), node('c', ['slow']), node('slow'), node('d', ['a'])];
    expect(criticalFirst(nodes, (n) => weights[n.id]!).map((n) => n.id)).toEqual([
      'slow',
      'a',
      'b',
      'c',
      'd',
    ]);
  });
  it('terminates on a cycle', () => {
    const nodes = [node('a', ['b']), node('b', ['a'])];
    expect(
      criticalFirst(nodes, () => 1)
        .map((n) => n.id)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});
