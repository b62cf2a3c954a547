import { afterEach, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkSpec, renderDesiredState, type Cloud } from '@spillway/shared';
import type { Sandbox, SandboxOptions } from '@spillway/sandbox';
import { inventory } from '../chaos/inventory.mjs';
import { exampleText, repo, sandboxAndCloud } from './helpers.js';

/**
 * The lifecycles a platform team runs, through the CLI on the sandbox, each ending converged:
 * `plan` all noop and nothing Spillway-marked left where it should be gone (counted from the
 * sandbox's own state, not from what Spillway reports).
 */
const cli = join(repo, 'packages/cli/dist/main.js');
let sandbox: Sandbox | undefined;
let cloud: Cloud | undefined;
let env: NodeJS.ProcessEnv;

afterEach(async () => {
  await cloud?.close();
  await sandbox?.close();
  sandbox = undefined;
  cloud = undefined;
});

async function start(options: SandboxOptions = {}) {
  ({ sandbox, cloud, env } = await sandboxAndCloud(options));
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function spillway(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], {
      env: { ...env, ...extraEnv },
      timeout: 150_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error: any) {
    return { code: error.code as number, stdout: String(error.stdout), stderr: String(error.stderr) };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
function specFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const [platformText, serviceText] = exampleText.split(/^---$/m) as [string, string];
const example = specFile('example.yaml', exampleText);

/** The example with a third cluster in us-central1, which no service uses. */
const threeRegions = specFile(
  'three-regions.yaml',
  exampleText.replace(
    '---\n',
    `    - name: gke-central
      location: us-central1-a
      machineType: c2-standard-16
      diskType: pd-standard
      proxySubnet: { cidr: 10.9.0.0/23 }
      acceleratorPools:
        - name: h100
          accelerator: { type: nvidia-h100-80gb, count: 2 }
          machineType: a3-highgpu-2g
          spot: true
          nodes: { initial: 1, min: 1, max: 2 }
---
`,
  ),
);

function specOf(file: string, text: string) {
  const checked = checkSpec([{ file, text }]);
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
  return checked.spec;
}

/** Converged as a person checks it: plan says noop everywhere, and the sandbox holds exactly the spec. */
async function expectConverged(file: string, text: string, adopted: string[] = []) {
  const plan = await spillway(['plan', '-f', file, '--output', 'json']);
  expect(plan.code).toBe(0);
  const changes = JSON.parse(plan.stdout).resources.filter((r: { action: string }) => r.action !== 'noop');
  expect(changes).toEqual([]);
  const counted = inventory(sandbox!, renderDesiredState(specOf(file, text)));
  // An adopted resource stands in for the desired one (an existing proxy-only subnet).
  const missing = counted.missing.filter((id: string) => !adopted.includes(id));
  expect({ duplicates: counted.duplicates, orphans: counted.orphans, missing }).toEqual({
    duplicates: [],
    orphans: [],
    missing: [],
  });
}

const applied = (run: Run) => {
  if (run.code !== 0) throw new Error(`spillway exited ${run.code}: ${run.stderr.slice(-2000)}`);
  return run;
};

describe('lifecycles through the CLI on the sandbox', () => {
  it('apply → destroy → apply: the second apply gets its fleet memberships (new request IDs)', async () => {
    await start();
    applied(await spillway(['apply', '-f', example]));
    applied(await spillway(['destroy', '-f', example, '--yes']));
    expect(Object.keys(sandbox!.google.states.gkehub.memberships)).toEqual([]);
    const again = applied(await spillway(['apply', '-f', example, '--output', 'json']));
    expect(JSON.parse(again.stdout).converged).toBe(true);
    expect(Object.keys(sandbox!.google.states.gkehub.memberships)).toHaveLength(2);
    await expectConverged(example, exampleText);
  }, 300_000);

  it('a region, a service and an accelerator pool removed, then added back', async () => {
    await start();
    applied(await spillway(['apply', '-f', threeRegions]));
    // The platform leaves us-central1: its cluster is GPU infrastructure, so apply asks for --yes.
    const refused = await spillway(['apply', '-f', example]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('GKE cluster gke-central (us-central1-a), no longer in the spec');
    applied(await spillway(['apply', '-f', example, '--yes']));
    await expectConverged(example, exampleText);
    expect(
      Object.entries(sandbox!.google.states.compute.projects['my-project']!.subnetworks)
        .filter(([k, s]) => k.startsWith('us-central1/') && s.resource.purpose === 'GLOBAL_MANAGED_PROXY')
        .map(([k]) => k),
    ).toEqual([]);

    // The service leaves the spec that owns its platform: everything of it goes.
    const platformOnly = specFile('platform.yaml', platformText);
    applied(await spillway(['apply', '-f', platformOnly]));
    await expectConverged(platformOnly, platformText);

    // gke-east's accelerator pool h100 leaves for another (a pool holds GPUs: --yes).
    const at = platformText.lastIndexOf('- name: h100');
    const otherPool = `${platformText.slice(0, at)}- name: h100-spare${platformText.slice(at + '- name: h100'.length)}`;
    const otherPoolFile = specFile('other-pool.yaml', otherPool);
    expect((await spillway(['apply', '-f', otherPoolFile])).stderr).toContain('node pool h100 in gke-east');
    applied(await spillway(['apply', '-f', otherPoolFile, '--yes']));
    await expectConverged(otherPoolFile, otherPool);

    // Then everything comes back: the region, the pool and the service.
    applied(await spillway(['apply', '-f', threeRegions, '--yes']));
    await expectConverged(threeRegions, readFileSync(threeRegions, 'utf8'));
  }, 600_000);

  it('destroy beside an adopted cluster and subnet: they stay, Spillway’s objects in them go, the token first', async () => {
    await start();
    const container = cloud!.container();
    // gke-east existed before Spillway (created by hand, without the seed's monitoring flags).
    const [op] = await container.createCluster({
      parent: 'projects/my-project/locations/us-east4-a',
      cluster: { name: 'gke-east', initialNodeCount: 1, network: 'default' },
    });
    await waitForOperation(`projects/my-project/locations/us-east4-a/operations/${op.name}`);
    const subnets = `http://${sandbox!.env.COMPUTE_EMULATOR_HOST}/compute/v1/projects/my-project/regions/us-east4/subnetworks`;
    const insert = await fetch(subnets, {
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

    // Adopted and brought to the spec: the cluster updates (monitoring, Gateway API, …) run end to end.
    const apply = applied(await spillway(['apply', '-f', example]));
    expect(apply.stderr).toMatch(/GKE cluster gke-east[^\n]*(updat|differ)/);
    const adopted = sandbox!.gke.model.state.clusters['my-project/us-east4-a/gke-east'];
    expect(adopted?.monitoringConfig?.managedPrometheusConfig?.enabled).toBe(true);
    expect(adopted?.networkConfig?.gatewayApiConfig?.channel).toBeTruthy();
    await expectConverged(example, exampleText, [
      'compute.subnetwork/my-project/us-east4/spillway-proxy-us-east4',
    ]);

    const events: string[] = [];
    const destroyed = applied(await spillway(['destroy', '-f', example, '--yes', '--output', 'json']));
    for (const r of JSON.parse(destroyed.stdout).resources) events.push(`${r.id} ${r.state}`);
    const clusters = Object.values(sandbox!.gke.model.state.clusters).map((c) => c.name);
    expect(clusters).toEqual(['gke-east']);
    // Nothing of Spillway's left in any cluster (the inventory counts every marked object).
    const left = inventory(sandbox!, { resources: [] }).orphans;
    expect(left).toEqual([]);
    const proxySubnets = Object.values(sandbox!.google.states.compute.projects['my-project']!.subnetworks)
      .filter((s) => s.resource.purpose === 'GLOBAL_MANAGED_PROXY')
      .map((s) => s.resource.name);
    expect(proxySubnets).toEqual(['team-proxy']);
    expect(events).toContainEqual(
      expect.stringMatching(/^kubernetes\/gke-east\/.*Secret\/default\/hf-token done$/),
    );
  }, 300_000);

  it('two applies at once: the second waits for the first, saying who holds it, and both converge', async () => {
    await start();
    applied(await spillway(['apply', '-f', example]));
    // The first run holds its claim for a while: its search for what the spec dropped is slow once
    // (20 s: longer than a second CLI takes to start on a busy machine).
    sandbox!.faults.setPlan({
      rules: [{ api: 'kubernetes', method: 'list configmaps', latencySeconds: 20_000, times: 1 }],
    });
    const first = spawnSpillway(['apply', '-f', example]);
    await until(() => first.stderr.includes('held by'), 60_000);
    const second = await spillway(['apply', '-f', example]);
    const one = await first.done;
    expect([one.code, second.code]).toEqual([0, 0]);
    expect(second.stderr).toMatch(/platform inference-prod is being changed by .* since \d{4}-\d\d-\d\dT/);
    await expectConverged(example, exampleText);
  }, 300_000);

  it('a killed holder’s claim expires and the next run takes it over; a live one makes it give up, saying so', async () => {
    await start();
    applied(await spillway(['apply', '-f', example]));
    const cluster = sandbox!.gke.model.state.clusters['my-project/europe-west3-c/gke-west']!;
    const kube = await cloud!.kube({
      endpoint: cluster.endpoint!,
      caCertBase64: cluster.masterAuth!.clusterCaCertificate!,
    });
    const lease = (holder: string, renewedMsAgo: number, seconds: number) => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'spillway-platform-inference-prod', namespace: 'default' },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: seconds,
        acquireTime: new Date(Date.now() - renewedMsAgo).toISOString().replace('Z', '000Z'),
        renewTime: new Date(Date.now() - renewedMsAgo).toISOString().replace('Z', '000Z'),
      },
    });
    // A run killed an hour ago left its claim behind.
    await kube.create(lease('ci@runner pid 1 (killed)', 3_600_000, 60));
    const taken = applied(await spillway(['apply', '-f', example]));
    expect(taken.stderr).toContain('taken over from ci@runner pid 1 (killed), whose claim expired');
    // A live holder: the run waits as long as --lock-timeout says, then gives up naming it.
    await kube.create(lease('alice@laptop pid 42', 0, 3600));
    const gaveUp = await spillway(['apply', '-f', example, '--lock-timeout', '1']);
    expect(gaveUp.code).toBe(1);
    expect(gaveUp.stderr).toMatch(
      /platform inference-prod is being changed by alice@laptop pid 42 since .*; gave up after waiting 1 s/,
    );
  }, 300_000);

  it('--yes alone never overrides "still used by services outside this spec"; --allow-in-use does', async () => {
    await start();
    applied(await spillway(['apply', '-f', example]));
    const platformOnly = specFile('platform-readonly-service.yaml', platformText);
    // The service was applied with the platform: re-apply it from its own file against a read-only copy,
    // so the platform's spec no longer owns it.
    const serviceFile = specFile('service.yaml', serviceText.trimStart());
    applied(await spillway(['apply', '-f', serviceFile, '--platform', platformOnly]));
    const refused = await spillway(['destroy', '-f', platformOnly, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('is still used by service(s) food-review');
    expect(refused.stderr).toContain('--allow-in-use');
    expect(Object.keys(sandbox!.gke.model.state.clusters)).toHaveLength(2);
    applied(await spillway(['destroy', '-f', platformOnly, '--yes', '--allow-in-use']));
    expect(Object.keys(sandbox!.gke.model.state.clusters)).toHaveLength(0);
  }, 300_000);

  it('a hard GPU quota fails at once, named; a per-minute quota is retried', async () => {
    await start({
      faults: {
        rules: [
          {
            api: 'container',
            method: 'CreateNodePool',
            // The example's pools are Spot: GKE counts them against the preemptible quota.
            quota: { metric: 'PREEMPTIBLE_NVIDIA_H100_GPUS', region: 'us-east4', limit: 2, usage: 2 },
          },
          { api: 'gkehub', method: 'memberships.create', rateLimit: {}, times: 2 },
        ],
      },
    } as SandboxOptions);
    const run = await spillway(['apply', '-f', example]);
    expect(run.code).toBe(1);
    const failed = run.stderr.split('\n').filter((line) => / failed /.test(line));
    expect(failed).toEqual([
      expect.stringMatching(
        /node pool h100 in gke-east.* — quota PREEMPTIBLE_NVIDIA_H100_GPUS in us-east4 is exhausted \(limit 2[^)]*\): waiting will not help/,
      ),
    ]);
    expect(run.stderr).toMatch(/retrying +fleet membership[^\n]*429/);
    expect(run.stderr).not.toMatch(/retrying +node pool/);
  }, 300_000);
});

function spawnSpillway(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { env });
  const run = { stderr: '', stdout: '', done: undefined as unknown as Promise<Run> };
  child.stderr.on('data', (c) => (run.stderr += c));
  child.stdout.on('data', (c) => (run.stdout += c));
  run.done = new Promise((resolve) =>
    child.on('exit', (code) => resolve({ code: code ?? 1, stdout: run.stdout, stderr: run.stderr })),
  );
  return run;
}

async function until(condition: () => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function waitForOperation(name: string) {
  for (;;) {
    const [op] = await cloud!.container().getOperation({ name });
    if (op.status === 'DONE') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
