import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  addReservation,
  isMutatingCall,
  setAcceleratorTypes,
  setOfferedVersions,
  setRegionQuota,
  startSandbox,
  withholdPermissions,
  type Sandbox,
} from '@spillway/sandbox';
import { run } from '../src/main.js';

/**
 * `spillway preflight`, and the same checks at the start of plan and apply, through the command
 * line against the sandbox: each certain failure named with what to do, exit 1, no mutating call.
 * Each test uses a project of its own, so what one makes short no other sees.
 */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const example = readFileSync(join(repo, 'examples/food-review.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'spillway-preflight-'));

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ msPerSecond: 1 });
  const env = { ...sandbox.env, HF_TOKEN: 'hf_preflight_test' };
  writeFileSync(
    join(dir, 'env'),
    Object.entries(env)
      .map(([k, v]) => `export ${k}=${v}\n`)
      .join(''),
  );
});
afterAll(() => sandbox?.close());

const capacity = () => sandbox.google.states.compute.capacity!;
const mutatingCalls = () =>
  [...sandbox.faults.calls].filter(([key]) => isMutatingCall(key)).reduce((n, [, count]) => n + count, 0);

/** The example in its own project, with text replaced; written where the CLI reads it. */
function specFor(project: string, edit: (text: string) => string = (t) => t): string {
  const file = join(dir, `${project}.yaml`);
  writeFileSync(file, edit(example.replace('projectId: my-project', `projectId: ${project}`)));
  return file;
}

const CLASS = (order: string) => `  capacityClasses:
    - name: h100-2
      accelerator: { type: nvidia-h100-80gb, count: 2 }
      machineType: a3-highgpu-2g
      order: ${order}
      namespaces: [default]
      maxAccelerators: 16
  clusters:`;
const withClass = (order: string) => (text: string) => text.replace(/^ {2}clusters:$/m, CLASS(order));

async function spillway(args: string[]) {
  let stdout = '';
  let stderr = '';
  const before = mutatingCalls();
  const code = await run([...args, '--sandbox', dir], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    cwd: dir,
  });
  return { code, stdout, stderr, mutating: mutatingCalls() - before };
}

