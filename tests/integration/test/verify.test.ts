import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applySpec,
  failoverDrill,
  readHealth,
  verifySpec,
  type Cloud,
  type HealthReport,
} from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { exampleSpec, sandboxAndCloud, TIMING } from './helpers.js';

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const spec = exampleSpec();
const OPTIONS = () => ({ cloud, regionTimeoutMs: 3_000, from: 'runner' as const });

beforeAll(async () => {
  ({ sandbox, cloud, env } = await sandboxAndCloud());
  if (!(await applySpec(spec, { cloud, timing: TIMING, env, allowReplace: false })).converged)
    throw new Error('setup');
}, 120_000);
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

const server = (name: string) => [...sandbox.kube.values()].find((s) => s.cluster === name)!;
const failing = (report: HealthReport, region: string) =>
  report.regions.find((r) => r.region === region)!.checks.filter((c) => !c.ok);
const POOL = 'vllm-llama3-8b-instruct';

/** Verifies until the sandbox's controllers have caught up with a change (they reconcile on a tick). */
async function verifyUntil(ok: (r: HealthReport) => boolean): Promise<HealthReport> {
  let report = await verifySpec(spec, OPTIONS());
  for (let i = 0; i < 50 && !ok(report); i++) {
    await new Promise((r) => setTimeout(r, 50));
    report = await verifySpec(spec, OPTIONS());
  }
  return report;
}

async function restore() {
  const report = await applySpec(spec, { cloud, timing: TIMING, env, allowReplace: true });
  expect(report.resources.filter((r) => r.state === 'failed')).toEqual([]);
  expect((await verifyUntil((r) => r.ok)).ok).toBe(true);
}

