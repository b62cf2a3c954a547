import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { loadSpecOrThrow, renderDesiredState } from '@spillway/shared';
import { startSandbox, type Sandbox } from '@spillway/sandbox';
import { committed, runAction as run } from '../../test-support.js';
// @ts-expect-error: the build script is plain JavaScript.
import { options } from '../../build.mjs';

/** The bundled action run the way the runner runs it: node dist/index.js with INPUT_* variables. */
const here = fileURLToPath(new URL('..', import.meta.url));
const repo = resolve(here, '../..');
const upstream = resolve(repo, '..', 'shared', 'upstream');
const CANARY = 'hf_CANARY_action_9d2f_never_print';
let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({
    msPerSecond: 1,
    ...(existsSync(upstream) ? { upstreamDir: upstream } : {}),
  });
});
afterAll(async () => sandbox?.close());

const runAction = (inputs: Record<string, string>) => run(join(here, 'dist/index.js'), inputs, sandbox.env);

describe('actions/provision', () => {
  it('masks the token before anything else, and never prints it', async () => {
    const result = await runAction({
      spec: 'examples/food-review.yaml',
      command: 'plan',
      hf_token: CANARY,
      working_directory: repo,
    });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe(`::add-mask::${CANARY}`);
    expect(result.stdout.split('\n').slice(1).join('\n')).not.toContain(CANARY);
    expect(JSON.stringify(result.outputs) + result.summary).not.toContain(CANARY);
    // One entry per resource the example renders to.
    const example = loadSpecOrThrow([join(repo, 'examples/food-review.yaml')]);
    expect(JSON.parse(result.outputs.plan!).resources).toHaveLength(
      renderDesiredState(await example).resources.length,
    );
    expect(result.outputs.changed).toBe('true');
    expect(result.stdout).toContain('::group::Plan');
  }, 120_000);

  it('applies, grouping the log, with outputs and a job summary of what changed and the addresses', async () => {
    const result = await runAction({
      spec: 'examples/food-review.yaml',
      command: 'apply',
      hf_token: CANARY,
      working_directory: repo,
    });
    expect([result.code, result.stdout.match(/::error::.*/)?.[0]]).toEqual([0, undefined]);
    expect(result.stdout).toContain('::group::Apply');
    expect(Object.keys(JSON.parse(result.outputs.gateway_addresses!)).sort()).toEqual([
      'europe-west3',
      'us-east4',
    ]);
    expect(result.outputs.changed).toBe('true');
    expect(result.summary).toContain('<h2>Spillway apply</h2>');
    expect(result.summary).toContain('GKE cluster gke-west (europe-west3-c)');
    expect(result.summary).toContain('<h3>Gateway addresses</h3>');
    // The only line with the token is the mask command itself, which the runner consumes.
    expect(result.stdout.split('\n').filter((l) => l.includes(CANARY))).toEqual([`::add-mask::${CANARY}`]);
    expect(result.summary + JSON.stringify(result.outputs)).not.toContain(CANARY);
    const again = await runAction({
      spec: 'examples/food-review.yaml',
      command: 'plan',
      hf_token: CANARY,
      working_directory: repo,
    });
    expect(again.outputs.changed).toBe('false');
  }, 120_000);

  it('annotates every spec error on the file at its line and column, and fails with the cause', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bad-spec-'));
    const text = readFileSync(join(repo, 'examples/food-review.yaml'), 'utf8').replace(
      'targetUtilization: 0.5',
      'targetUtilization: 0.9',
    );
    writeFileSync(join(dir, 'spec.yaml'), text);
    const line = text.split('\n').findIndex((l) => l.includes('targetUtilization: 0.9')) + 1;
    const result = await runAction({ spec: 'spec.yaml', command: 'apply', working_directory: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      `::error title=Spillway spec,file=${join(dir, 'spec.yaml')},line=${line},col=24::spec.autoscaling.targetUtilization: 0.9 is not below the load balancer's threshold`,
    );
    expect(result.stdout).toMatch(
      /::error::spillway provision failed with: the spec spec.yaml has 1 problem\(s\); each is annotated on the file/,
    );
  }, 60_000);

  it('fails naming the cause when a resource fails (GCE_STOCKOUT)', async () => {
    const fresh = await startSandbox({
      msPerSecond: 1,
      faults: {
        rules: [
          {
            api: 'container',
            method: 'CreateNodePool',
            operationError: { code: 'GCE_STOCKOUT', message: 'no H100 capacity' },
            times: 1,
          },
        ],
      },
    });
    const previous = sandbox;
    sandbox = fresh;
    try {
      const result = await runAction({
        spec: 'examples/food-review.yaml',
        command: 'apply',
        hf_token: CANARY,
        working_directory: repo,
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(
        /::error::spillway provision failed with: 1 resource\(s\) failed: node pool h100 in gke-\w+ .*GCE_STOCKOUT/,
      );
    } finally {
      sandbox = previous;
      await fresh.close();
    }
  }, 120_000);

  it('is committed bundled and current: the committed dist/index.js is what the build makes now', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'dist-')), 'index.js');
    await build(options('provision', out));
    // Compared with the commit, not the work tree: the build step rewrites the work tree's copy.
    expect(readFileSync(out).equals(await committed(repo, 'actions/provision/dist/index.js'))).toBe(true);
  }, 60_000);
});
