import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TemplateAction } from '@backstage/plugin-scaffolder-node';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import type { JsonObject } from '@backstage/types';
import { parse } from 'yaml';
import { createSpillwayActions } from '../src/actions/index.js';
import { ConfigReader } from '@backstage/config';
import { loadPlatforms, type PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';
import {
  CANARY,
  capturingLogger,
  PLATFORM_TEXT,
  registryOf,
  SERVICE_TEXT,
  startFleet,
  type Fleet,
} from '@spillway/backstage-testing';

let fleet: Fleet;
let platforms: PlatformRegistry;
let workspace: string;
let actions: Record<string, TemplateAction<any, any>>;

/** Every line the actions logged and every output they set, for the canary check at the end. */
const everything: string[] = [];

beforeAll(async () => {
  // Only the platform exists: the service is the actions' to apply.
  fleet = await startFleet(PLATFORM_TEXT);
  platforms = await registryOf(fleet.platformFile);
  workspace = await mkdtemp(join(tmpdir(), 'spillway-workspace-'));
  await writeFile(join(workspace, 'spillway.yaml'), SERVICE_TEXT);
  actions = Object.fromEntries(
    createSpillwayActions({ platforms, tokenVariables: ['HF_TOKEN'], env: fleet.env }).map((a) => [a.id, a]),
  );
}, 120_000);
afterAll(async () => {
  await fleet?.close();
  expect(everything.join('\n')).not.toContain(CANARY);
});

interface Run {
  outputs: Record<string, unknown>;
  lines: string[];
}

/** Runs an action as the scaffolder would; `checkpoints` stands for the task's stored state. */
async function run(
  id: string,
  input: Record<string, unknown>,
  options: { dryRun?: boolean; checkpoints?: Map<string, unknown>; workspacePath?: string } = {},
): Promise<Run> {
  const logger = capturingLogger();
  const outputs: Record<string, unknown> = {};
  const checkpoints = options.checkpoints ?? new Map<string, unknown>();
  const ctx = {
    ...createMockActionContext({
      input: input as JsonObject,
      workspacePath: options.workspacePath ?? workspace,
      logger,
    }),
    output: (name: string, value: unknown) => void (outputs[name] = value),
    isDryRun: options.dryRun ?? false,
    async checkpoint({ key, fn }: { key: string; fn: () => Promise<unknown> }) {
      if (checkpoints.has(key)) return checkpoints.get(key);
      const value = await fn();
      checkpoints.set(key, value);
      return value;
    },
  };
  try {
    await actions[id]!.handler(ctx as any);
  } finally {
    everything.push(...logger.lines, JSON.stringify(outputs));
  }
  return { outputs, lines: logger.lines };
}

/** Every call the sandbox served, so far. */
const calls = () => [...fleet.sandbox.faults.calls.values()].reduce((a, b) => a + b, 0);

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    everything.push((error as Error).message);
    return error as Error;
  }
  throw new Error('expected the action to fail');
}

describe('spillway:fetch:platform', () => {
  it("writes the configured platform's spec into the workspace, without a call", async () => {
    const before = calls();
    const dir = await mkdtemp(join(tmpdir(), 'spillway-fetch-'));
    const { outputs } = await run(
      'spillway:fetch:platform',
      { platform: 'inference-prod' },
      { workspacePath: dir },
    );
    expect(outputs).toEqual({
      path: './platform.yaml',
      projectId: 'my-project',
      regions: ['europe-west3', 'us-east4'],
    });
    expect(await readFile(join(dir, 'platform.yaml'), 'utf8')).toBe(PLATFORM_TEXT);
    expect(calls()).toBe(before);
  });

  it('rejects a platform that is not configured, naming the input and the configured platforms', async () => {
    const error = await failure(run('spillway:fetch:platform', { platform: 'staging' }));
    expect(error.message).toBe(
      'input platform: staging is not a configured platform (configured: inference-prod) — choose one of them',
    );
  });

  it('refuses a target outside the workspace', async () => {
    const error = await failure(
      run('spillway:fetch:platform', { platform: 'inference-prod', targetPath: '../platform.yaml' }),
    );
    expect(error.message).toMatch(/outside/i);
  });
});

