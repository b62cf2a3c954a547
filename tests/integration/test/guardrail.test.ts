import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { applySpec, GUARDRAIL_PARAMS, GUARDRAIL_POLICY, planSpec, type Cloud } from '@spillway/shared';
import type { Sandbox } from '@spillway/sandbox';
import { capacityExampleSandbox, capacityExampleText, exampleSpec, TIMING } from './helpers.js';

/**
 * The capacity-class guardrail applied by the engine to the sandbox: its objects in every cluster,
 * pods refused outside the class's namespaces, and a deleted params ConfigMap seen as drift that
 * the next apply recreates.
 */
const SPEC = exampleSpec(capacityExampleText);
const CLASS = SPEC.platforms[0]!.capacityClasses[0]!.name;

let sandbox: Sandbox;
let cloud: Cloud;
let env: NodeJS.ProcessEnv;
const stores = () => [...sandbox.kube.values()].map((s) => s.store);
const apply = () => applySpec(SPEC, { cloud, timing: TIMING, env, allowReplace: false });

let count = 0;
/** Creates a pod selecting the class in `namespace`; the refusal's message, or undefined when admitted. */
function podRefusal(store: ReturnType<typeof stores>[number], namespace: string): string | undefined {
  try {
    store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `probe-${++count}`, namespace },
      spec: {
        nodeSelector: { 'cloud.google.com/compute-class': CLASS },
        containers: [{ name: 'c', image: 'busybox' }],
      },
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

beforeAll(async () => {
  ({ sandbox, cloud, env } = await capacityExampleSandbox());
}, 60_000);

afterAll(async () => {
  await cloud?.close();
  await sandbox?.close();
});

describe('the guardrail, applied', () => {
  it('is in every cluster, and refuses pods that use the class outside its namespaces', async () => {
    const report = await apply();
    expect(report.converged).toBe(true);
    for (const store of stores()) {
      const kinds = ['ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].flatMap((kind) =>
        store.list('admissionregistration.k8s.io/v1', kind).map((o) => `${kind} ${o.metadata.name}`),
      );
      expect(kinds).toEqual([
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}-spec`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}-workloads`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}-workloads-spec`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}-spec`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}-workloads`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}-workloads-spec`,
      ]);
      store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'intruder' } });
      expect(podRefusal(store, 'intruder')).toContain(`may not use compute class ${CLASS}`);
      expect(podRefusal(store, 'default')).toBeUndefined();
    }
  }, 120_000);

  it('sees a deleted params ConfigMap as drift, and the next apply recreates it', async () => {
    for (const store of stores())
      store.delete('v1', 'ConfigMap', GUARDRAIL_PARAMS.namespace, GUARDRAIL_PARAMS.name);
    // The ConfigMap's policies are skipped; the -spec ones still refuse the class outside its namespaces.
    expect(podRefusal(stores()[0]!, 'default')).toBeUndefined();
    expect(podRefusal(stores()[0]!, 'intruder')).toContain(`may not use compute class ${CLASS}`);

    const plan = await planSpec(SPEC, { cloud, timing: TIMING, env });
    const changes = plan.resources.filter((r) => r.action !== 'noop');
    // One create per cluster, for the ConfigMap and nothing else.
    expect(changes.map((r) => r.action)).toEqual(SPEC.platforms[0]!.clusters.map(() => 'create'));
    for (const r of changes)
      expect(r.id).toContain(`ConfigMap/${GUARDRAIL_PARAMS.namespace}/${GUARDRAIL_PARAMS.name}`);

    expect((await apply()).converged).toBe(true);
    for (const store of stores()) expect(podRefusal(store, 'default')).toBeUndefined();
  }, 120_000);
});
