import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  applySpec,
  checkSpec,
  destroySpec,
  planSpec,
  readServiceHealth,
  ServiceNotFoundError,
  type Cloud,
  type Spec,
} from '@spillway/shared';
import { isMutatingCall, type Sandbox } from '@spillway/sandbox';
import { exampleSpec, exampleText, sandboxAndCloud, TIMING } from './helpers.js';

const [platformText, serviceText] = exampleText.split(/^---\n/m) as [string, string];
const platformFile = { file: 'platform.yaml', text: platformText };

/** The service's repository: its own spec, the platform's read-only (`--platform`). */
function serviceRepoSpec(): Spec {
  const result = checkSpec([
    { ...platformFile, reference: true },
    { file: 'spillway.yaml', text: serviceText },
  ]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const mutatingCalls = () =>
  [...sandbox.faults.calls]
    .filter(([key]) => isMutatingCall(key) && !key.endsWith(' leases')) // the run's claim is not a change
    .reduce((n, [, count]) => n + count, 0);

beforeAll(async () => {
  ({ sandbox, cloud, env } = await sandboxAndCloud());
  const report = await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
  if (!report.converged) throw new Error('setup did not converge');
}, 120_000);
afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe("a service's repository with the platform as a reference", () => {
  it('plans no change for an applied fleet, and never plans the platform', async () => {
    const plan = await planSpec(serviceRepoSpec(), { cloud, timing: TIMING, env });
    expect(plan.resources.filter((r) => r.action !== 'noop')).toEqual([]);
    expect(plan.resources.some((r) => r.kind === 'container.cluster')).toBe(false);
  }, 60_000);

  it("finds the service's health from the platform's spec alone, through the record apply keeps", async () => {
    const report = await readServiceHealth(
      platformFile,
      { namespace: 'default', name: 'food-review' },
      { cloud, regionTimeoutMs: 10_000 },
    );
    expect(report.regions.map((r) => r.region).sort()).toEqual(['europe-west3', 'us-east4']);
    expect(report.regions.every((r) => r.service === 'food-review')).toBe(true);
    await expect(
      readServiceHealth(
        platformFile,
        { namespace: 'default', name: 'nope' },
        { cloud, regionTimeoutMs: 10_000 },
      ),
    ).rejects.toBeInstanceOf(ServiceNotFoundError);
  }, 60_000);

  it("destroys the service's objects and leaves the platform's clusters, pools and objects", async () => {
    const clustersBefore = Object.keys(sandbox.gke.model.state.clusters).sort();
    const before = mutatingCalls();
    const report = await destroySpec(serviceRepoSpec(), { cloud, timing: TIMING, env });
    expect(report.resources.filter((r) => r.state === 'failed')).toEqual([]);
    expect(mutatingCalls()).toBeGreaterThan(before);
    expect(Object.keys(sandbox.gke.model.state.clusters).sort()).toEqual(clustersBefore);
    expect(report.resources.every((r) => r.id.startsWith('kubernetes/'))).toBe(true);
    const plan = await planSpec(exampleSpec(), { cloud, timing: TIMING, env });
    const missing = plan.resources.filter((r) => r.action !== 'noop');
    // Only the service is gone: re-applying the whole spec would create its objects, nothing else.
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((r) => r.action === 'create' && r.id.startsWith('kubernetes/'))).toBe(true);
    expect(missing.some((r) => r.title.startsWith('CustomResourceDefinition'))).toBe(false);
  }, 120_000);
});
