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