describe('spillway:validate:platform', () => {
  it('checks a platform spec and names its project, regions and config cluster, without a call', async () => {
    const before = calls();
    const dir = await mkdtemp(join(tmpdir(), 'spillway-platform-'));
    await writeFile(join(dir, 'platform.yaml'), PLATFORM_TEXT);
    const { outputs } = await run(
      'spillway:validate:platform',
      { spec: './platform.yaml' },
      { workspacePath: dir },
    );
    expect(outputs).toEqual({
      platform: 'inference-prod',
      projectId: 'my-project',
      regions: ['europe-west3', 'us-east4'],
      configCluster: 'gke-west',
    });
    expect(calls()).toBe(before);
  });

  it('lists every problem with its position, field and what to do', async () => {
    const broken = parse(PLATFORM_TEXT);
    broken.spec.clusters[1].location = 'europe-west3-b';
    const error = await failure(run('spillway:validate:platform', { spec: broken }));
    expect(error.message).toMatch(
      /^the spec input\.spec has 1 problem:\n {2}input\.spec:\d+:\d+ spec\.clusters\[1\]\.location: /,
    );
  });

  it('refuses a spec with services in it', async () => {
    const error = await failure(run('spillway:validate:platform', { spec: './spillway.yaml' }));
    expect(error.message).toMatch(/no InferencePlatform|exactly one InferencePlatform/);
  });
});

