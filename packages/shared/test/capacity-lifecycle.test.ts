/**
 * Pools GKE creates for a ComputeClass carry no Spillway mark of their own: plan never lists them
 * as orphans, and destroy leaves none behind, with in-memory clouds (no sandbox, no timing).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import type { Cloud } from '../src/cloud/clients.js';
import { checkSpec, formatIssue, renderDesiredState, type Resource, type Spec } from '../src/index.js';
import { createdByGke, findOrphans } from '../src/engine/orphans.js';
import { GUARDRAIL_PARAMS, GUARDRAIL_POLICY, guardrailObjects } from '../src/render/guardrail.js';
import { destroy } from '../src/engine/run.js';
import { engineContext } from '../src/engine/types.js';
import type { ResourceType } from '../src/render/graph.js';
import type { Pending } from '../src/engine/types.js';
import { fakeWorld } from './engine-fake.js';
import { exampleSpec } from './helpers.js';

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../examples/capacity-classes.yaml', import.meta.url)),
  'utf8',
);
const [PLATFORM, SERVICE] = EXAMPLE.split(/^---$/m).map((t) => stringify(parse(t!))) as [string, string];

function checked(texts: { file: string; text: string; reference?: boolean }[]): Spec {
  const result = checkSpec(texts);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec;
}

/** The pool GKE made for class h100-8 in gke-east: autoprovisioned, named nap-…, labels inherited. */
const napPool = {
  name: 'nap-a3-highgpu-8g-k3x9q2ab',
  autoscaling: { enabled: true, autoprovisioned: true, minNodeCount: 0, maxNodeCount: 1000 },
  config: { machineType: 'a3-highgpu-8g', resourceLabels: { 'managed-by': 'spillway' } },
};

describe('pools GKE creates for a capacity class', () => {
  it('are recognised by autoscaling.autoprovisioned, not by name or labels', () => {
    expect(createdByGke(napPool)).toBe(true);
    expect(createdByGke({ autoscaling: { autoprovisioned: false } })).toBe(false);
    expect(createdByGke({})).toBe(false);
  });

  it('are never orphans, while a pool Spillway made and the spec dropped is', async () => {
    const spec = checked([{ file: 'spec.yaml', text: `${PLATFORM}---\n${SERVICE}` }]);
    const state = renderDesiredState(spec);
    const oldPool = {
      name: 'h100',
      autoscaling: { enabled: true, minNodeCount: 0, maxNodeCount: 3 },
      config: { resourceLabels: { 'managed-by': 'spillway', 'spillway-platform': 'inference-prod' } },
    };
    const live = spec.platforms[0]!.clusters.map((c) => ({
      name: c.name,
      location: c.location,
      status: 'RUNNING',
      resourceLabels: { 'managed-by': 'spillway', 'spillway-platform': 'inference-prod' },
      nodePools: [{ name: 'default-pool' }, napPool, ...(c.name === 'gke-east' ? [oldPool] : [])],
    }));
    const cloud = {
      container: () => ({
        listClusters: async () => [{ clusters: live }],
        // Not running: no Kubernetes API to list, so only the GKE side is looked at.
        getCluster: async () => [{ status: 'PROVISIONING' }],
      }),
      rest: (api: string) => ({
        request: async () => (api === 'gkehub' ? { resources: [] } : { items: [] }),
      }),
    } as unknown as Cloud;
    const orphans = await findOrphans(spec, state, engineContext(spec, cloud));
    expect(orphans.map((o) => o.id)).toEqual(['container.nodePool/my-project/us-east4-a/gke-east/h100']);
  });
});

