/**
 * Moving a service between inference extension releases on the sandbox: v1.0.1 (a spec without
 * pool.inferenceExtension) up to v1.5.0 and back down is an ordinary spec change, the Gateway's
 * route is kept throughout, status and verify name the release each region runs, and an
 * endpoint picker given a flag its release refuses does not start, visibly.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applySpec,
  inferenceExtensionOf,
  planSpec,
  readHealth,
  verifySpec,
  type Cloud,
  type HealthReport,
  type Spec,
} from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { exampleSpec, exampleText, sandboxAndCloud, TIMING } from './helpers.js';

const V1_5_0 = exampleSpec();
const V1_0_1 = exampleSpec(exampleText.replace(/^ +inferenceExtension: v1\.5\.0.*\n/m, ''));
const POOL = 'vllm-llama3-8b-instruct';
const EPP = `${POOL}-epp`;

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const OPTIONS = () => ({ cloud, regionTimeoutMs: 3_000, from: 'runner' as const });
const server = (name: string) => [...sandbox.kube.values()].find((s) => s.cluster === name)!;
const releases = (report: HealthReport) => report.regions.map((r) => [r.region, inferenceExtensionOf(r)]);
const extensionCheck = (report: HealthReport, region: string) =>
  report.regions.find((r) => r.region === region)!.checks.find((c) => c.name === 'inference extension')!;
const routeUid = () =>
  server('gke-west').store.get('gateway.networking.k8s.io/v1', 'HTTPRoute', 'default', `${POOL}-route`)
    ?.metadata.uid;

/** Verifies until the sandbox's controllers have caught up with a change (they reconcile on a tick). */
async function verifyUntil(spec: Spec, ok: (r: HealthReport) => boolean): Promise<HealthReport> {
  let report = await verifySpec(spec, OPTIONS());
  for (let i = 0; i < 50 && !ok(report); i++) {
    await new Promise((r) => setTimeout(r, 50));
    report = await verifySpec(spec, OPTIONS());
  }
  return report;
}

async function apply(spec: Spec) {
  const report = await applySpec(spec, { cloud, timing: TIMING, env, allowReplace: false });
  expect(report.resources.filter((r) => r.state === 'failed')).toEqual([]);
  expect(report.converged).toBe(true);
}

beforeAll(async () => {
  ({ sandbox, cloud, env } = await sandboxAndCloud());
  await apply(V1_0_1);
}, 120_000);
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('the inference extension release of a service', () => {
  it('is v1.0.1 without pool.inferenceExtension, in every region', async () => {
    const report = await verifyUntil(V1_0_1, (r) => r.ok);
    expect(report.ok).toBe(true);
    expect(releases(report)).toEqual([
      ['europe-west3', 'v1.0.1'],
      ['us-east4', 'v1.0.1'],
    ]);
  }, 60_000);

  it('shows as drift in status while the spec says v1.5.0 and v1.0.1 runs', async () => {
    const report = await readHealth(V1_5_0, OPTIONS());
    expect(releases(report)).toEqual([
      ['europe-west3', 'v1.0.1 (spec v1.5.0)'],
      ['us-east4', 'v1.0.1 (spec v1.5.0)'],
    ]);
    expect(extensionCheck(report, 'us-east4')).toMatchObject({
      ok: false,
      detail: 'v1.0.1 runs, the spec says v1.5.0 (drift) — run plan, then apply',
    });
  }, 60_000);

  it('upgrades to v1.5.0 as an ordinary change: the plan updates the chart’s objects in place, and apply keeps the route', async () => {
    const plan = await planSpec(V1_5_0, { cloud, timing: TIMING, env });
    const changed = plan.resources.filter((r) => r.action !== 'noop');
    const actionOf = (kind: string, name: string, cluster = 'gke-east') =>
      changed.find((r) => r.id.includes(`/${cluster}/`) && r.id.endsWith(`/${kind}/default/${name}`))?.action;
    expect(actionOf('Deployment', EPP)).toBe('update');
    expect(actionOf('ConfigMap', EPP)).toBe('update');
    expect(actionOf('InferencePool', POOL)).toBe('update');
    expect(actionOf('Role', `${EPP}-sa`)).toBe('create');
    expect(actionOf('Role', `${EPP}-non-sa`)).toBe('create');
    // v1.0.1's single Role and its binding go: the spec no longer has them.
    expect(actionOf('Role', EPP)).toBe('delete');
    expect(actionOf('RoleBinding', EPP)).toBe('delete');
    expect(changed.filter((r) => r.action === 'replace')).toEqual([]);
    expect(changed.some((r) => r.id.includes('HTTPRoute'))).toBe(false);

    const route = routeUid();
    await apply(V1_5_0);
    const report = await verifyUntil(V1_5_0, (r) => r.ok);
    expect(report.ok).toBe(true);
    expect(releases(report)).toEqual([
      ['europe-west3', 'v1.5.0'],
      ['us-east4', 'v1.5.0'],
    ]);
    expect(routeUid()).toBe(route);
    const pool = server('gke-east').store.get(
      'inference.networking.k8s.io/v1',
      'InferencePool',
      'default',
      POOL,
    );
    expect(pool?.spec.endpointPickerRef.failureMode).toBe('FailOpen');
    expect(
      (await planSpec(V1_5_0, { cloud, timing: TIMING, env })).resources.filter((r) => r.action !== 'noop'),
    ).toEqual([]);
  }, 120_000);

  it('does not start a v1.5.0 endpoint picker given the metric flag v1.0.1 took, and verify says why', async () => {
    const store = server('gke-east').store;
    const epp = structuredClone(store.get('apps/v1', 'Deployment', 'default', EPP)!);
    epp.spec.template.spec.containers[0].args.push(
      '--kv-cache-usage-percentage-metric',
      'vllm:kv_cache_usage_perc',
    );
    store.update(epp);
    const report = await verifyUntil(V1_5_0, (r) => !extensionCheck(r, 'us-east4').ok);
    expect(extensionCheck(report, 'us-east4')).toEqual({
      name: 'inference extension',
      ok: false,
      detail: expect.stringContaining(
        'v1.5.0, as the spec says; endpoint picker not ready: the v1.5.0 endpoint picker exits at start: flag "kv-cache-usage-percentage-metric" is deprecated and cannot be used',
      ),
    });
    expect(extensionCheck(report, 'europe-west3').ok).toBe(true);
    // apply puts the render back, and the picker starts.
    await apply(V1_5_0);
    expect((await verifyUntil(V1_5_0, (r) => r.ok)).ok).toBe(true);
  }, 120_000);

  it('downgrades to v1.0.1 the same way, with the route kept', async () => {
    const route = routeUid();
    await apply(V1_0_1);
    const report = await verifyUntil(V1_0_1, (r) => r.ok);
    expect(report.ok).toBe(true);
    expect(releases(report)).toEqual([
      ['europe-west3', 'v1.0.1'],
      ['us-east4', 'v1.0.1'],
    ]);
    expect(routeUid()).toBe(route);
    const args: string[] = server('gke-east').store.get('apps/v1', 'Deployment', 'default', EPP)!.spec
      .template.spec.containers[0].args;
    expect(args).toContain('--kv-cache-usage-percentage-metric');
  }, 120_000);
});
