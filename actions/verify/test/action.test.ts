import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { checkSpec, cloudFromEnv, applySpec, EMULATOR_TIMING } from '@spillway/shared';
import { startSandbox, type Sandbox } from '@spillway/sandbox';
import { committed, runAction as run } from '../../test-support.js';
// @ts-expect-error: the build script is plain JavaScript.
import { options } from '../../build.mjs';

const here = fileURLToPath(new URL('..', import.meta.url));
const repo = resolve(here, '../..');
const upstream = resolve(repo, '..', 'shared', 'upstream');
let sandbox: Sandbox;
const runAction = (inputs: Record<string, string>) => run(join(here, 'dist/index.js'), inputs, sandbox.env);

beforeAll(async () => {
  sandbox = await startSandbox({
    msPerSecond: 1,
    modelServers: { capacity: 16, secondsPerRequest: 30 },
    ...(existsSync(upstream) ? { upstreamDir: upstream } : {}),
  });
  const spec = checkSpec([
    { file: 'x', text: readFileSync(join(repo, 'examples/food-review.yaml'), 'utf8') },
  ]);
  if (!spec.ok) throw new Error('example');
  const env = { ...sandbox.env, HF_TOKEN: 'hf_test' };
  const cloud = cloudFromEnv(env);
  const report = await applySpec(spec.spec, {
    cloud,
    env,
    timing: { ...EMULATOR_TIMING, pollIntervalMs: 10 },
    allowReplace: false,
  });
  await cloud.close();
  if (!report.converged) throw new Error('apply');
}, 120_000);
afterAll(async () => sandbox?.close());

describe('actions/verify', () => {
  it('verifies every region from a Job in the config cluster, with outputs and a summary table per region', async () => {
    let result = await runAction({ spec: 'examples/food-review.yaml', working_directory: repo });
    for (let i = 0; i < 20 && result.code !== 0; i++)
      result = await runAction({ spec: 'examples/food-review.yaml', working_directory: repo });
    expect([result.code, result.stdout.match(/::error::.*/)?.[0]]).toEqual([0, undefined]);
    expect(result.outputs.ok).toBe('true');
    const report = JSON.parse(result.outputs.report!);
    expect(report.regions.map((r: any) => r.region)).toEqual(['europe-west3', 'us-east4']);
    expect(result.summary).toContain('<h2>Spillway verify: passed</h2>');
    expect(result.summary).toContain('<h3>food-review in us-east4 (gke-east): healthy — preferred</h3>');
    expect(result.summary).toContain('HTTP 200 from inside the cluster');
    expect(result.stdout).toContain('::group::Verify every region');
  }, 120_000);

  it('puts the load test in the summary as a Mermaid chart', async () => {
    const result = await runAction({
      spec: 'examples/food-review.yaml',
      from: 'runner',
      load_test: 'true',
      working_directory: repo,
    });
    // Whether the policy held is the load test's own verdict (the integration tests pin it); here, that it is reported.
    expect(result.outputs.report).toBeDefined();
    expect(result.summary).toContain('```mermaid\nxychart-beta');
    expect(result.summary).toContain('load: spills only at the threshold');
  }, 120_000);

  it('fails the step, naming the failing checks, when verification fails', async () => {
    const config = [...sandbox.kube.values()].find((k) => k.cluster === 'gke-west')!;
    config.store.delete(
      'networking.gke.io/v1',
      'GCPBackendPolicy',
      'default',
      'vllm-llama3-8b-instruct-import',
    );
    const result = await runAction({
      spec: 'examples/food-review.yaml',
      from: 'runner',
      working_directory: repo,
    });
    expect(result.code).toBe(1);
    expect(result.outputs.ok).toBe('false');
    expect(result.stdout).toMatch(
      /::error::spillway verify failed with: verification failed: europe-west3: policies attached; .*us-east4: policies attached/,
    );
  }, 120_000);

  it('is committed bundled and current', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dist-')), 'index.js');
    await build(options('verify', out));
    expect(readFileSync(out).equals(await committed(repo, 'actions/verify/dist/index.js'))).toBe(true);
  }, 60_000);
});