describe('verify', () => {
  it('passes on a healthy fleet, with a completion through each region address from the preferred region', async () => {
    const report = await verifyUntil((r) => r.ok);
    expect(report.ok).toBe(true);
    expect(report.regions.map((r) => [r.region, r.state, r.preferred])).toEqual([
      ['europe-west3', 'healthy', false],
      ['us-east4', 'healthy', true],
    ]);
    for (const r of report.regions)
      expect(r.checks.find((c) => c.name === 'test completion')!.detail).toMatch(
        /^HTTP 200 .*served in us-east4/,
      );
    const status = await readHealth(spec, OPTIONS());
    expect(status.lastVerified?.['food-review']?.ok).toBe(true);
  }, 60_000);

  it('sends the test completion from a Job in the config cluster, and leaves no Job behind', async () => {
    const report = await verifySpec(spec, { ...OPTIONS(), from: 'cluster' });
    expect(report.ok).toBe(true);
    for (const r of report.regions)
      expect(r.checks.find((c) => c.name === 'test completion')!.detail).toBe(
        'HTTP 200 from inside the cluster (model food-review-1)',
      );
    expect(server('gke-west').store.list('batch/v1', 'Job')).toEqual([]);
    expect(server('gke-west').store.list('v1', 'Pod', 'default', { labelSelector: 'job-name' })).toEqual([]);
  }, 60_000);

  it('leaves no Job behind when the completion fails either', async () => {
    server('gke-west').store.delete('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', `${POOL}-route`);
    const report = await verifyUntil((r) =>
      r.regions.every((x) => x.checks.some((c) => c.name === 'test completion' && !c.ok)),
    );
    const failed = await verifySpec(spec, { ...OPTIONS(), from: 'cluster' });
    expect(failed.ok).toBe(false);
    expect(failing(failed, 'us-east4').find((c) => c.name === 'test completion')!.detail).toMatch(
      /^HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/v1\/completions, sent from a Job in the config cluster/,
    );
    expect(report.ok).toBe(false);
    expect(server('gke-west').store.list('batch/v1', 'Job')).toEqual([]);
    expect(server('gke-west').store.list('v1', 'Pod', 'default', { labelSelector: 'job-name' })).toEqual([]);
    await restore();
  }, 60_000);

  it('reports drift per region, also without the token (as the verify action runs)', async () => {
    const { HF_TOKEN: _token, ...withoutToken } = env;
    const clean = await readHealth(spec, { ...OPTIONS(), drift: { timing: TIMING, env: withoutToken } });
    expect(clean.regions.map((r) => r.checks.find((c) => c.name === 'no drift')?.ok)).toEqual([true, true]);
    const store = server('gke-east').store;
    const hpa = store.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'default', POOL)!;
    store.update({ ...hpa, spec: { ...hpa.spec, maxReplicas: 3 } });
    const drifted = await readHealth(spec, { ...OPTIONS(), drift: { timing: TIMING, env: withoutToken } });
    expect(failing(drifted, 'us-east4').find((c) => c.name === 'no drift')!.detail).toBe(
      `1 resource(s) differ from the spec (HorizontalPodAutoscaler default/${POOL} in gke-east) — run plan, then apply`,
    );
    expect(failing(drifted, 'europe-west3').map((c) => c.name)).not.toContain('no drift');
    await restore();
  }, 60_000);

  it('reports a dark region as unreadable without hiding the other', async () => {
    sandbox.faults.setPlan({ darkRegions: ['europe-west3'] });
    try {
      const report = await verifySpec(spec, OPTIONS());
      expect(report.ok).toBe(false);
      const dark = report.regions.find((r) => r.region === 'europe-west3')!;
      expect(dark.state).toBe('unknown');
      expect(dark.checks[0]).toMatchObject({
        name: 'readable',
        ok: false,
        detail: expect.stringContaining('cannot read region europe-west3 (cluster gke-west)'),
      });
      expect(
        report.regions
          .find((r) => r.region === 'us-east4')!
          .checks.find((c) => c.name === 'model servers ready')!.ok,
      ).toBe(true);
    } finally {
      sandbox.faults.setPlan({});
    }
  }, 60_000);

  it('names the missing export annotation', async () => {
    const store = server('gke-east').store;
    const pool = store.get('inference.networking.k8s.io/v1', 'InferencePool', 'default', POOL)!;
    store.update({ ...pool, metadata: { ...pool.metadata, annotations: {} } });
    const report = await verifyUntil((r) => failing(r, 'us-east4').some((c) => c.name === 'pool imported'));
    expect(failing(report, 'us-east4').find((c) => c.name === 'pool exported')!.detail).toBe(
      `InferencePool ${POOL} in gke-east is not exported: annotation networking.gke.io/export missing — run apply`,
    );
    expect(failing(report, 'europe-west3').map((c) => c.name)).not.toContain('pool exported');
    await restore();
  }, 60_000);

  it('names a missing GCPBackendPolicy', async () => {
    server('gke-west').store.delete('networking.gke.io/v1', 'GCPBackendPolicy', 'default', `${POOL}-import`);
    const report = await verifySpec(spec, OPTIONS());
    expect(failing(report, 'us-east4').find((c) => c.name === 'policies attached')!.detail).toContain(
      `GCPBackendPolicy ${POOL}-import missing in gke-west`,
    );
    await restore();
  }, 60_000);

  it('names an HPA that does not read the KV-cache metric', async () => {
    const store = server('gke-west').store;
    const hpa = store.get('autoscaling/v2', 'HorizontalPodAutoscaler', 'default', POOL)!;
    store.update({
      ...hpa,
      spec: {
        ...hpa.spec,
        metrics: [
          {
            type: 'Pods',
            pods: {
              metric: { name: 'prometheus.googleapis.com|vllm:num_requests_running|gauge' },
              target: { type: 'AverageValue', averageValue: '1' },
            },
          },
        ],
      },
    });
    const report = await verifySpec(spec, OPTIONS());
    expect(failing(report, 'europe-west3').find((c) => c.name === 'autoscaler active')!.detail).toContain(
      'the HPA reads prometheus.googleapis.com|vllm:num_requests_running|gauge, not prometheus.googleapis.com|vllm:kv_cache_usage_perc|gauge',
    );
    await restore();
  }, 60_000);

  it('names a Gateway that is not programmed', async () => {
    server('gke-west').store.delete('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', `${POOL}-route`);
    const report = await verifyUntil((r) =>
      failing(r, 'us-east4').some((c) => c.name === 'gateway programmed'),
    );
    expect(failing(report, 'us-east4').find((c) => c.name === 'gateway programmed')!.detail).toContain(
      'is not programmed: no HTTPRoute attaches a GCPInferencePoolImport',
    );
    await restore();
  }, 60_000);

  it('names model servers at 0 ready', async () => {
    const store = server('gke-east').store;
    const deployment = store.get('apps/v1', 'Deployment', 'default', POOL)!;
    const pod = deployment.spec.template.spec;
    store.update({
      ...deployment,
      spec: {
        ...deployment.spec,
        template: {
          ...deployment.spec.template,
          spec: { ...pod, nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-tesla-t4' } },
        },
      },
    });
    const report = await verifyUntil((r) =>
      failing(r, 'us-east4').some((c) => c.name === 'model servers ready'),
    );
    expect(failing(report, 'us-east4').find((c) => c.name === 'model servers ready')!.detail).toMatch(
      /^0\/1 ready in gke-east: .*node pools are full/,
    );
    expect(report.regions.find((r) => r.region === 'us-east4')!.state).toBe('down');
    await restore();
  }, 60_000);
});

