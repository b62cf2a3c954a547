import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  applySpec,
  capacityTierOf,
  planSpec,
  readHealth,
  type Cloud,
  type HealthReport,
} from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { capacityExampleSandbox, capacityExampleText, exampleSpec, repo, TIMING } from './helpers.js';

/**
 * Capacity that arrives, on the sandbox with the real clients: the capacity-classes example (a
 * reservation in us-east4-a, then on-demand, flex-start, Spot) with us-east4's reservation and
 * on-demand stocked out converges, us-east4's servers run on flex-start and status says so; with
 * every tier out in a region, apply fails naming the tiers tried.
 */
const SPEC_FILE = join(repo, 'examples/capacity-classes.yaml');
const SPEC = exampleSpec(capacityExampleText);
const POOL = 'vllm-llama3-8b-instruct';
const TIERS = ['reservation', 'on-demand', 'flex-start', 'spot'] as const;

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const server = (name: string) => [...sandbox.kube.values()].find((s) => s.cluster === name)!;
const region = (report: HealthReport, name: string) => report.regions.find((r) => r.region === name)!;
const apply = () => applySpec(SPEC, { cloud, timing: TIMING, env, allowReplace: false });

beforeAll(async () => {
  ({ sandbox, cloud, env } = await capacityExampleSandbox({
    faults: {
      stockouts: [
        { region: 'us-east4', tier: 'reservation' },
        { region: 'us-east4', tier: 'on-demand' },
      ],
    },
  }));
}, 60_000);

afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('a class whose first tiers are stocked out in one region', () => {
  it('converges, that region’s servers on the next tier with capacity, and status says which', async () => {
    const report = await apply();
    expect(report.resources.filter((r) => r.state !== 'done')).toEqual([]);
    expect(report.converged).toBe(true);

    const health = await readHealth(SPEC, { cloud, regionTimeoutMs: 5_000 });
    const east = region(health, 'us-east4');
    expect(capacityTierOf(east)).toBe('flex-start');
    expect(east.capacity!.unavailable.map((u) => u.tier).sort()).toEqual(['on-demand', 'reservation']);
    expect(capacityTierOf(region(health, 'europe-west3'))).toBe('on-demand');
    expect(region(health, 'europe-west3').capacity!.unavailable).toEqual([]);
    expect(east.checks.find((c) => c.name === 'capacity')).toMatchObject({ ok: true });
  }, 120_000);

  it('shows in spillway status, as a table and as JSON', async () => {
    const status = (...args: string[]) =>
      promisify(execFile)(
        process.execPath,
        [join(repo, 'packages/cli/dist/main.js'), 'status', '-f', SPEC_FILE, ...args],
        { env },
      );
    const lines = (await status()).stdout.split('\n');
    const at = lines[0]!.indexOf('CAPACITY');
    const cell = (name: string) =>
      lines
        .find((l) => l.includes(` ${name} `))!
        .slice(at)
        .split(/\s{2,}/)[0];
    expect(cell('us-east4')).toBe('flex-start (reservation, on-demand unavailable)');
    expect(cell('europe-west3')).toBe('on-demand');
    const json = JSON.parse((await status('--output', 'json')).stdout);
    expect(json.regions.find((r: any) => r.region === 'us-east4').capacity).toMatchObject({
      computeClass: 'h100-8',
      tiers: { 'flex-start': 1 },
    });
  }, 60_000);

  it('plans no pool GKE created for the class as an orphan', async () => {
    const plan = await planSpec(SPEC, { cloud, timing: TIMING, env });
    expect(plan.resources.filter((r) => r.action === 'delete')).toEqual([]);
  });
});

describe('every tier out in a region', () => {
  it('fails the run, naming the tiers tried', async () => {
    // The servers go (and with them their node and pool), then come back with no capacity anywhere.
    server('gke-west').store.delete('apps/v1', 'Deployment', 'default', POOL);
    await sandbox.controllers.reconcile();
    sandbox.faults.setPlan({ stockouts: TIERS.map((tier) => ({ region: 'europe-west3', tier })) });

    const report = await apply();
    expect(report.converged).toBe(false);
    const [failed] = report.resources.filter((r) => r.state === 'failed');
    expect(failed!.id).toContain(`Deployment/default/${POOL}`);
    expect(failed!.error).toContain('no model server became ready on ComputeClass h100-8');
    for (const tier of ['on-demand', 'flex-start', 'spot'])
      expect(failed!.error).toContain(`(${tier} a3-highgpu-8g): GCE_STOCKOUT`);
  }, 120_000);
});