describe('what a spec that stops using capacity classes leaves behind', () => {
  it('the platform’s ComputeClasses and guardrail, and the service’s PodDisruptionBudgets, are orphans', async () => {
    // The example without classes: the same platform, clusters and service, on accelerator pools.
    const spec = exampleSpec();
    const state = renderDesiredState(spec);
    const platformLabels = { 'spillway.dev/platform': 'inference-prod' };
    const guardrail = guardrailObjects([{ name: 'h100-8', namespaces: ['default'] }], platformLabels);
    const left = (kind: string) =>
      kind === 'ComputeClass'
        ? [{ metadata: { name: 'h100-8', labels: platformLabels } }]
        : guardrail.some((m) => m.kind === kind)
          ? guardrail.filter((m) => m.kind === kind)
          : kind === 'PodDisruptionBudget'
            ? [
                {
                  metadata: {
                    name: 'vllm-llama3-8b-instruct',
                    namespace: 'default',
                    labels: { 'spillway.dev/service': 'food-review' },
                  },
                },
              ]
            : [];
    const cloud = {
      container: () => ({
        listClusters: async () => [{ clusters: [] }],
        getCluster: async () => [{ status: 'RUNNING', endpoint: '10.0.0.1', masterAuth: {} }],
      }),
      kube: () => ({ list: async (_apiVersion: string, kind: string) => left(kind) }),
      rest: (api: string) => ({
        request: async () => (api === 'gkehub' ? { resources: [] } : { items: [] }),
      }),
    } as unknown as Cloud;
    const orphans = await findOrphans(spec, state, engineContext(spec, cloud));
    const guardrailIds = (cluster: string) => [
      `kubernetes/${cluster}/core/ConfigMap/${GUARDRAIL_PARAMS.namespace}/${GUARDRAIL_PARAMS.name}`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicy/_cluster/${GUARDRAIL_POLICY}`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicy/_cluster/${GUARDRAIL_POLICY}-workloads`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding/_cluster/${GUARDRAIL_POLICY}`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding/_cluster/${GUARDRAIL_POLICY}-workloads`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicy/_cluster/${GUARDRAIL_POLICY}-spec`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicy/_cluster/${GUARDRAIL_POLICY}-workloads-spec`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding/_cluster/${GUARDRAIL_POLICY}-spec`,
      `kubernetes/${cluster}/admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding/_cluster/${GUARDRAIL_POLICY}-workloads-spec`,
    ];
    expect(orphans.map((o) => o.id).sort()).toEqual(
      [
        'kubernetes/gke-east/cloud.google.com/ComputeClass/_cluster/h100-8',
        'kubernetes/gke-east/policy/PodDisruptionBudget/default/vllm-llama3-8b-instruct',
        'kubernetes/gke-west/cloud.google.com/ComputeClass/_cluster/h100-8',
        'kubernetes/gke-west/policy/PodDisruptionBudget/default/vllm-llama3-8b-instruct',
        ...guardrailIds('gke-east'),
        ...guardrailIds('gke-west'),
      ].sort(),
    );
  });
});

/** An in-memory GKE where a cluster's pools live inside it, and node pool auto-creation runs. */
class FakeGke {
  /** cluster → pools (name → the Deployments whose pods it holds). */
  readonly pools = new Map<string, Map<string, Set<string>>>();

  /** GKE's side of node pool auto-creation: an autoprovisioned pool with no pods left is deleted. */
  autoscale() {
    for (const pools of this.pools.values())
      for (const [name, pods] of pools) if (name.startsWith('nap-') && pods.size === 0) pools.delete(name);
  }
}

const ALL_TYPES: ResourceType[] = [
  'serviceusage.service',
  'container.cluster',
  'container.nodePool',
  'gkehub.membership',
  'gkehub.feature',
  'compute.subnetwork',
  'iam.binding',
  'kubernetes.object',
];

/** The fake world's handlers for every type, with GKE's effects on pools when a cluster or a server goes. */
function world(state: Resource[]) {
  const { api, timing, context } = fakeWorld();
  const gke = new FakeGke();
  const base = api.handler();
  const handler = {
    ...base,
    delete: async (r: any, live: any, ctx: any) => {
      const pending = (await base.delete(r, live, ctx)) as Pending;
      return {
        ...pending,
        poll: async () => {
          const done = await pending.poll();
          if (done.done && r.type === 'container.cluster') gke.pools.delete(r.name);
          if (done.done && r.type === 'kubernetes.object' && r.manifest.kind === 'Deployment')
            for (const pools of gke.pools.values())
              for (const pods of pools.values()) pods.delete(r.manifest.metadata.name);
          return done;
        },
      };
    },
  };
  for (const r of state) api.live.set(r.id, { value: 'v1', owned: true });
  const ctx = () => {
    const c = context();
    c.handlers = Object.fromEntries(ALL_TYPES.map((t) => [t, handler]));
    return c;
  };
  return { api, gke, timing, ctx };
}

describe('destroy after a class scaled up leaves no GPU pool behind', () => {
  it('a platform: each cluster is deleted, its auto-created pools with it; no pool is deleted on its own', async () => {
    const spec = checked([{ file: 'spec.yaml', text: `${PLATFORM}---\n${SERVICE}` }]);
    const state = renderDesiredState(spec);
    const { api, gke, timing, ctx } = world(state.resources);
    for (const cluster of ['gke-west', 'gke-east'])
      gke.pools.set(cluster, new Map([[napPool.name, new Set(['vllm-llama3-8b-instruct'])]]));

    const result = await destroy(state, ctx(), { timing });

    expect(result.converged).toBe(true);
    const deleted = api.calls.filter((c) => c.startsWith('delete '));
    expect(deleted).toEqual(
      expect.arrayContaining([
        'delete container.cluster/my-project/europe-west3-c/gke-west',
        'delete container.cluster/my-project/us-east4-a/gke-east',
      ]),
    );
    expect(deleted.filter((c) => c.includes('container.nodePool'))).toEqual([]);
    expect([...gke.pools.keys()]).toEqual([]);
  });

  it('a service on a read-only platform: its servers go, GKE then removes the emptied pool; the class stays', async () => {
    const spec = checked([
      { file: 'service.yaml', text: SERVICE },
      { file: 'platform.yaml', text: PLATFORM, reference: true },
    ]);
    const state = renderDesiredState(spec);
    const { api, gke, timing, ctx } = world(state.resources);
    gke.pools.set('gke-east', new Map([[napPool.name, new Set(['vllm-llama3-8b-instruct'])]]));

    const result = await destroy(state, ctx(), { timing });
    gke.autoscale();

    expect(result.converged).toBe(true);
    const deleted = api.calls.filter((c) => c.startsWith('delete '));
    expect(deleted).toContain('delete kubernetes/gke-east/apps/Deployment/default/vllm-llama3-8b-instruct');
    expect(deleted).toContain(
      'delete kubernetes/gke-east/policy/PodDisruptionBudget/default/vllm-llama3-8b-instruct',
    );
    expect(deleted.filter((c) => c.includes('ComputeClass') || c.includes('container.'))).toEqual([]);
    expect(gke.pools.get('gke-east')!.size).toBe(0);
  });
});
