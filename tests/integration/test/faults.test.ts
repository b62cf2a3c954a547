import { afterEach, describe, expect, it } from '@jest/globals';
import { applySpec, destroySpec, planSpec, type Cloud } from '@spillway/shared';
import type { FaultPlan, Sandbox } from '@spillway/sandbox';
import { exampleSpec, exampleText, sandboxAndCloud, TIMING } from './helpers.js';

/** Resources in the sandbox, counted where duplicates would show. */
function inventory(sandbox: Sandbox) {
  const gke = sandbox.gke.model.state;
  const hub = sandbox.google.states.gkehub;
  const compute = sandbox.google.states.compute.projects['my-project'];
  return {
    clusters: Object.keys(gke.clusters).length,
    nodePools: Object.values(gke.clusters).reduce(
      (n: number, c: any) => n + c.nodePools.filter((p: any) => p.name !== 'default-pool').length,
      0,
    ),
    memberships: Object.keys(hub.memberships).length,
    features: Object.keys(hub.features).length,
    proxySubnets: Object.values(compute?.subnetworks ?? {}).filter(
      (s) => s.resource.purpose === 'GLOBAL_MANAGED_PROXY',
    ).length,
  };
}

const CONVERGED = { clusters: 2, nodePools: 2, memberships: 2, features: 2, proxySubnets: 2 };

let opened: { sandbox: Sandbox; cloud: Cloud }[] = [];
async function start(faults?: FaultPlan) {
  const s = await sandboxAndCloud(faults ? { faults } : {});
  opened.push(s);
  return s;
}
afterEach(async () => {
  for (const { sandbox, cloud } of opened) {
    await cloud.close();
    await sandbox.close();
  }
  opened = [];
});

describe('apply under faults', () => {
  it('converges with 20% transient errors (429, 503, 409 operationInProgress) on every API, without duplicates', async () => {
    const rules = [429, 503, 409].map((status) => ({ api: '*' as const, errorRate: 0.07, status }));
    const { sandbox, cloud, env } = await start({ seed: 11, rules });
    const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(report.resources.filter((r) => r.state !== 'done').map((r) => `${r.title}: ${r.error}`)).toEqual(
      [],
    );
    expect(inventory(sandbox)).toEqual(CONVERGED);
    const injected = sandbox.faults.log.filter((f) => f.fault.startsWith('error')).length;
    expect(injected).toBeGreaterThan(20);
  }, 120_000);

  it('adopts a cluster and a node pool whose create response was lost, instead of duplicating them', async () => {
    const { sandbox, cloud, env } = await start({
      rules: [
        { api: 'container', method: 'CreateCluster', lostResponseRate: 1, times: 2 },
        { api: 'container', method: 'CreateNodePool', lostResponseRate: 1, times: 2 },
      ],
    });
    const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(report.converged).toBe(true);
    expect(sandbox.faults.log.filter((f) => f.fault === 'lost response')).toHaveLength(4);
    expect(inventory(sandbox)).toEqual(CONVERGED);
  }, 120_000);

  it('reads a create back before sending it again when every response to it is lost', async () => {
    const { sandbox, cloud, env } = await start({
      rules: [{ api: 'serviceusage', method: 'services.enable', lostResponseRate: 1 }],
    });
    const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(report.converged).toBe(true);
    // Each API is enabled once: the lost response is followed by a read that finds it, not a resend.
    const enables = sandbox.faults.log.filter((f) => f.method === 'services.enable').length;
    expect(enables).toBeGreaterThan(0);
    expect(enables).toBe(
      report.resources.filter((r) => r.kind === 'serviceusage.service' && r.action === 'create').length,
    );
    expect(inventory(sandbox)).toEqual(CONVERGED);
  }, 120_000);

  it('fails a GCE_STOCKOUT with its cause named, and converges on a re-run once capacity is back', async () => {
    const { sandbox, cloud, env } = await start({
      rules: [
        {
          api: 'container',
          method: 'CreateNodePool',
          operationError: {
            code: 'GCE_STOCKOUT',
            message: 'The zone does not have enough resources (nvidia-h100-80gb)',
          },
          times: 1,
        },
      ],
    });
    const first = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(first.converged).toBe(false);
    const failed = first.resources.filter((r) => r.state === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toContain('GCE_STOCKOUT');
    expect(first.resources.filter((r) => r.state === 'blocked').length).toBeGreaterThan(0);
    const plan = await planSpec(exampleSpec(), { cloud, timing: TIMING, env });
    expect(plan.resources.find((r) => r.id === failed[0]!.id)).toMatchObject({
      action: 'replace',
      repair: true,
    });
    const second = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(second.converged).toBe(true);
    expect(inventory(sandbox)).toEqual(CONVERGED);
  }, 120_000);

  it('keeps every other IAM binding while 20 writers contend for the policy', async () => {
    const { sandbox, cloud, env } = await start();
    const rm = `http://${sandbox.env.CLOUDRESOURCEMANAGER_EMULATOR_HOST}/v3/projects/my-project`;
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${rm}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, data: (await res.json()) as any };
    };
    const writer = async (i: number) => {
      for (let attempt = 0; attempt < 200; attempt++) {
        const { data: policy } = await post(':getIamPolicy', { options: { requestedPolicyVersion: 3 } });
        policy.bindings = [
          ...(policy.bindings ?? []),
          { role: 'roles/viewer', members: [`user:writer-${i}@example.com`] },
        ];
        const { status } = await post(':setIamPolicy', { policy });
        if (status === 200) return;
        await new Promise((r) => setTimeout(r, Math.random() * 5));
      }
      throw new Error(`writer ${i} never won`);
    };
    const [report] = await Promise.all([
      applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false }),
      ...Array.from({ length: 20 }, (_, i) => writer(i)),
    ]);
    expect(report.converged).toBe(true);
    const { data: policy } = await post(':getIamPolicy', { options: { requestedPolicyVersion: 3 } });
    const members = policy.bindings.flatMap((b: any) => b.members);
    for (let i = 0; i < 20; i++) expect(members).toContain(`user:writer-${i}@example.com`);
    expect(policy.bindings.find((b: any) => b.role === 'roles/monitoring.viewer').members[0]).toMatch(
      /custom-metrics-stackdriver-adapter$/,
    );
    expect(policy.bindings.some((b: any) => b.role === 'roles/owner')).toBe(true);
  }, 120_000);
});

