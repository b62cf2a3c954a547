import { describe, expect, it } from '@jest/globals';
import {
  checkSpec,
  EMULATOR_TIMING,
  formatIssue,
  preflight,
  preflightGate,
  VirtualClock,
  type PreflightReport,
  type Spec,
} from '../src/index.js';
import { PreflightFailedError } from '../src/engine/index.js';
import { editedExample } from './helpers.js';
import { fakeCloud, fakeWorld, type FakeWorld } from './preflight-fake-cloud.js';

/** Preflight's judgement on in-memory answers, through the engine's read path on a virtual clock. */
type Docs = { platform: Record<string, any>; service: Record<string, any> };

function specWith(edit: (docs: Docs) => void = () => undefined): Spec {
  const result = checkSpec([{ file: 'spec.yaml', text: editedExample(edit) }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec;
}

const H100_CLASS = (order: object[]) => ({
  name: 'h100-2',
  accelerator: { type: 'nvidia-h100-80gb', count: 2 },
  machineType: 'a3-highgpu-2g',
  order,
  namespaces: ['default'],
  maxAccelerators: 16,
});
/** A3 High with 8 GPUs is sold on demand (the 1-, 2- and 4-GPU shapes are not). */
const H100_8_CLASS = (order: object[]) => ({
  ...H100_CLASS(order),
  name: 'h100-8',
  accelerator: { type: 'nvidia-h100-80gb', count: 8 },
  machineType: 'a3-highgpu-8g',
});

async function run(spec: Spec, world: FakeWorld) {
  const calls: string[] = [];
  const retries: string[] = [];
  const clock = new VirtualClock();
  const report = await preflight(spec, {
    cloud: fakeCloud(world, calls),
    timing: { ...EMULATOR_TIMING, clock, random: () => 0.5 },
    onRetry: (what, error, attempt) => retries.push(`${what} #${attempt}: ${error}`),
  });
  return { report, calls, clock, retries };
}

const check = (report: PreflightReport, region: string, name: string) =>
  report.regions.find((r) => r.region === region)?.checks.find((c) => c.name === name);

describe('preflight reads', () => {
  it('only reads (GET, testIamPermissions, GetServerConfig, ListClusters), and retries a 503 through the engine', async () => {
    const world = fakeWorld();
    world.unavailable['/compute/v1/projects/my-project/regions/us-east4'] = 1;
    const { report, calls, clock, retries } = await run(specWith(), world);
    expect(retries).toEqual([expect.stringMatching(/^region us-east4 #1: 503/)]);
    expect(report.ok).toBe(true);
    expect(calls.filter((c) => !/^(GET |GetServerConfig |ListClusters )/.test(c))).toEqual([
      'POST /v1/projects/my-project:testIamPermissions',
    ]);
    expect(calls.filter((c) => c === 'GET /compute/v1/projects/my-project/regions/us-east4')).toHaveLength(2);
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(check(report, 'us-east4', 'quota PREEMPTIBLE_NVIDIA_H100_GPUS')?.verdict).toBe('ok');
  });

  it('reports what it could not read as a warning, never as a certain failure', async () => {
    const world = fakeWorld();
    world.unavailable['/compute/v1/projects/my-project/regions/us-east4'] = 1_000;
    const { report } = await run(specWith(), world);
    expect(report.ok).toBe(true);
    expect(check(report, 'us-east4', 'quota PREEMPTIBLE_NVIDIA_H100_GPUS')).toMatchObject({
      verdict: 'warning',
      found: expect.stringMatching(/^could not be read: /),
    });
  });
});

describe('preflight judgement', () => {
  it('fails a class only when every tier is short of one node, naming what to do', async () => {
    const world = fakeWorld();
    world.regionQuotas['us-east4']!.NVIDIA_H100_GPUS = { limit: 0, usage: 0 };
    world.regionQuotas['us-east4']!.PREEMPTIBLE_NVIDIA_H100_GPUS = { limit: 1, usage: 0 };
    const spec = specWith(({ platform }) => {
      platform.spec.capacityClasses = [
        H100_8_CLASS([{ onDemand: {} }, { flexStart: { maxRunDuration: '7d' } }]),
      ];
    });
    const { report } = await run(spec, world);
    expect(report.ok).toBe(false);
    expect(check(report, 'us-east4', 'class h100-8')).toEqual({
      name: 'class h100-8',
      found:
        '16 GPUs at most (8 a node); on-demand NVIDIA_H100_GPUS: 0 of 0 free; flex-start PREEMPTIBLE_NVIDIA_H100_GPUS: 1 of 1 free',
      verdict: 'failure',
      todo: expect.stringContaining('no tier can give one node'),
    });
    // The other region has room on both tiers: fine there.
    expect(check(report, 'europe-west3', 'class h100-8')?.verdict).toBe('ok');
  });

  it('warns, naming the tier, when one tier can give a node but not the budget', async () => {
    const world = fakeWorld();
    world.regionQuotas['us-east4']!.NVIDIA_H100_GPUS = { limit: 8, usage: 0 };
    const spec = specWith(({ platform }) => {
      platform.spec.capacityClasses = [H100_8_CLASS([{ onDemand: {} }, { spot: {} }])];
    });
    const { report } = await run(spec, world);
    expect(report.ok).toBe(true);
    expect(check(report, 'us-east4', 'class h100-8')).toMatchObject({
      verdict: 'warning',
      todo: 'short of the budget (maxAccelerators): on-demand; the class falls to its next tier there',
    });
  });

  it('checks a TPU v5e class against the TPU chip quotas regions.get lists, and says when a type has none listed', async () => {
    const world = fakeWorld();
    world.regionQuotas['us-east4']!.PREEMPTIBLE_TPU_LITE_PODSLICE_V5 = { limit: 2, usage: 0 };
    const spec = specWith(({ platform }) => {
      platform.spec.capacityClasses = [
        {
          name: 'v5e',
          tpu: { type: 'tpu-v5-lite-podslice', topology: '2x2' },
          machineType: 'ct5lp-hightpu-4t',
          order: [{ spot: {} }],
          namespaces: ['default'],
          maxAccelerators: 8,
        },
        {
          name: 'v6e',
          tpu: { type: 'tpu-v6e-slice', topology: '2x2' },
          machineType: 'ct6e-standard-4t',
          order: [{ spot: {} }],
          namespaces: ['default'],
          maxAccelerators: 8,
        },
      ];
    });
    const { report } = await run(spec, world);
    expect(check(report, 'us-east4', 'class v5e')).toMatchObject({
      found: '8 TPU chips at most (4 a node); Spot PREEMPTIBLE_TPU_LITE_PODSLICE_V5: 2 of 2 free',
      verdict: 'failure',
    });
    expect(check(report, 'us-east4', 'class v6e')).toMatchObject({
      found: '8 TPU chips at most (4 a node); Spot: its quota not listed',
      verdict: 'warning',
      todo: expect.stringContaining('no tier could be checked here'),
    });
  });

  it('fails a reservation that holds another machine type; a zonal reservation is no tier of another region', async () => {
    const world = fakeWorld();
    world.reservations['us-east4-a/h100-block'] = {
      machineType: 'a3-highgpu-8g',
      count: 2,
      inUseCount: 0,
      gpus: 8,
    };
    const spec = specWith(({ platform }) => {
      platform.spec.capacityClasses = [
        H100_CLASS([{ reservation: { name: 'h100-block', zone: 'us-east4-a' } }, { spot: {} }]),
      ];
    });
    const { report } = await run(spec, world);
    expect(check(report, 'us-east4', 'reservation h100-block in us-east4-a')).toMatchObject({
      found: '2 × a3-highgpu-8g, 0 in use',
      verdict: 'failure',
      todo: expect.stringContaining('class h100-2 asks for a3-highgpu-2g'),
    });
    // A reservation in us-east4-a is not one of europe-west3's tiers.
    expect(check(report, 'europe-west3', 'class h100-2')?.found).not.toContain('reservation');
  });

  it('does not count pools that exist already toward what creation asks for', async () => {
    const world = fakeWorld();
    world.regionQuotas['us-east4']!.PREEMPTIBLE_NVIDIA_H100_GPUS = { limit: 4, usage: 4 };
    world.clusters['us-east4-a/gke-east'] = ['h100'];
    const { report } = await run(specWith(), world);
    expect(check(report, 'us-east4', 'quota PREEMPTIBLE_NVIDIA_H100_GPUS')).toMatchObject({
      found:
        'limit 4, in use 4; pools gke-east/h100 need 0 to be created, up to 20 at nodes.max (1 of them exist: their nodes are in that usage)',
      verdict: 'warning',
    });
    delete world.clusters['us-east4-a/gke-east'];
    expect(
      check((await run(specWith(), world)).report, 'us-east4', 'quota PREEMPTIBLE_NVIDIA_H100_GPUS')?.verdict,
    ).toBe('failure');
  });

  it('only warns about a GKE version no longer offered where the cluster exists already', async () => {
    const world = fakeWorld();
    world.versions['us-east4-a'] = ['1.35.0-gke.100'];
    world.clusters['us-east4-a/gke-east'] = ['h100'];
    const { report } = await run(specWith(), world);
    expect(check(report, 'us-east4', 'GKE 1.34.1-gke.1127000 in us-east4-a')).toMatchObject({
      verdict: 'warning',
      found: expect.stringContaining('the cluster exists, so nothing is created at it'),
    });
  });

  it('fails an accelerator a zone does not offer only when something must be created with it there', async () => {
    const world = fakeWorld();
    world.offered['us-east4-a'] = ['nvidia-l4'];
    const name = 'accelerator nvidia-h100-80gb in us-east4-a';
    expect(check((await run(specWith(), world)).report, 'us-east4', name)).toMatchObject({
      found: 'not offered in us-east4-a (us-east4-a offers nvidia-l4)',
      verdict: 'failure',
    });
    world.clusters['us-east4-a/gke-east'] = ['h100'];
    expect(check((await run(specWith(), world)).report, 'us-east4', name)).toMatchObject({
      found:
        'not offered in us-east4-a (us-east4-a offers nvidia-l4); its pools exist, so none is created there',
      verdict: 'warning',
    });
  });

  it('warns when a regional cluster’s accelerator is offered in some of its zones only', async () => {
    const world = fakeWorld();
    world.offered['us-east4-c'] = ['nvidia-l4'];
    const spec = specWith(({ platform }) => {
      platform.spec.clusters[1].location = 'us-east4';
    });
    const { report } = await run(spec, world);
    expect(check(report, 'us-east4', 'accelerator nvidia-h100-80gb in us-east4')).toMatchObject({
      found: 'offered in us-east4-a, us-east4-b only, not in us-east4-c',
      verdict: 'warning',
    });
  });

  it('shows committed-use quota beside an on-demand pool’s quota, without a verdict of its own', async () => {
    const world = fakeWorld();
    world.regionQuotas['us-east4']!.COMMITTED_NVIDIA_H100_GPUS = { limit: 16, usage: 2 };
    const spec = specWith(({ platform }) => {
      platform.spec.clusters[1].acceleratorPools[0].spot = false;
      platform.spec.clusters[1].acceleratorPools[0].machineType = 'a3-highgpu-8g';
      platform.spec.clusters[1].acceleratorPools[0].accelerator.count = 8;
      platform.spec.clusters[1].acceleratorPools[0].nodes = { initial: 1, min: 0, max: 2 };
    });
    const { report } = await run(spec, world);
    expect(check(report, 'us-east4', 'quota NVIDIA_H100_GPUS')).toEqual({
      name: 'quota NVIDIA_H100_GPUS',
      found:
        'limit 64, in use 0; pools gke-east/h100 need 8 to be created, up to 16 at nodes.max; COMMITTED_NVIDIA_H100_GPUS: limit 16, in use 2',
      verdict: 'ok',
    });
  });

  it('fails GPUS_ALL_REGIONS when the new pools alone are above it', async () => {
    const world = fakeWorld();
    world.projectQuotas.GPUS_ALL_REGIONS = { limit: 8, usage: 0 };
    const { report } = await run(specWith(), world);
    expect(check(report, 'global', 'quota GPUS_ALL_REGIONS')).toMatchObject({
      found: 'limit 8, in use 0; the platform could hold 40 GPUs (12 when its new pools are created)',
      verdict: 'failure',
    });
  });
});

describe('when GKE cannot say which clusters exist', () => {
  it('turns what creation would need into warnings: it cannot be sure anything is created', async () => {
    const world = fakeWorld();
    world.unavailable['ListClusters'] = 1_000;
    world.regionQuotas['us-east4']!.PREEMPTIBLE_NVIDIA_H100_GPUS = { limit: 4, usage: 0 };
    world.versions['us-east4-a'] = ['1.35.0-gke.100'];
    const { report } = await run(specWith(), world);
    expect(report.ok).toBe(true);
    expect(check(report, 'us-east4', 'quota PREEMPTIBLE_NVIDIA_H100_GPUS')?.verdict).toBe('warning');
    expect(check(report, 'us-east4', 'GKE 1.34.1-gke.1127000 in us-east4-a')?.verdict).toBe('warning');
  });
});

describe('permissions', () => {
  it('fails when a cluster must be created without container.clusters.create, naming the role', async () => {
    const world = fakeWorld();
    world.withheld = ['container.clusters.create', 'gkehub.features.update'];
    const { report } = await run(specWith(), world);
    expect(check(report, 'global', 'permissions')).toEqual({
      name: 'permissions',
      found: 'missing container.clusters.create, gkehub.features.update',
      verdict: 'failure',
      todo: 'grant the identity running Spillway roles/container.admin, roles/gkehub.admin on project my-project',
    });
  });

  it('only warns when every cluster exists already', async () => {
    const world = fakeWorld();
    world.withheld = ['container.clusters.create'];
    world.clusters['europe-west3-c/gke-west'] = ['h100'];
    world.clusters['us-east4-a/gke-east'] = ['h100'];
    const { report } = await run(specWith(), world);
    expect(check(report, 'global', 'permissions')?.verdict).toBe('warning');
  });
});

describe('the gate before plan and apply', () => {
  it('throws on a certain failure, naming each, and returns the warnings otherwise', async () => {
    const world = fakeWorld();
    world.networks = [];
    const options = {
      cloud: fakeCloud(world, []),
      timing: { ...EMULATOR_TIMING, clock: new VirtualClock() },
    };
    await expect(preflightGate(specWith(), options)).rejects.toThrow(PreflightFailedError);
    await expect(preflightGate(specWith(), options)).rejects.toThrow(
      /preflight found 1 problem that would stop the run; nothing was changed:\n {2}global: network default: not found in project my-project — Spillway creates no network/,
    );
    world.networks = ['default'];
    world.regionQuotas['us-east4']!.PREEMPTIBLE_NVIDIA_H100_GPUS = { limit: 10, usage: 0 };
    expect(await preflightGate(specWith(), options)).toEqual([
      expect.objectContaining({ name: 'us-east4: quota PREEMPTIBLE_NVIDIA_H100_GPUS', verdict: 'warning' }),
    ]);
  });
});
