import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applySpec, loadTest, verifySpec, type Cloud } from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { exampleSpec, sandboxAndCloud, TIMING } from './helpers.js';

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const spec = exampleSpec();

beforeAll(async () => {
  // Small KV caches (4 sequences) and 60 ms requests, so a few concurrent requests fill a replica.
  ({ sandbox, cloud, env } = await sandboxAndCloud({ modelServers: { capacity: 4, secondsPerRequest: 60 } }));
  if (!(await applySpec(spec, { cloud, timing: TIMING, env, allowReplace: false })).converged)
    throw new Error('setup');
}, 120_000);
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('verify --load-test', () => {
  it('keeps light load in the preferred region, spills once it is at the threshold, and fails nothing', async () => {
    let report = await verifySpec(spec, {
      cloud,
      regionTimeoutMs: 3_000,
      from: 'runner',
      loadTest: { steps: [1, 2, 8], requestsPerStep: 80 },
    });
    for (let i = 0; i < 20 && !report.loadTests; i++) {
      await new Promise((r) => setTimeout(r, 100));
      report = await verifySpec(spec, {
        cloud,
        regionTimeoutMs: 3_000,
        from: 'runner',
        loadTest: { steps: [1, 2, 8], requestsPerStep: 80 },
      });
    }
    const load = report.loadTests!['food-review']!;
    const [one, two, heavy] = load.steps;
    expect(one!.byRegion).toEqual({ 'us-east4': 80 });
    expect(two!.byRegion).toEqual({ 'us-east4': 80 });
    expect(heavy!.byRegion['europe-west3'] ?? 0).toBeGreaterThan(0);
    expect([load.checks.map((c) => [c.name, c.ok]), JSON.stringify(load.steps)]).toEqual([
      [
        ['load: nothing fails', true],
        ['load: spills only at the threshold', true],
        ['load: preferred region first', true],
      ],
      expect.any(String),
    ]);
    expect(load.svg).toContain('<polyline');
    expect(load.mermaid).toMatch(/^```mermaid\nxychart-beta\n/);
    expect(report.ok).toBe(true);
  }, 120_000);

  it("attributes the share per region from the model servers' counters when the response does not say (as on GKE)", async () => {
    const us = spec.services[0]!.clusters.find((c) => c.region === 'us-east4')!;
    const address = (await verifySpec(spec, { cloud, regionTimeoutMs: 3_000, from: 'runner' })).regions.find(
      (r) => r.region === 'us-east4',
    )!.gatewayAddress!;
    const load = await loadTest(spec.services[0]!, {
      cloud,
      address,
      steps: [1],
      requestsPerStep: 30,
      attribution: 'monitoring',
    });
    expect(us.name).toBe('gke-east');
    expect(load.steps[0]!.byRegion).toEqual({ 'us-east4': 30 });
  }, 60_000);
});