describe('changes that force replacement', () => {
  it('stops before touching anything without --yes, and replaces with it', async () => {
    const { sandbox, cloud, env } = await start();
    expect(
      (await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false })).converged,
    ).toBe(true);
    const changed = exampleSpec(exampleText.replace(/spot: true/g, 'spot: false'));
    const plan = await planSpec(changed, { cloud, timing: TIMING, env });
    const replaces = plan.resources.filter((r) => r.action === 'replace');
    expect(replaces.map((r) => r.reason)).toEqual([
      'spot true → false forces replacement',
      'spot true → false forces replacement',
    ]);
    const calls = sandbox.faults.calls.get('container DeleteNodePool') ?? 0;
    const refused = await applySpec(changed, { cloud, timing: TIMING, env, allowReplace: false });
    expect(refused.refused).toMatch(/would replace or delete 2 resource\(s\).*spot true → false.*--yes/);
    expect(sandbox.faults.calls.get('container DeleteNodePool') ?? 0).toBe(calls);
    const replaced = await applySpec(changed, { cloud, timing: TIMING, env, allowReplace: true });
    expect(replaced.converged).toBe(true);
    const pools = Object.values(sandbox.gke.model.state.clusters).map((c: any) =>
      c.nodePools.find((p: any) => p.name === 'h100'),
    );
    expect(pools.map((p: any) => p.config.spot)).toEqual([false, false]);
  }, 120_000);
});

describe('destroy', () => {
  it('refuses a platform that a service still uses, unless told to go ahead', async () => {
    const { sandbox, cloud, env } = await start();
    expect(
      (await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false })).converged,
    ).toBe(true);
    const platformOnly = exampleSpec(exampleText.split(/^---$/m)[0]!);
    await expect(destroySpec(platformOnly, { cloud, timing: TIMING, env })).rejects.toThrow(
      'platform inference-prod is still used by service(s) food-review (in gke-east), food-review (in gke-west): destroy them first, or pass --allow-in-use',
    );
    expect(Object.keys(sandbox.gke.model.state.clusters)).toHaveLength(2);
    const serviceOnly = await destroySpec(exampleSpec(), { cloud, timing: TIMING, env, allowInUse: true });
    expect(serviceOnly.converged).toBe(true);
  }, 120_000);

  it('keeps an adopted proxy-only subnet and deletes everything Spillway made', async () => {
    const { sandbox, cloud, env } = await start();
    const compute = `http://${sandbox.env.COMPUTE_EMULATOR_HOST}/compute/v1/projects/my-project/regions/us-east4/subnetworks`;
    const insert = await fetch(compute, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'team-proxy',
        ipCidrRange: '10.9.0.0/23',
        network: 'projects/my-project/global/networks/default',
        purpose: 'GLOBAL_MANAGED_PROXY',
        role: 'ACTIVE',
      }),
    });
    expect(insert.status).toBe(200);
    const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(
      report.resources.find((r) => r.kind === 'compute.subnetwork' && r.id.includes('us-east4'))!.reason,
    ).toContain('adopted the existing proxy-only subnet team-proxy');
    const gone = await destroySpec(exampleSpec(), { cloud, timing: TIMING, env });
    expect(gone.converged).toBe(true);
    const left = inventory(sandbox);
    expect(left).toEqual({ clusters: 0, nodePools: 0, memberships: 0, features: 0, proxySubnets: 1 });
    const names = Object.values(sandbox.google.states.compute.projects['my-project']!.subnetworks).map(
      (s) => s.resource.name,
    );
    expect(names.filter((n) => n === 'team-proxy')).toEqual(['team-proxy']);
  }, 120_000);
});