describe('verify --failover-drill, as on GKE: the gateway names no region in its answers', () => {
  let gke: Sandbox;
  let gkeCloud: Cloud;
  let gkeEnv: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ({ sandbox: gke, cloud: gkeCloud, env: gkeEnv } = await sandboxAndCloud({ regionHeader: false }));
    if (
      !(await applySpec(spec, { cloud: gkeCloud, timing: TIMING, env: gkeEnv, allowReplace: false }))
        .converged
    )
      throw new Error('setup');
  }, 120_000);
  afterAll(async () => {
    await gkeCloud?.close();
    await gke?.close();
  });
  const east = () => [...gke.kube.values()].find((s) => s.cluster === 'gke-east')!.store;
  const servedInEast = () =>
    gke.controllers.workloads
      .all()
      .filter((r) => r.region === 'us-east4')
      .reduce((n, r) => n + r.server.served(), 0);

  it("runs a failover drill from the model servers' counters: the other region serves while the preferred one is down, then it recovers", async () => {
    let report = await verifySpec(spec, { cloud: gkeCloud, regionTimeoutMs: 3_000, from: 'runner' });
    for (let i = 0; i < 50 && !report.ok; i++) {
      await new Promise((r) => setTimeout(r, 50));
      report = await verifySpec(spec, { cloud: gkeCloud, regionTimeoutMs: 3_000, from: 'runner' });
    }
    report = await verifySpec(spec, {
      cloud: gkeCloud,
      regionTimeoutMs: 3_000,
      from: 'runner',
      failoverDrill: { phaseTimeoutMs: 20_000 },
    });
    const drill = report.failoverDrills!['food-review']!;
    expect(drill.map((c) => [c.name, c.ok])).toEqual([
      ['failover: other regions serve', true],
      ['failover: preferred region recovers', true],
    ]);
    expect(drill[0]!.detail).toMatch(/^with us-east4 down, europe-west3 served in \d+\.\d s$/);
    expect(drill[1]!.detail).toMatch(
      /^us-east4 served again \d+\.\d s after its model servers were restored$/,
    );
    expect(east().get('apps/v1', 'Deployment', 'default', POOL)!.spec.replicas).toBeGreaterThan(0);
    // The restored replica itself served (the recovery was not read from an answer without a header).
    expect(servedInEast()).toBeGreaterThan(0);
  }, 60_000);

  it('does not take an answer from the other region for a recovery: a preferred region that stays down fails the drill', async () => {
    const service = spec.services[0]!;
    const address = (await readHealth(spec, { cloud: gkeCloud, regionTimeoutMs: 3_000 })).regions.find(
      (r) => r.region === 'us-east4',
    )!.gatewayAddress!;
    // Its model servers cannot be scheduled: once the drill scales them away, they do not come back.
    const deployment = east().get('apps/v1', 'Deployment', 'default', POOL)!;
    const pod = deployment.spec.template.spec;
    east().update({
      ...deployment,
      spec: {
        ...deployment.spec,
        template: {
          ...deployment.spec.template,
          spec: { ...pod, nodeSelector: { 'cloud.google.com/gke-accelerator': 'nvidia-tesla-t4' } },
        },
      },
    });
    const drill = await failoverDrill(spec, service, address, {
      cloud: gkeCloud,
      phaseTimeoutMs: 3_000,
      pollMs: 25,
    });
    expect(drill.map((c) => [c.name, c.ok])).toEqual([
      ['failover: other regions serve', true],
      ['failover: preferred region recovers', false],
    ]);
    expect(drill[1]!.detail).toBe(
      'us-east4 did not serve again within 3 s — check its Deployment and node pool',
    );
  }, 60_000);
});
