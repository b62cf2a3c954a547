import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applySpec, checkSpec, destroySpec, planSpec, type Cloud, type Spec } from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { capacityExampleSandbox, capacityExampleText, exampleSpec, exampleText, TIMING } from './helpers.js';
import { parse, stringify } from 'yaml';

/**
 * The capacity-classes example's lifecycle on the sandbox with the real clients: after apply, a
 * plan is all no-op (the ComputeClasses, the PDBs, and the clusters' auto-provisioning limits,
 * which GKE reads back as strings); destroying the service empties the class's pools, which GKE
 * then deletes; destroying everything after the class scaled up leaves no cluster, so no pool.
 */
const TEXT = capacityExampleText;
const SPEC = exampleSpec(TEXT);

/** The example's service alone, on its platform read-only (an application repository's view). */
function serviceOnly(): Spec {
  const [platform, service] = TEXT.split(/^---$/m) as [string, string];
  const result = checkSpec([
    { file: 'service.yaml', text: service },
    { file: 'platform.yaml', text: platform, reference: true },
  ]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}
const napPools = async () =>
  (await clusters()).flatMap((c) => (c.nodePools ?? []).filter((p) => p.autoscaling?.autoprovisioned));

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const clusters = async () =>
  (await cloud.container().listClusters({ parent: 'projects/my-project/locations/-' }))[0].clusters ?? [];

beforeAll(async () => {
  ({ sandbox, cloud, env } = await capacityExampleSandbox({}));
}, 60_000);

afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('the capacity-classes example', () => {
  it('applies, and a plan after it changes nothing', async () => {
    const report = await applySpec(SPEC, { cloud, timing: TIMING, env, allowReplace: false });
    expect(report.resources.filter((r) => r.state !== 'done')).toEqual([]);
    // The class scaled up: each cluster has a pool GKE created for it.
    for (const c of await clusters())
      expect((c.nodePools ?? []).filter((p) => p.autoscaling?.autoprovisioned).length).toBe(1);

    const plan = await planSpec(SPEC, { cloud, timing: TIMING, env });
    expect(plan.resources.filter((r) => r.action !== 'noop')).toEqual([]);
  }, 120_000);

  it('destroys a service: its servers go, and GKE removes the pools it emptied', async () => {
    expect((await napPools()).length).toBe(2);
    const result = await destroySpec(serviceOnly(), { cloud, timing: TIMING, env });
    expect(result.converged).toBe(true);
    await sandbox.controllers.reconcile();
    expect(await napPools()).toEqual([]);
  }, 120_000);

  it('destroys to nothing: the clusters go, and any auto-created pool with them', async () => {
    await applySpec(SPEC, { cloud, timing: TIMING, env, allowReplace: false });
    expect((await napPools()).length).toBe(2);
    const result = await destroySpec(SPEC, { cloud, timing: TIMING, env });
    expect(result.converged).toBe(true);
    expect(await clusters()).toEqual([]);
  }, 120_000);
});

describe('classes added to a platform that is already applied', () => {
  /** The seed example with the capacity example's class added to its platform (its pools kept). */
  function withClass(): Spec {
    const [platform, service] = exampleText.split(/^---$/m).map((t) => parse(t!));
    platform.spec.capacityClasses = parse(TEXT.split(/^---$/m)[0]!).spec.capacityClasses;
    const result = checkSpec([
      { file: 'spec.yaml', text: `${stringify(platform)}---\n${stringify(service)}` },
    ]);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.spec;
  }

  it('updates each cluster in place (auto-provisioning) and creates the ComputeClasses; then nothing changes', async () => {
    await applySpec(exampleSpec(), { cloud, timing: TIMING, env, allowReplace: false });
    const spec = withClass();
    const plan = await planSpec(spec, { cloud, timing: TIMING, env });
    const changes = plan.resources.filter((r) => r.action !== 'noop');
    expect(
      changes.map((r) => [r.kind, r.action, r.reason]).filter(([kind]) => kind === 'container.cluster'),
    ).toEqual([
      ['container.cluster', 'update', 'autoscaling differ'],
      ['container.cluster', 'update', 'autoscaling differ'],
    ]);
    expect(changes.filter((r) => r.id.includes('/ComputeClass/')).map((r) => r.action)).toEqual([
      'create',
      'create',
    ]);

    const applied = await applySpec(spec, { cloud, timing: TIMING, env, allowReplace: false });
    expect(applied.converged).toBe(true);
    for (const c of await clusters()) expect(c.autoscaling?.enableNodeAutoprovisioning).toBe(true);
    const again = await planSpec(spec, { cloud, timing: TIMING, env });
    expect(again.resources.filter((r) => r.action !== 'noop')).toEqual([]);
  }, 120_000);
});