describe('spillway preflight against the sandbox', () => {
  it('passes the example as it is: every check ok, exit 0, no mutating call', async () => {
    const result = await spillway(['preflight', '-f', specFor('pf-okay')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('inference-prod · us-east4');
    expect(result.stdout).toMatch(/quota PREEMPTIBLE_NVIDIA_H100_GPUS +limit 64, in use 0; .* +✔ ok/);
    expect(result.stdout).toMatch(
      /GKE 1\.34\.1-gke\.1127000 in us-east4-a +offered in the rapid channel in us-east4-a +✔ ok/,
    );
    expect(result.stdout).toMatch(/Preflight passed: \d+ ok, 0 warning\(s\)\./);
    expect(result.mutating).toBe(0);
  });

  it('fails a hard quota short, naming the quota, region and what to do, exit 1, no mutating call', async () => {
    setRegionQuota(capacity(), 'pf-quota', 'us-east4', 'PREEMPTIBLE_NVIDIA_H100_GPUS', {
      limit: 4,
      usage: 0,
    });
    const result = await spillway(['preflight', '-f', specFor('pf-quota')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /quota PREEMPTIBLE_NVIDIA_H100_GPUS +limit 4, in use 0; pools gke-east\/h100 need 6 to be created, up to 20 at nodes\.max +✖ failure +request more PREEMPTIBLE_NVIDIA_H100_GPUS in us-east4 \(IAM & Admin → Quotas\)/,
    );
    expect(result.stdout).toContain('Preflight failed: 1 problem(s) would stop an apply');
    expect(result.mutating).toBe(0);
  });

  it('fails an accelerator the zone does not offer, saying what the zone offers (JSON), exit 1', async () => {
    setAcceleratorTypes(capacity(), 'us-east4-a', ['nvidia-l4', 'nvidia-tesla-t4']);
    try {
      const result = await spillway(['preflight', '-f', specFor('pf-zone'), '--output', 'json']);
      expect(result.code).toBe(1);
      const report = JSON.parse(result.stdout);
      expect(report.ok).toBe(false);
      const east = report.regions.find((r: any) => r.region === 'us-east4');
      expect(east.checks).toContainEqual({
        name: 'accelerator nvidia-h100-80gb in us-east4-a',
        ok: false,
        verdict: 'failure',
        detail: 'not offered in us-east4-a (us-east4-a offers nvidia-l4, nvidia-tesla-t4)',
        todo: expect.stringContaining(
          'gcloud compute accelerator-types list --filter="name=nvidia-h100-80gb"',
        ),
      });
      expect(result.mutating).toBe(0);
    } finally {
      delete capacity().acceleratorTypes['us-east4-a'];
    }
  });

  it('fails a reservation that is not there, naming where it looked and what to fix, exit 1', async () => {
    const spec = specFor(
      'pf-reservation',
      withClass('[{ reservation: { name: h100-block, zone: us-east4-a } }, { spot: {} }]'),
    );
    const result = await spillway(['preflight', '-f', spec]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /reservation h100-block in us-east4-a +not found in project pf-reservation, zone us-east4-a +✖ failure +fix the name, zone or project in spec\.capacityClasses \(h100-2\)\.order\[\]\.reservation/,
    );
    expect(result.mutating).toBe(0);
  });

  it('fails a GKE version the location does not offer, listing what it offers, exit 1', async () => {
    setOfferedVersions(sandbox.gke.model.state, 'us-east4-a', ['1.35.0-gke.100']);
    try {
      const result = await spillway(['preflight', '-f', specFor('pf-version')]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /GKE 1\.34\.1-gke\.1127000 in us-east4-a +not offered in the rapid channel in us-east4-a \(offered: 1\.35\.0-gke\.100\) +✖ failure +set spec\.gkeVersion to a version `gcloud container get-server-config --location=us-east4-a` lists for rapid/,
      );
      expect(result.stdout).toMatch(/GKE 1\.34\.1-gke\.1127000 in europe-west3-c +offered/);
      expect(result.mutating).toBe(0);
    } finally {
      delete sandbox.gke.model.state.serverConfigs!['us-east4-a'];
    }
  });

  it('fails a network that does not exist (Spillway creates none), exit 1', async () => {
    const spec = specFor('pf-network', (t) => t.replace('network: default', 'network: prod-vpc'));
    const result = await spillway(['preflight', '-f', spec]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /network prod-vpc +not found in project pf-network +✖ failure +Spillway creates no network: create it \(gcloud compute networks create prod-vpc --project=pf-network\) or set spec\.network to an existing one/,
    );
    expect(result.mutating).toBe(0);
  });

  it('fails when a cluster must be created and the credentials may not create one, naming the role, exit 1', async () => {
    withholdPermissions(sandbox.google.states.cloudresourcemanager, 'pf-permissions', [
      'container.clusters.create',
    ]);
    const result = await spillway(['preflight', '-f', specFor('pf-permissions')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /permissions +missing container\.clusters\.create +✖ failure +grant the identity running Spillway roles\/container\.admin on project pf-permissions/,
    );
    expect(result.mutating).toBe(0);
  });

  it('warns, exit 0, when one tier of a class is short of its budget but another has room, naming the tier', async () => {
    addReservation(capacity(), 'pf-partial', {
      name: 'h100-block',
      zone: 'us-east4-a',
      machineType: 'a3-highgpu-2g',
      count: 2,
      inUseCount: 1,
      accelerator: { type: 'nvidia-h100-80gb', count: 2 },
    });
    const spec = specFor(
      'pf-partial',
      withClass('[{ reservation: { name: h100-block, zone: us-east4-a } }, { spot: {} }]'),
    );
    const result = await spillway(['preflight', '-f', spec]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/reservation h100-block in us-east4-a +2 × a3-highgpu-2g, 1 in use +✔ ok/);
    expect(result.stdout).toMatch(
      /class h100-2 +16 GPUs at most \(2 a node\); reservation h100-block \(us-east4-a\): 2 of 4 free; Spot PREEMPTIBLE_NVIDIA_H100_GPUS: 64 of 64 free +! warning +short of the budget \(maxAccelerators\): reservation h100-block \(us-east4-a\); the class falls to its next tier there/,
    );
    expect(result.mutating).toBe(0);
  });
});

describe('spillway preflight under faults', () => {
  it('retries a 503 through the engine, showing the retry, and still passes', async () => {
    sandbox.faults.setPlan({
      rules: [{ api: 'compute', method: 'regions.get', errorRate: 1, status: 503, times: 1 }],
    });
    try {
      const result = await spillway(['preflight', '-f', specFor('pf-retry')]);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(
        /^preflight: retrying region (us-east4|europe-west3) \(attempt 1\): 503/m,
      );
      expect(sandbox.faults.log).toContainEqual({
        api: 'compute',
        method: 'regions.get',
        fault: 'error 503',
      });
    } finally {
      sandbox.faults.setPlan({});
    }
  });
});

describe('plan and apply run the same checks first', () => {
  it('apply stops on a certain failure before its first mutating call, exit 1, saying nothing was changed', async () => {
    setRegionQuota(capacity(), 'pf-apply', 'europe-west3', 'PREEMPTIBLE_NVIDIA_H100_GPUS', {
      limit: 0,
      usage: 0,
    });
    const result = await spillway(['apply', '-f', specFor('pf-apply'), '--yes']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'spillway: preflight found 1 problem that would stop the run; nothing was changed:\n  europe-west3: quota PREEMPTIBLE_NVIDIA_H100_GPUS: limit 0, in use 0;',
    );
    expect(result.mutating).toBe(0);
    expect(sandbox.gke.model.listClusters('pf-apply', '-')).toEqual([]);
  });

  it('plan stops on the same failure, exit 1; with a warning only it plans and prints the warning', async () => {
    const spec = specFor('pf-plan', (t) => t.replace('network: default', 'network: prod-vpc'));
    const failed = await spillway(['plan', '-f', spec]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('global: network prod-vpc: not found in project pf-plan');
    expect(failed.stdout).toBe('');

    setRegionQuota(capacity(), 'pf-plan-warn', 'us-east4', 'PREEMPTIBLE_NVIDIA_H100_GPUS', {
      limit: 10,
      usage: 0,
    });
    const warned = await spillway(['plan', '-f', specFor('pf-plan-warn')]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(
      /^warning: preflight us-east4: quota PREEMPTIBLE_NVIDIA_H100_GPUS: limit 10, in use 0; pools gke-east\/h100 need 6 to be created, up to 20 at nodes\.max — request more/m,
    );
    expect(warned.stdout).toContain('Plan:');
    expect(warned.mutating).toBe(0);
  }, 30_000);

  it('does not block a re-apply: pools that exist are not created again, so a quota below their size only warns', async () => {
    const spec = specFor('pf-reapply');
    const applied = await spillway(['apply', '-f', spec, '--yes']);
    expect(applied.code).toBe(0);
    // No usage by others: what regions.get reports in use is the applied pool's 3 nodes × 2 GPUs.
    setRegionQuota(capacity(), 'pf-reapply', 'us-east4', 'PREEMPTIBLE_NVIDIA_H100_GPUS', {
      limit: 4,
      usage: 0,
    });
    const planned = await spillway(['plan', '-f', spec]);
    expect(planned.code).toBe(0);
    expect(planned.stderr).toContain(
      'warning: preflight us-east4: quota PREEMPTIBLE_NVIDIA_H100_GPUS: limit 4, in use 6; pools gke-east/h100 need 0 to be created, up to 20 at nodes.max (1 of them exist: their nodes are in that usage)',
    );
    expect(planned.stdout).toContain('No changes');
    expect(planned.mutating).toBe(0);
  }, 120_000);
});
