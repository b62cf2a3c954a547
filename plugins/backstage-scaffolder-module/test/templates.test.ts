import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { mockCredentials } from '@backstage/backend-test-utils';
import * as githubBackendModule from '@backstage/plugin-scaffolder-backend-module-github';
import { templateEntityV1beta3Validator } from '@backstage/plugin-scaffolder-common';
import { checkSpec, formatIssue } from '@spillway/shared';
import request from 'supertest';
import { parse } from 'yaml';
import { CANARY, featureOf, PLATFORM_TEXT, repo } from '@spillway/backstage-testing';
import { startScaffolder } from './scaffolder-backend.js';

/**
 * The templates under templates/, checked by the scaffolder's own validator and run as dry runs by
 * the real scaffolder backend with Spillway's module (and GitHub's, for publish:github) installed.
 */
const templatesDir = join(repo, 'templates');
const SERVICE_TEMPLATE = 'create-inference-service';
const PLATFORM_TEMPLATE = 'create-inference-platform';

let backend: Awaited<ReturnType<typeof startScaffolder>>;
const savedToken = process.env.HF_TOKEN;

beforeAll(async () => {
  // The token is on the backend host, as in production; no template or result may carry it.
  process.env.HF_TOKEN = CANARY;
  backend = await startScaffolder([featureOf(githubBackendModule)]);
}, 60_000);
afterAll(async () => {
  await backend?.stop();
  process.env.HF_TOKEN = savedToken;
});

function filesOf(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesOf(path) : [path];
  });
}

function templateOf(name: string) {
  return parse(readFileSync(join(templatesDir, name, 'template.yaml'), 'utf8'));
}

/** POST /v2/dry-run as the scaffolder's template editor sends it: the template and its folder's files. */
async function dryRun(name: string, values: Record<string, unknown>) {
  const dir = join(templatesDir, name);
  const directoryContents = filesOf(dir)
    .filter((path) => !path.endsWith('template.yaml'))
    .map((path) => ({ path: relative(dir, path), base64Content: readFileSync(path).toString('base64') }));
  const res = await request(backend.server)
    .post('/api/scaffolder/v2/dry-run')
    .set('authorization', mockCredentials.user.header())
    .send({ template: templateOf(name), values, directoryContents });
  const files = Object.fromEntries(
    ((res.body.directoryContents ?? []) as { path: string; base64Content: string }[]).map((f) => [
      f.path,
      Buffer.from(f.base64Content, 'base64').toString('utf8'),
    ]),
  );
  const log = ((res.body.log ?? []) as { body: { message?: string; stepId?: string } }[]).map(
    (l) => `${l.body.stepId ?? ''}: ${l.body.message ?? ''}`,
  );
  return { res, files, log };
}

