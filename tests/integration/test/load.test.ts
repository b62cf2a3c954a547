import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applySpec, loadTest, verifySpec, type Cloud } from '@spillway/shared';
import { BACKEND_REGION_HEADER, type Sandbox } from '@spillway/sandbox';
import { exampleSpec, sandboxAndCloud, TIMING } from './helpers.js';

const spec = exampleSpec();
const service = spec.services[0]!;
// Small KV caches (4 sequences) and 60 ms requests, so a few concurrent requests fill a replica.
const MODEL_SERVERS = { capacity: 4, secondsPerRequest: 60 };
const LOAD = { steps: [1, 2, 8], requestsPerStep: 80 };

async function setUp(options: { regionHeader?: boolean } = {}) {
  const up = await sandboxAndCloud({ modelServers: MODEL_SERVERS, ...options });
  if (
    !(await applySpec(spec, { cloud: up.cloud, timing: TIMING, env: up.env, allowReplace: false })).converged
  )
    throw new Error('setup');
  return up;
}

/** verify --load-test, retried while the sandbox's controllers catch up with the apply. */
async function verifyLoad(cloud: Cloud) {
  let report = await verifySpec(spec, { cloud, regionTimeoutMs: 3_000, from: 'runner', loadTest: LOAD });
  for (let i = 0; i < 20 && !report.loadTests; i++) {
    await new Promise((r) => setTimeout(r, 100));
    report = await verifySpec(spec, { cloud, regionTimeoutMs: 3_000, from: 'runner', loadTest: LOAD });
  }
  return report;
}

async function gatewayAddress(cloud: Cloud, region: string): Promise<string> {
  const report = await verifySpec(spec, { cloud, regionTimeoutMs: 3_000, from: 'runner' });
  return report.regions.find((r) => r.region === region)!.gatewayAddress!;
}

/** A busy machine: the whole process stops for `ms` every `everyMs` (the CPU is taken elsewhere). */
function pauses(ms: number, everyMs: number): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  }, everyMs);
  return () => clearInterval(timer);
}

function expectPolicyKept(load: NonNullable<Awaited<ReturnType<typeof verifyLoad>>['loadTests']>[string]) {
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
}

describe('verify --load-test, the sandbox naming the serving region', () => {
  let sandbox: Sandbox;
  let cloud: Cloud;
  beforeAll(async () => void ({ sandbox, cloud } = await setUp()), 120_000);
  afterAll(async () => {
    await cloud?.close();
    await sandbox?.close();
  });

  it('keeps light load in the preferred region, spills once it is at the threshold, and fails nothing', async () => {
    const report = await verifyLoad(cloud);
    const load = report.loadTests!['food-review']!;
    expectPolicyKept(load);
    expect(load.svg).toContain('<polyline');
    expect(load.mermaid).toMatch(/^```mermaid\nxychart-beta\n/);
    expect(report.ok).toBe(true);
  }, 120_000);

  it('fails nothing on a busy machine: pauses of the process are not simulated time', async () => {
    // 150 ms pauses are 150 simulated seconds here, more than the 100 s GCPBackendPolicy timeout.
    const resume = pauses(150, 400);
    try {
      const load = await loadTest(service, {
        cloud,
        address: await gatewayAddress(cloud, 'us-east4'),
        steps: [2, 8],
        requestsPerStep: 40,
      });
      expect([load.checks[0], JSON.stringify(load.steps)]).toEqual([
        expect.objectContaining({ name: 'load: nothing fails', ok: true }),
        expect.any(String),
      ]);
    } finally {
      resume();
    }
  }, 120_000);
});

describe('verify --load-test as on GKE: the gateway names no region', () => {
  let sandbox: Sandbox;
  let cloud: Cloud;
  beforeAll(async () => void ({ sandbox, cloud } = await setUp({ regionHeader: false })), 120_000);
  afterAll(async () => {
    await cloud?.close();
    await sandbox?.close();
  });

  it("attributes each region's share from the model servers' counters in Cloud Monitoring", async () => {
    const address = await gatewayAddress(cloud, 'us-east4');
    const answer = await fetch(`http://${address}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'food-review-1', prompt: 'hi', max_tokens: 5 }),
    });
    await answer.arrayBuffer();
    expect([answer.status, answer.headers.get(BACKEND_REGION_HEADER)]).toEqual([200, null]);

    const report = await verifyLoad(cloud);
    expectPolicyKept(report.loadTests!['food-review']!);
    expect(report.ok).toBe(true);

    const explicit = await loadTest(service, {
      cloud,
      address,
      steps: [1],
      requestsPerStep: 30,
      attribution: 'monitoring',
    });
    expect(explicit.steps[0]!.byRegion).toEqual({ 'us-east4': 30 });
  }, 120_000);

  it('still fails a real failure: with no model server left, every request is a 503', async () => {
    const address = await gatewayAddress(cloud, 'us-east4');
    for (const kube of sandbox.kube.values()) {
      const deployment = kube.store.get('apps/v1', 'Deployment', 'default', service.pool.name);
      if (deployment) kube.store.update({ ...deployment, spec: { ...deployment.spec, replicas: 0 } });
    }
    await sandbox.controllers.reconcile();
    const load = await loadTest(service, { cloud, address, steps: [2], requestsPerStep: 10 });
    expect(load.checks[0]).toEqual({
      name: 'load: nothing fails',
      ok: false,
      detail: '10 request(s) failed (HTTP 503 ×10) — the fleet is out of capacity or a region is unhealthy',
    });
  }, 60_000);
});
