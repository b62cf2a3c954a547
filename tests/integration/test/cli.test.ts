import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Cloud } from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { CANARY, exampleText, repo, sandboxAndCloud } from './helpers.js';

const cli = join(repo, 'packages/cli/dist/main.js');
const example = join(repo, 'examples/food-review.yaml');

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ sandbox, cloud, env } = await sandboxAndCloud());
});
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

async function spillway(args: string[], extraEnv: NodeJS.ProcessEnv = env) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], {
      env: extraEnv,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error: any) {
    return { code: error.code as number, stdout: String(error.stdout), stderr: String(error.stderr) };
  }
}

const callCount = () => [...sandbox.faults.calls.values()].reduce((a, b) => a + b, 0);

describe('spillway plan | apply | destroy against the sandbox', () => {
  it('refuses a bad spec with exit 2 before reading anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-'));
    writeFileSync(
      join(dir, 'bad.yaml'),
      exampleText.replace(
        'maxUtilizationPercent: 80',
        'maxUtilizationPercent: 80\n    maxInFlightRequestsPerEndpoint: 5',
      ),
    );
    const before = callCount();
    const result = await spillway(['apply', '-f', join(dir, 'bad.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'spec.balancing.maxInFlightRequestsPerEndpoint: belongs to mode IN_FLIGHT',
    );
    expect(callCount()).toBe(before);
  });

  it('refuses to apply without the token, naming the variable, with exit 2', async () => {
    const { HF_TOKEN: _t, ...withoutToken } = env;
    const before = callCount();
    const result = await spillway(['apply', '-f', example], withoutToken);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('HF_TOKEN is not set: export the Hugging Face token as HF_TOKEN');
    expect(callCount()).toBe(before);
  });

  it('plans as JSON per the contract', async () => {
    const result = await spillway(['plan', '-f', example, '--output', 'json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(Object.keys(plan.resources[0]).sort()).toEqual(['action', 'id', 'kind', 'reason']);
    // 106 with the v1.0.1 chart; v1.5.0 splits the EPP's Role and RoleBinding in two (2 clusters).
    expect(plan.resources.filter((r: any) => r.action === 'create')).toHaveLength(110);
  }, 60_000);

  it('applies, reporting convergence and the gateway addresses as JSON, with progress on stderr', async () => {
    const result = await spillway(['apply', '-f', example, '--output', 'json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.converged).toBe(true);
    expect(Object.keys(report.gateway.addresses).sort()).toEqual(['europe-west3', 'us-east4']);
    expect(result.stderr).toMatch(/^\S+Z done +GKE cluster gke-west \(europe-west3-c\)/m);
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  }, 120_000);

  it('plans no change afterwards, as a table', async () => {
    const result = await spillway(['plan', '-f', example]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('No changes: the live state matches the spec.');
    expect(result.stdout).toContain(
      'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 111 unchanged.',
    );
  }, 60_000);

  it('verifies every region as JSON per the contract, exit 0, and shows the status as a table', async () => {
    const result = await spillway(['verify', '-f', example, '--output', 'json']);
    expect([result.code, result.stderr]).toEqual([0, expect.any(String)]);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.regions.map((r: any) => [r.region, r.cluster])).toEqual([
      ['europe-west3', 'gke-west'],
      ['us-east4', 'gke-east'],
    ]);
    expect(Object.keys(report.regions[0].checks[0]).sort()).toEqual(['detail', 'name', 'ok']);
    const status = await spillway(['status', '-f', example]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/food-review +us-east4 +gke-east +✔ healthy +1\/1 .*\(preferred\)/);
    expect(status.stdout).toContain('food-review: last verified');
  }, 60_000);

  it('reaches a sandbox through its state directory with --sandbox', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
    writeFileSync(
      join(dir, 'env'),
      Object.entries(sandbox.env)
        .map(([k, v]) => `export ${k}=${v}\n`)
        .join(''),
    );
    const {
      CONTAINER_EMULATOR_HOST: _c,
      GKEHUB_EMULATOR_HOST: _g,
      COMPUTE_EMULATOR_HOST: _m,
      ...plain
    } = env;
    const result = await spillway(['plan', '-f', example, '--sandbox', dir, '--output', 'json'], plain);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).resources.every((r: any) => r.action === 'noop')).toBe(true);
    const missing = await spillway(['plan', '-f', example, '--sandbox', join(dir, 'nope')], plain);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining('no sandbox is running')]);
  }, 60_000);

  it('destroys only with --yes when not in a terminal', async () => {
    const refused = await spillway(['destroy', '-f', example]);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      expect.stringContaining('destroy needs confirmation'),
    ]);
    const result = await spillway(['destroy', '-f', example, '--yes']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Destroy: \d+ changed/);
    expect(Object.keys(sandbox.gke.model.state.clusters)).toEqual([]);
  }, 120_000);
});