describe('spillway:validate', () => {
  it('names the services and the configured platform of a spec in the workspace, without a call', async () => {
    const before = calls();
    const { outputs } = await run('spillway:validate', { spec: './spillway.yaml' });
    expect(outputs).toEqual({ services: ['default/food-review'], platform: 'inference-prod' });
    expect(calls()).toBe(before);
  });

  it('takes the service as an object', async () => {
    const { outputs } = await run('spillway:validate', { spec: parse(SERVICE_TEXT) });
    expect(outputs).toEqual({ services: ['default/food-review'], platform: 'inference-prod' });
  });

  it('lists every problem with its file, line, column, field and what to do', async () => {
    const broken = SERVICE_TEXT.replace(
      'regions: [us-east4, europe-west3]',
      'regions: [us-east4, us-west1]',
    ).replace('targetUtilization: 0.5', 'targetUtilization: 0.9');
    await writeFile(join(workspace, 'broken.yaml'), broken);
    const error = await failure(run('spillway:validate', { spec: 'broken.yaml' }));
    expect(error.name).toBe('InputError');
    const lines = error.message.split('\n');
    expect(lines[0]).toMatch(/^the spec broken\.yaml has \d+ problems:$/);
    const regionLine = broken.split('\n').findIndex((l) => l.includes('us-west1')) + 1;
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^  broken\\.yaml:${regionLine}:\\d+ spec\\.regions\\[1\\]: platform inference-prod has no cluster in us-west1 — use regions of the platform: `,
        ),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}broken\.yaml:\d+:\d+ spec\.autoscaling\.targetUtilization: .+ — .+/),
    );
  });

  it('rejects a platform that is not configured, naming the field and the configured platforms', async () => {
    const error = await failure(
      run('spillway:validate', {
        spec: parse(SERVICE_TEXT.replace('platform: inference-prod', 'platform: other')),
      }),
    );
    expect(error.message).toMatch(
      /input\.spec:\d+:\d+ spec\.platform: other is not a platform this Backstage is configured for \(configured: inference-prod\) — /,
    );
  });

  it('rejects an InferencePlatform in the template spec: platforms come from app-config', async () => {
    await writeFile(join(workspace, 'both.yaml'), `${PLATFORM_TEXT}---\n${SERVICE_TEXT}`);
    const error = await failure(run('spillway:validate', { spec: 'both.yaml' }));
    expect(error.message).toMatch(
      /both\.yaml:5:7 kind: the spec holds an InferencePlatform; platforms come from the Backstage configuration \(spillway\.platforms\) — remove this document/,
    );
  });

  it('rejects a platform input that is not configured', async () => {
    expect(
      (await failure(run('spillway:validate', { spec: './spillway.yaml', platform: 'staging' }))).message,
    ).toBe(
      'input platform: staging is not a configured platform (configured: inference-prod) — choose one of them',
    );
  });

  it('rejects a service that names another configured platform than the platform input', async () => {
    const staging = join(fleet.dir, 'inference-staging.yaml');
    await writeFile(staging, PLATFORM_TEXT.replace('name: inference-prod', 'name: inference-staging'));
    const two = await loadPlatforms(
      new ConfigReader({
        spillway: {
          platforms: [
            { name: 'inference-prod', projectId: 'my-project', specFile: fleet.platformFile },
            { name: 'inference-staging', projectId: 'my-project', specFile: staging },
          ],
        },
      }),
    );
    const validate = createSpillwayActions({
      platforms: two,
      tokenVariables: ['HF_TOKEN'],
      env: fleet.env,
    }).find((a) => a.id === 'spillway:validate');
    const ctx = createMockActionContext({
      input: { spec: './spillway.yaml', platform: 'inference-staging' },
      workspacePath: workspace,
      logger: capturingLogger(),
    });
    const error = await failure(validate!.handler(ctx as any));
    expect(error.message).toMatch(
      /^the spec \.\/spillway\.yaml has 1 problem:\n {2}\.\/spillway\.yaml:\d+:\d+ spec\.platform: the service names platform inference-prod, but the action's platform input is inference-staging — make spec\.platform and the platform input agree$/,
    );
  });

  it('refuses a path outside the workspace', async () => {
    const error = await failure(run('spillway:validate', { spec: '../../etc/passwd' }));
    expect(error.message).toMatch(/^input spec: \.\.\/\.\.\/etc\/passwd is outside the workspace — /);
  });

  it('refuses a token variable the operator did not allow', async () => {
    const error = await failure(
      run('spillway:validate', {
        spec: parse(SERVICE_TEXT.replace('fromEnv: HF_TOKEN', 'fromEnv: GITHUB_TOKEN')),
      }),
    );
    expect(error.message).toMatch(
      /spec\.model\.huggingFaceToken\.fromEnv: GITHUB_TOKEN is not a variable this Backstage passes to Spillway \(spillway\.tokenEnvironmentVariables: HF_TOKEN\) — use HF_TOKEN or secretManager/,
    );
  });
});

describe('spillway:plan, apply and verify against the sandbox', () => {
  it('plans the service as creates; a dry run only validates and reads nothing', async () => {
    const before = calls();
    const dry = await run('spillway:plan', { spec: './spillway.yaml' }, { dryRun: true });
    expect(dry.outputs).toEqual({ plan: { resources: [] }, changes: 0 });
    expect(calls()).toBe(before);

    const { outputs } = await run('spillway:plan', { spec: './spillway.yaml' });
    const plan = outputs.plan as {
      resources: { id: string; kind: string; action: string; reason: string }[];
    };
    expect(outputs.changes).toBeGreaterThan(10);
    expect(plan.resources.every((r) => r.action === 'create')).toBe(true);
    expect(plan.resources.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        'kubernetes/gke-west/gateway.networking.k8s.io/Gateway/default/cross-region-gateway',
        'kubernetes/gke-east/inference.networking.k8s.io/InferencePool/default/vllm-llama3-8b-instruct',
        'kubernetes/gke-west/core/ConfigMap/default/spillway-spec-food-review',
      ]),
    );
    // The platform is a reference: none of its resources (clusters, node pools, subnets…) is planned.
    expect(plan.resources.filter((r) => !r.id.startsWith('kubernetes/'))).toEqual([]);
  }, 60_000);

  it('dry-runs apply without a call and without outputs', async () => {
    const before = calls();
    const { outputs, lines } = await run('spillway:apply', { spec: './spillway.yaml' }, { dryRun: true });
    expect(outputs).toEqual({});
    expect(lines).toContain(
      'info dry run: would apply default/food-review to platform inference-prod; nothing is read or changed',
    );
    expect(calls()).toBe(before);
  });

  const checkpoints = new Map<string, unknown>();

  it('applies the service, logging progress line by line, and returns the gateway addresses', async () => {
    const { outputs, lines } = await run('spillway:apply', { spec: './spillway.yaml' }, { checkpoints });
    expect(outputs.converged).toBe(true);
    expect(Object.keys(outputs.gatewayAddresses as object).sort()).toEqual(['europe-west3', 'us-east4']);
    // The sandbox's gateways answer on 127.0.0.1 ports; GKE's on region IPs.
    for (const address of Object.values(outputs.gatewayAddresses as object))
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(lines).toContainEqual(expect.stringMatching(/^info creating +.*Gateway/));
    expect(lines).toContainEqual(expect.stringMatching(/^info done +.*Gateway/));
    // The token reached the cluster (so the canary was really used), and nothing else.
    const secret = [...fleet.sandbox.kube.values()]
      .map((s) => s.store.get('v1', 'Secret', 'default', 'hf-token'))
      .find(Boolean);
    expect(Buffer.from(secret!.data.token, 'base64').toString()).toBe(CANARY);
  }, 120_000);

  it('does not apply again when the task is retried with its checkpoints', async () => {
    const before = calls();
    const { outputs, lines } = await run('spillway:apply', { spec: './spillway.yaml' }, { checkpoints });
    expect(outputs.converged).toBe(true);
    expect(Object.keys(outputs.gatewayAddresses as object).sort()).toEqual(['europe-west3', 'us-east4']);
    expect(calls()).toBe(before);
    expect(lines.some((l) => l.includes('applying'))).toBe(false);
  });

  it('plans no change after apply', async () => {
    const { outputs } = await run('spillway:plan', { spec: './spillway.yaml' });
    expect(outputs.changes).toBe(0);
  }, 60_000);

  it('verifies every region and returns the report', async () => {
    const { outputs, lines } = await run('spillway:verify', { spec: './spillway.yaml', from: 'runner' });
    expect(outputs.ok).toBe(true);
    const report = outputs.report as { regions: { region: string; state: string }[] };
    expect(report.regions.map((r) => [r.region, r.state])).toEqual([
      ['europe-west3', 'healthy'],
      ['us-east4', 'healthy'],
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(/^info ✔ food-review us-east4 test completion: HTTP 200/),
    );
  }, 60_000);

  it('fails apply with what to do when the token variable is not set on the backend', async () => {
    const { HF_TOKEN: _token, ...withoutToken } = fleet.env;
    const apply = createSpillwayActions({ platforms, tokenVariables: ['HF_TOKEN'], env: withoutToken }).find(
      (a) => a.id === 'spillway:apply',
    );
    const logger = capturingLogger();
    const ctx = {
      ...createMockActionContext({ input: { spec: './spillway.yaml' }, workspacePath: workspace, logger }),
      checkpoint: async ({ fn }: { fn: () => Promise<unknown> }) => fn(),
    };
    const error = await failure(apply!.handler(ctx as any));
    expect(error.message).toBe(
      'spillway:apply failed: HF_TOKEN is not set: export the Hugging Face token as HF_TOKEN (spec.model.huggingFaceToken.fromEnv), or use secretManager',
    );
  });
});

describe('examples', () => {
  const all = () =>
    Object.values(actions).flatMap((action) =>
      (action.examples ?? []).map((example) => ({ action, example, steps: parse(example.example).steps })),
    );

  it('every action documents at least one example, each a step of that action', () => {
    for (const id of [
      'spillway:validate:platform',
      'spillway:fetch:platform',
      'spillway:validate',
      'spillway:plan',
      'spillway:apply',
      'spillway:verify',
    ])
      expect(all().filter((e) => e.action.id === id).length).toBeGreaterThan(0);
    for (const { action, steps } of all())
      expect(steps.map((s: { action: string }) => s.action)).toEqual([action.id]);
  });

  it('runs every example against the sandbox', async () => {
    const examples = await mkdtemp(join(tmpdir(), 'spillway-examples-'));
    await mkdir(examples, { recursive: true });
    await writeFile(join(examples, 'spillway.yaml'), SERVICE_TEXT);
    await writeFile(join(examples, 'platform.yaml'), PLATFORM_TEXT);
    for (const { action, steps } of all()) {
      const { outputs } = await run(action.id, steps[0].input, { workspacePath: examples });
      if (action.id === 'spillway:fetch:platform') expect(outputs.projectId).toBe('my-project');
      if (action.id === 'spillway:validate:platform') expect(outputs.platform).toBe('inference-prod');
      if (action.id === 'spillway:validate') expect(outputs.platform).toBe('inference-prod');
      if (action.id === 'spillway:plan') expect(outputs.changes).toBe(0);
      if (action.id === 'spillway:apply') expect(outputs.converged).toBe(true);
      if (action.id === 'spillway:verify') expect(outputs.ok).toBe(true);
    }
  }, 180_000);
});
