/**
 * gcloud as a client of the sandbox's REST APIs, configured as `spillway sandbox up` will do it:
 * auth/disable_credentials and api_endpoint_overrides/<api> in a throwaway CLOUDSDK_CONFIG.
 * Skipped, saying so, where gcloud is not installed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addSubnetwork, gcloudEndpointOverrides } from '../src/google/index.js';
import { startHarness, type Harness } from './google-helpers.js';

const GCLOUD = '/usr/bin/gcloud';
const P = 'my-project';
const NUMBER = '123456789012';
const run = promisify(execFile);
const present = existsSync(GCLOUD);
if (!present) console.warn(`gcloud tests skipped: ${GCLOUD} is not installed`);
const maybe = present ? describe : describe.skip;

maybe('gcloud against the sandbox', () => {
  let h: Harness;
  let config: string;
  const gcloud = async (...args: string[]) => {
    const { stdout } = await run(GCLOUD, [...args, '--quiet'], {
      env: { ...process.env, CLOUDSDK_CONFIG: config, CLOUDSDK_CORE_DISABLE_PROMPTS: '1' },
      timeout: 60_000,
    });
    return stdout;
  };
  const json = async (...args: string[]) =>
    JSON.parse(await gcloud(...args, `--project=${P}`, '--format=json'));

  beforeAll(async () => {
    h = await startHarness({}, { cloudresourcemanager: { projectNumbers: { [P]: NUMBER } } });
    config = mkdtempSync(join(tmpdir(), 'spillway-gcloud-'));
    await gcloud('config', 'set', 'auth/disable_credentials', 'True');
    for (const [api, url] of Object.entries(gcloudEndpointOverrides(h.apis.servers))) {
      await gcloud('config', 'set', `api_endpoint_overrides/${api}`, url);
    }
    addSubnetwork(h.apis.states.compute, P, 'us-east4', {
      name: 'proxy-east',
      ipCidrRange: '10.5.0.0/23',
      purpose: 'GLOBAL_MANAGED_PROXY',
      role: 'ACTIVE',
    });
    const link = `//container.googleapis.com/projects/${P}/locations/us-east4-a/clusters/gke-east`;
    await h.call('gkehub', 'POST', `/v1/projects/${P}/locations/global/memberships?membershipId=gke-east`, {
      endpoint: { gkeCluster: { resourceLink: link } },
    });
  }, 120_000);

  afterAll(async () => {
    await h?.apis.close();
    if (config) rmSync(config, { recursive: true, force: true });
  });

  it('lists subnetworks (aggregated list under /compute/v1/)', async () => {
    const subnets = await json('compute', 'networks', 'subnets', 'list');
    const proxy = subnets.find((s: any) => s.name === 'proxy-east');
    expect(proxy).toMatchObject({
      ipCidrRange: '10.5.0.0/23',
      purpose: 'GLOBAL_MANAGED_PROXY',
      role: 'ACTIVE',
    });
    expect(subnets.filter((s: any) => s.name === 'default').length).toBeGreaterThan(5);
  }, 60_000);

  it('lists fleet memberships (locations/- under the host root)', async () => {
    const memberships = await json('container', 'fleet', 'memberships', 'list');
    expect(memberships).toEqual([
      expect.objectContaining({ name: `projects/${P}/locations/global/memberships/gke-east` }),
    ]);
  }, 60_000);

  it('describes the project (Resource Manager v1)', async () => {
    const project = await gcloud('projects', 'describe', P, '--format=json');
    expect(JSON.parse(project)).toMatchObject({
      projectId: P,
      projectNumber: NUMBER,
      lifecycleState: 'ACTIVE',
    });
  }, 60_000);

  it('reads the IAM policy (v1 getIamPolicy)', async () => {
    const policy = JSON.parse(await gcloud('projects', 'get-iam-policy', P, '--format=json'));
    expect(policy.etag).toEqual(expect.any(String));
    expect(policy.bindings).toContainEqual({ role: 'roles/owner', members: [`user:owner@${P}.example.com`] });
  }, 60_000);

  it('creates a proxy-only subnet (insert, then polls the region operation)', async () => {
    const created = await json(
      'compute',
      'networks',
      'subnets',
      'create',
      'proxy-west',
      '--region=europe-west3',
      '--network=default',
      '--range=10.0.0.0/23',
      '--purpose=GLOBAL_MANAGED_PROXY',
      '--role=ACTIVE',
    );
    expect(created).toEqual([
      expect.objectContaining({ name: 'proxy-west', purpose: 'GLOBAL_MANAGED_PROXY', role: 'ACTIVE' }),
    ]);
  }, 60_000);

  it('describes a membership (gcloud looks it up under v1beta)', async () => {
    const membership = await json('container', 'fleet', 'memberships', 'describe', 'gke-east');
    expect(membership).toMatchObject({
      name: `projects/${P}/locations/global/memberships/gke-east`,
      state: { code: 'READY' },
    });
  }, 60_000);

  it('adds an IAM binding (read-modify-write; gcloud returns the etag URL-safe encoded)', async () => {
    const policy = JSON.parse(
      await gcloud(
        'projects',
        'add-iam-policy-binding',
        P,
        '--member=user:viewer@example.com',
        '--role=roles/viewer',
        '--condition=None',
        '--format=json',
      ),
    );
    expect(policy.bindings).toContainEqual({ role: 'roles/viewer', members: ['user:viewer@example.com'] });
    expect(policy.bindings).toContainEqual({ role: 'roles/owner', members: [`user:owner@${P}.example.com`] });
  }, 60_000);

  it('lists enabled services (Service Usage)', async () => {
    const services = await json('services', 'list', '--enabled');
    expect(services.map((s: any) => s.config.name)).toContain('serviceusage.googleapis.com');
  }, 60_000);
});
