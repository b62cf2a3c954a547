import { describe, expect, it } from '@jest/globals';
import { Faults } from '../src/faults.js';

const sequence = (faults: Faults, n: number) =>
  Array.from({ length: n }, () => faults.decide('container', 'CreateCluster').error?.status ?? 0);

describe('the fault plan', () => {
  const plan = { seed: 42, rules: [{ api: 'container' as const, errorRate: 0.3, status: 429 }] };

  it('replays the same faults for the same seed', () => {
    expect(sequence(new Faults(plan), 50)).toEqual(sequence(new Faults(plan), 50));
  });

  it('gives another sequence for another seed, at about the rate asked', () => {
    const a = sequence(new Faults(plan), 400);
    const b = sequence(new Faults({ ...plan, seed: 43 }), 400);
    expect(a).not.toEqual(b);
    const rate = a.filter((s) => s === 429).length / a.length;
    expect(rate).toBeGreaterThan(0.2);
    expect(rate).toBeLessThan(0.4);
  });

  it('fires a rule at most `times` times and only for its API and method', () => {
    const faults = new Faults({
      rules: [{ api: 'gkehub', method: 'memberships.create', errorRate: 1, status: 503, times: 2 }],
    });
    expect(faults.decide('container', 'memberships.create').error).toBeUndefined();
    expect(faults.decide('gkehub', 'features.create').error).toBeUndefined();
    expect([1, 2, 3].map(() => faults.decide('gkehub', 'memberships.create').error?.status)).toEqual([
      503,
      503,
      undefined,
    ]);
    expect(faults.log).toEqual([
      { api: 'gkehub', method: 'memberships.create', fault: 'error 503' },
      { api: 'gkehub', method: 'memberships.create', fault: 'error 503' },
    ]);
  });

  it('marks regions dark until the plan changes', () => {
    const faults = new Faults({ darkRegions: ['us-east4'] });
    expect([faults.isDark('us-east4'), faults.isDark('europe-west3')]).toEqual([true, false]);
    faults.setPlan({});
    expect(faults.isDark('us-east4')).toBe(false);
  });
});

describe('quota rules', () => {
  const quota = { metric: 'NVIDIA_H100_GPUS', region: 'us-east4', limit: 16, usage: 8 };
  const pool = (nodes: number, extra: Record<string, unknown> = {}) => ({
    name: 'h100',
    initialNodeCount: nodes,
    config: { accelerators: [{ acceleratorType: 'nvidia-h100-80gb', acceleratorCount: '8' }], ...extra },
  });
  const call = (faults: Faults, location: string, nodePool: unknown) =>
    faults.decide('container', 'CreateNodePool', {
      project: 'my-project',
      location,
      cluster: 'gke-east',
      request: { parent: `projects/my-project/locations/${location}/clusters/gke-east`, nodePool },
    });

  it('fires only in its region, only for requests over what is available, counting zones and Spot', () => {
    const faults = new Faults({ rules: [{ api: 'container', method: 'CreateNodePool', quota }] });
    expect(call(faults, 'europe-west3-a', pool(2)).error).toBeUndefined();
    expect(call(faults, 'us-east4-a', pool(1)).error).toBeUndefined(); // 8 GPUs, 8 available
    expect(call(faults, 'us-east4-a', { name: 'cpu', initialNodeCount: 3 }).error).toBeUndefined();
    expect(call(faults, 'us-east4-a', pool(1, { spot: true })).error).toBeUndefined(); // PREEMPTIBLE_NVIDIA_H100_GPUS
    // A regional cluster's pool has nodes in three zones: 1 node × 8 GPUs × 3 zones.
    expect(call(faults, 'us-east4', pool(1)).error).toMatchObject({
      status: 403,
      statusName: 'PERMISSION_DENIED',
      message: expect.stringContaining(
        "request requires '24.0' and is short '16.0'. project has a quota of '16.0' with '8.0' available.",
      ),
    });
    expect(faults.log).toEqual([
      { api: 'container', method: 'CreateNodePool', fault: 'quota NVIDIA_H100_GPUS' },
    ]);
  });

  it('fires on every call without errorRate (up to times), and keeps the seeded sequence of the other rules', () => {
    const plan = {
      seed: 5,
      rules: [
        { api: 'gkehub' as const, method: 'memberships.create', rateLimit: {}, times: 2 },
        { api: 'container' as const, errorRate: 0.3, status: 429 },
      ],
    };
    const faults = new Faults(plan);
    expect([1, 2, 3].map(() => faults.decide('gkehub', 'memberships.create').error?.status)).toEqual([
      429,
      429,
      undefined,
    ]);
    expect(sequence(faults, 50)).toEqual(sequence(new Faults(plan), 50));
  });
});