function workflowErrors(name: string, content: string) {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

const serviceValues = {
  name: 'food-review',
  namespace: 'default',
  owner: 'group:default/ml-apps',
  // EntityPicker's value: the platform's catalog Resource.
  platform: 'resource:default/inference-prod',
  modelId: 'meta-llama/Llama-3.1-8B-Instruct',
  image: 'vllm/vllm-openai:v0.10.2',
  gpusPerReplica: 1,
  regions: ['us-east4', 'europe-west3'],
  preferredRegion: 'us-east4',
  balancingMode: 'CUSTOM_METRICS',
  maxUtilizationPercent: 80,
  minReplicas: 1,
  maxReplicas: 10,
  targetUtilization: 0.5,
  repoUrl: 'github.com?owner=acme&repo=food-review',
};

describe.each([SERVICE_TEMPLATE, PLATFORM_TEMPLATE])('template %s', (name) => {
  it("passes the scaffolder's own template validator", async () => {
    expect(await templateEntityV1beta3Validator.check(templateOf(name))).toBe(true);
  });

  it('is really validated: a template without steps is refused', async () => {
    const broken = templateOf(name);
    delete broken.spec.steps;
    await expect(templateEntityV1beta3Validator.check(broken)).rejects.toThrow();
  });

  it('never asks for the Hugging Face token and holds no token value', () => {
    const text = filesOf(join(templatesDir, name))
      .map((p) => readFileSync(p, 'utf8'))
      .join('\n');
    expect(text).not.toMatch(/hf_[A-Za-z0-9]{8,}/);
    const parameterNames = templateOf(name).spec.parameters.flatMap((p: any) =>
      Object.keys(p.properties ?? {}),
    );
    expect(parameterNames.filter((p: string) => /token|secret/i.test(p))).toEqual([]);
  });
});

describe('create-inference-service, dry run by the real scaffolder', () => {
  it('writes a repository whose spec passes the core against the platform, then skips publishing', async () => {
    const { res, files, log } = await dryRun(SERVICE_TEMPLATE, serviceValues);
    expect(res.status).toBe(200);
    expect(Object.keys(files).sort()).toEqual([
      '.github/workflows/spillway.yaml',
      'README.md',
      'catalog-info.yaml',
      'platform.yaml',
      'spillway.yaml',
    ]);
    // What `spillway validate -f spillway.yaml --platform platform.yaml` checks.
    const checked = checkSpec([
      { file: 'platform.yaml', text: files['platform.yaml']!, reference: true },
      { file: 'spillway.yaml', text: files['spillway.yaml']! },
    ]);
    if (!checked.ok) throw new Error(checked.issues.map(formatIssue).join('\n'));
    const [service] = checked.spec.services;
    expect(service).toMatchObject({
      name: 'food-review',
      regions: ['europe-west3', 'us-east4'],
      balancing: { mode: 'CUSTOM_METRICS', maxUtilizationPercent: 80, preferredRegions: ['us-east4'] },
      autoscaling: { minReplicas: 1, maxReplicas: 10, targetUtilization: 0.5 },
    });
    expect(service!.model.huggingFaceToken).toEqual({ secretName: 'hf-token', fromEnv: 'HF_TOKEN' });
    expect(files['platform.yaml']).toBe(PLATFORM_TEXT);
    expect(log).toContainEqual(expect.stringMatching(/^validate: .*the spec is valid: default\/food-review/));
    expect(log).toContainEqual(
      expect.stringMatching(/^publish: .*Skipping because publish:github does not support dry-run/),
    );
    expect(log).toContainEqual(expect.stringMatching(/^platform: .*wrote platform inference-prod/));
    expect(res.body.output.links.map((l: { title: string }) => l.title)).toEqual([
      'Repository',
      'Open in catalog',
    ]);
    expect(JSON.stringify(res.body)).not.toContain(CANARY);
  }, 60_000);

  it('gives a catalog entity with the annotations the card and the route read', async () => {
    const { files } = await dryRun(SERVICE_TEMPLATE, serviceValues);
    const entity = parse(files['catalog-info.yaml']!);
    expect(entity.metadata.annotations).toEqual({
      'github.com/project-slug': 'acme/food-review',
      'spillway.dev/service': 'default/food-review',
      'spillway.dev/platform': 'inference-prod',
    });
    expect(entity.spec.owner).toBe('group:default/ml-apps');
    expect(entity.spec.dependsOn).toEqual(['resource:default/inference-prod']);
  }, 60_000);

  it('asks for the platform among the catalog Resources the platform template registers, and its regions from it', async () => {
    const { properties } = templateOf(SERVICE_TEMPLATE).spec.parameters[0];
    const registered = parse(
      readFileSync(join(templatesDir, PLATFORM_TEMPLATE, 'skeleton/catalog-info.yaml'), 'utf8'),
    );
    expect(properties.platform).not.toHaveProperty('enum');
    expect(properties.platform['ui:field']).toBe('EntityPicker');
    expect(properties.platform['ui:options'].catalogFilter).toEqual([
      { kind: registered.kind, 'spec.type': registered.spec.type },
    ]);
    const regionFields = templateOf(SERVICE_TEMPLATE).spec.parameters[2].properties;
    expect(regionFields.regions['ui:field']).toBe('SpillwayRegionPicker');
    expect(regionFields.regions['ui:options']).toEqual({ platformField: 'platform' });
    expect(regionFields.preferredRegion['ui:options']).toEqual({
      platformField: 'platform',
      regionsField: 'regions',
    });
  });

  it('gives the workflow of templates/workflows, valid for GitHub, that reads the token from a secret', async () => {
    const { files } = await dryRun(SERVICE_TEMPLATE, serviceValues);
    const workflow = files['.github/workflows/spillway.yaml']!;
    expect(workflow).toBe(readFileSync(join(templatesDir, 'workflows/spillway.yaml'), 'utf8'));
    expect(workflowErrors('spillway.yaml', workflow)).toEqual([]);
    expect(workflow).toContain('hf_token: ${{ secrets.HF_TOKEN }}');
    expect(workflow).toContain('platform: platform.yaml');
  }, 60_000);

  it('writes the other balancing mode without the first one’s fields', async () => {
    const { maxUtilizationPercent: _drop, ...rest } = serviceValues;
    const { res, files } = await dryRun(SERVICE_TEMPLATE, {
      ...rest,
      balancingMode: 'IN_FLIGHT',
      maxInFlightRequestsPerEndpoint: 500,
      preferredRegion: '',
    });
    expect(res.status).toBe(200);
    const checked = checkSpec([
      { file: 'platform.yaml', text: files['platform.yaml']!, reference: true },
      { file: 'spillway.yaml', text: files['spillway.yaml']! },
    ]);
    if (!checked.ok) throw new Error(checked.issues.map(formatIssue).join('\n'));
    expect(checked.spec.services[0]!.balancing).toEqual({
      mode: 'IN_FLIGHT',
      maxInFlightRequestsPerEndpoint: 500,
      preferredRegions: [],
    });
  }, 60_000);

  it('stops at validate, before publishing, when the choices break a rule, naming the field', async () => {
    const { res } = await dryRun(SERVICE_TEMPLATE, { ...serviceValues, targetUtilization: 0.9 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/spillway\.yaml:\d+:\d+ spec\.autoscaling\.targetUtilization: /);
  }, 60_000);

  it('refuses a region the platform does not have, at its line', async () => {
    const { res } = await dryRun(SERVICE_TEMPLATE, { ...serviceValues, regions: ['us-east4', 'asia-east1'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/spillway\.yaml:\d+:\d+ spec\.regions\[1\]: /);
  }, 60_000);
});

describe('create-inference-platform, dry run by the real scaffolder', () => {
  const platformValues = {
    name: 'inference-prod',
    owner: 'group:default/ml-platform',
    projectId: 'my-project',
    network: 'default',
    gkeVersion: '1.34.1-gke.1127000',
    clusters: [
      { name: 'gke-west', location: 'europe-west3-c', configCluster: true, proxyCidr: '10.0.0.0/23' },
      { name: 'gke-east', location: 'us-east4-a', proxyCidr: '10.5.0.0/23', spot: false, maxNodes: 4 },
    ],
    repoUrl: 'github.com?owner=acme&repo=inference-prod',
  };

  it('writes a platform spec the core accepts, a catalog Resource and a valid workflow', async () => {
    const { res, files } = await dryRun(PLATFORM_TEMPLATE, platformValues);
    expect(res.status).toBe(200);
    const checked = checkSpec([{ file: 'platform.yaml', text: files['platform.yaml']! }]);
    if (!checked.ok) throw new Error(checked.issues.map(formatIssue).join('\n'));
    const [platform] = checked.spec.platforms;
    expect(platform!.configCluster.name).toBe('gke-west');
    expect(platform!.clusters[1]!.acceleratorPools[0]).toMatchObject({
      spot: false,
      nodes: { min: 1, max: 4 },
    });
    expect(parse(files['catalog-info.yaml']!).metadata.annotations['spillway.dev/platform']).toBe(
      'inference-prod',
    );
    expect(workflowErrors('spillway.yaml', files['.github/workflows/spillway.yaml']!)).toEqual([]);
    expect(res.body.output.text[0].content).toContain('regions europe-west3, us-east4');
  }, 60_000);

  it('stops at validate when two clusters share a region, naming the field', async () => {
    const clusters = [
      platformValues.clusters[0],
      { ...platformValues.clusters[1], location: 'europe-west3-b' },
    ];
    const { res } = await dryRun(PLATFORM_TEMPLATE, { ...platformValues, clusters });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/platform\.yaml:\d+:\d+ spec\.clusters\[1\]\.location: /);
  }, 60_000);
});
