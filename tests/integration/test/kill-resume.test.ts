import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { applySpec, planSpec, type Cloud } from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { CANARY, exampleSpec, repo, sandboxAndCloud, TIMING } from './helpers.js';

const cli = join(repo, 'packages/cli/dist/main.js');
const example = join(repo, 'examples/food-review.yaml');

/** mulberry32, seeded: the kill points are the same on every run. */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let sandbox: Sandbox;
let cloud: Cloud;
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('a killed apply', () => {
  it('converges when re-run, after being killed at ten seeded points, with nothing duplicated', async () => {
    let env: NodeJS.ProcessEnv;
    ({ sandbox, cloud, env } = await sandboxAndCloud());
    const random = seeded(2026);
    const outputs: string[] = [];
    for (let kill = 0; kill < 10; kill++) {
      const delayMs = 100 + Math.floor(random() * 1200);
      const child = spawn(process.execPath, [cli, 'apply', '-f', example, '--output', 'json'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c) => outputs.push(String(c)));
      child.stderr.on('data', (c) => outputs.push(String(c)));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      await exited;
      clearTimeout(timer);
    }
    const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(report.resources.filter((r) => r.state !== 'done').map((r) => `${r.title}: ${r.error}`)).toEqual(
      [],
    );
    const gke = sandbox.gke.model.state;
    expect(Object.keys(gke.clusters).sort()).toEqual([
      'my-project/europe-west3-c/gke-west',
      'my-project/us-east4-a/gke-east',
    ]);
    for (const cluster of Object.values(gke.clusters) as any[])
      expect(cluster.nodePools.map((p: any) => p.name)).toEqual(['default-pool', 'h100']);
    expect(Object.keys(sandbox.google.states.gkehub.memberships)).toHaveLength(2);
    const plan = await planSpec(exampleSpec(), { cloud, timing: TIMING, env });
    expect(plan.resources.filter((r) => r.action !== 'noop')).toEqual([]);
    expect(outputs.join('').includes(CANARY)).toBe(false);
  }, 180_000);
});
