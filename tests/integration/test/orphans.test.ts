import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applySpec, planSpec, type Cloud } from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { exampleSpec, exampleText, sandboxAndCloud, TIMING } from './helpers.js';

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  ({ sandbox, cloud, env } = await sandboxAndCloud());
  const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
  if (!report.converged) throw new Error('setup did not converge');
}, 120_000);
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

const server = (name: string) => [...sandbox.kube.values()].find((s) => s.cluster === name)!;

describe('what the spec no longer has', () => {
  it('is planned as delete and removed by apply: a service leaving a region', async () => {
    const oneRegion = exampleSpec(
      exampleText
        .replace('regions: [us-east4, europe-west3]', 'regions: [us-east4]')
        .replace('    preferredRegions: [us-east4]\n', ''),
    );
    const plan = await planSpec(oneRegion, { cloud, timing: TIMING, env });
    const deletes = plan.resources.filter((r) => r.action === 'delete');
    expect(deletes.map((r) => r.title)).toContain(
      'InferencePool default/vllm-llama3-8b-instruct in gke-west, no longer in the spec',
    );
    expect(
      deletes.every(
        (r) => r.reason === "Spillway's, no longer in the spec" && r.id.startsWith('kubernetes/gke-west/'),
      ),
    ).toBe(true);
    const report = await applySpec(oneRegion, { cloud, timing: TIMING, env, allowReplace: false });
    expect(report.converged).toBe(true);
    expect(server('gke-west').store.list('inference.networking.k8s.io/v1', 'InferencePool')).toEqual([]);
    expect(server('gke-west').store.list('apps/v1', 'Deployment', 'default')).toEqual([]);
    // The platform's own objects stay in the cluster the service left.
    expect(
      server('gke-west').store.get(
        'apps/v1',
        'Deployment',
        'custom-metrics',
        'custom-metrics-stackdriver-adapter',
      ),
    ).toBeDefined();
    expect(
      (await planSpec(oneRegion, { cloud, timing: TIMING, env })).resources.filter(
        (r) => r.action !== 'noop',
      ),
    ).toEqual([]);
  }, 120_000);

  it('deletes a node pool dropped from the spec only with --yes', async () => {
    const twoPools = exampleText.replace(
      /( {6}acceleratorPools:\n {8}- name: h100\n(?: {10}.*\n)+? {10}nodes: \{ initial: 3, min: 1, max: 10 \}\n)/,
      '$1        - name: l4\n          accelerator: { type: nvidia-l4, count: 1 }\n          machineType: g2-standard-8\n          nodes: { initial: 1, min: 0, max: 2 }\n',
    );
    expect(twoPools).toContain('name: l4');
    expect(
      (await applySpec(exampleSpec(twoPools), { cloud, timing: TIMING, env, allowReplace: false })).converged,
    ).toBe(true);
    const plan = await planSpec(exampleSpec(), { cloud, timing: TIMING, env });
    expect(plan.resources.filter((r) => r.action !== 'noop').map((r) => `${r.action} ${r.title}`)).toEqual([
      'delete node pool l4 in gke-west, no longer in the spec',
    ]);
    const refused = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    expect(refused.refused).toContain('node pool l4 in gke-west, no longer in the spec');
    const deleted = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: true });
    expect(deleted.converged).toBe(true);
    const pools = (
      sandbox.gke.model.getCluster('my-project', 'europe-west3-c', 'gke-west').nodePools as any[]
    ).map((p) => p.name);
    expect(pools).toEqual(['default-pool', 'h100']);
  }, 120_000);
});
