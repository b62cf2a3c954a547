/**
 * Admission on the sandbox's Kubernetes API, driven by @kubernetes/client-node: GKE's
 * compute-class mutation, then ValidatingAdmissionPolicies evaluated with a real CEL library,
 * with Spillway's rendered capacity-class guardrail (and seed 002's policy, to show its bug).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import {
  checkSpec,
  formatIssue,
  guardrailObjects,
  GUARDRAIL_PARAMS,
  GUARDRAIL_POLICY,
  podGuardrailViolations,
  renderDesiredState,
  type KubeManifest,
} from '@spillway/shared';
import type { KubeApiServer } from '../src/kube/index.js';
import { podRefusal } from '../src/kube/admission.js';
import { failure, kubeConfig, startTestServer, UPSTREAM_DIR } from './kube-helpers.js';

const CLASS = 'h100-2';
const KEY = 'cloud.google.com/compute-class';
const classes = [{ name: CLASS, namespaces: ['team-a'] }];
const guardrail = guardrailObjects(classes, { 'app.kubernetes.io/managed-by': 'spillway' });
const refusedBy = `ValidatingAdmissionPolicy '${GUARDRAIL_POLICY}' with binding '${GUARDRAIL_POLICY}' denied request`;

let server: KubeApiServer;
let client: k8s.KubernetesObjectApi;
let core: k8s.CoreV1Api;

const apply = (obj: object) =>
  client.patch(
    structuredClone(obj) as k8s.KubernetesObject,
    undefined,
    undefined,
    'spillway',
    true,
    k8s.PatchStrategy.ServerSideApply,
  );

let podCount = 0;
/** Creates a pod through the API; its name is unique in the test. */
const createPod = (
  namespace: string,
  spec: Partial<k8s.V1PodSpec>,
  metadata: Partial<k8s.V1ObjectMeta> = {},
) =>
  core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: `pod-${++podCount}`, ...metadata },
      spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
    },
  });

const bySelector = { nodeSelector: { [KEY]: CLASS } };
const byToleration = { tolerations: [{ key: KEY, operator: 'Equal', value: CLASS, effect: 'NoSchedule' }] };
const keyless = { tolerations: [{ operator: 'Exists' }] };
const daemonSetOwner = {
  ownerReferences: [
    { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'u-1', controller: true },
  ],
};

beforeAll(async () => {
  server = await startTestServer();
  const kc = kubeConfig(server);
  client = k8s.KubernetesObjectApi.makeApiClient(kc);
  core = kc.makeApiClient(k8s.CoreV1Api);
  for (const name of ['team-a', 'intruder', 'gke-managed-system', 'foo'])
    await core.createNamespace({ body: { metadata: { name } } });
  for (const m of guardrail) await apply(m);
});

afterAll(async () => {
  await server.close();
});

describe('GKE’s compute-class mutation', () => {
  it('adds the class’s toleration to a pod that selects it, before admission', async () => {
    const pod = await createPod('team-a', bySelector);
    expect(pod.spec?.tolerations).toEqual([
      { key: KEY, operator: 'Equal', value: CLASS, effect: 'NoSchedule' },
    ]);
  });
});

describe('the capacity-class guardrail', () => {
  it('refuses a pod that tolerates the class in a namespace the class does not list', async () => {
    const { code, status } = await failure(createPod('intruder', byToleration));
    expect(code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.message).toMatch(/^pods "pod-\d+" is forbidden: /);
    expect(status.details.causes[0].message).toBe(
      `${refusedBy}: pods in namespace intruder may not use compute class ${CLASS} (a ${KEY} node selector or affinity, a toleration of it, or a toleration of every taint): add the namespace to the class's namespaces in the platform spec and apply, or remove the selector or toleration`,
    );
  });

  it('refuses a pod that selects the class with only a node selector', async () => {
    const { status } = await failure(createPod('intruder', bySelector));
    expect(status.message).toContain(
      `${refusedBy}: pods in namespace intruder may not use compute class ${CLASS}`,
    );
  });

  it('refuses a keyless Exists toleration outside the class’s namespaces, but admits a DaemonSet’s pod', async () => {
    const { status } = await failure(createPod('intruder', keyless));
    expect(status.message).toContain(`may not use compute class ${CLASS}`);
    const agent = await createPod('intruder', keyless, daemonSetOwner);
    expect(agent.metadata?.uid).toBeDefined();
  });

  it('admits pods in the class’s namespaces, and pods that use no class anywhere', async () => {
    for (const spec of [bySelector, byToleration, keyless]) await createPod('team-a', spec);
    await createPod('intruder', {});
    await createPod('intruder', { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] });
  });

  it('never blocks system namespaces', async () => {
    for (const ns of ['kube-system', 'gke-managed-system'])
      for (const spec of [bySelector, keyless]) await createPod(ns, spec);
  });

  it('admits the service’s own model-server pods, rendered from its spec', async () => {
    const deployment = serviceDeployment('team-a');
    const template = deployment.spec as { template: { spec: k8s.V1PodSpec; metadata: k8s.V1ObjectMeta } };
    expect(template.template.spec.nodeSelector?.[KEY]).toBe(CLASS);
    const pod = await createPod('team-a', template.template.spec, {
      labels: template.template.metadata.labels,
    });
    expect(pod.spec?.tolerations).toContainEqual({
      key: KEY,
      operator: 'Equal',
      value: CLASS,
      effect: 'NoSchedule',
    });
    // What the sandbox's workload controller asks before it creates the Deployment's pods.
    expect(
      podRefusal(server.store, { ...deployment, metadata: { ...deployment.metadata } } as never),
    ).toBeUndefined();
    expect(
      podRefusal(server.store, {
        ...deployment,
        metadata: { ...deployment.metadata, namespace: 'intruder' },
      } as never),
    ).toContain(refusedBy);
  });

  it('refuses a workload whose pod template uses the class outside its namespaces, when it is applied', async () => {
    const workload = (kind: string, namespace: string, spec: object) => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name: `agent-${++podCount}`, namespace },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
        },
      },
    });
    const { code, status } = await failure(apply(workload('Deployment', 'intruder', bySelector)));
    expect(code).toBe(422);
    expect(status.message).toMatch(/^deployments\.apps "agent-\d+" is forbidden: /);
    expect(status.details.causes[0].message).toContain(
      `ValidatingAdmissionPolicy '${GUARDRAIL_POLICY}-workloads' with binding '${GUARDRAIL_POLICY}-workloads' denied request: pods in namespace intruder may not use compute class ${CLASS}`,
    );
    await failure(apply(workload('Deployment', 'intruder', keyless)));
    await apply(workload('DaemonSet', 'intruder', keyless));
    await apply(workload('Deployment', 'team-a', bySelector));
    // The first Deployment and DaemonSet compile their upstream schemas: seconds on a busy machine.
  }, 60_000);

  it('while its params ConfigMap is missing, still refuses a class outside its namespaces and nothing else, until the rendered ConfigMap is applied again', async () => {
    await core.deleteNamespacedConfigMap(GUARDRAIL_PARAMS);
    try {
      // The ConfigMap's policies are skipped (parameterNotFoundAction Allow); the -spec ones hold.
      const { status } = await failure(createPod('intruder', bySelector));
      expect(status.details.causes[0].message).toBe(
        `ValidatingAdmissionPolicy '${GUARDRAIL_POLICY}-spec' with binding '${GUARDRAIL_POLICY}-spec' denied request: pods in namespace intruder may not use compute class ${CLASS} (a cloud.google.com/compute-class node selector or affinity, a toleration of it, or a toleration of every taint): add the namespace to the class's namespaces in the platform spec and apply, or remove the selector or toleration`,
      );
      await failure(createPod('intruder', byToleration));
      await failure(createPod('intruder', keyless));
      await createPod('team-a', bySelector);
      await createPod('intruder', {});
      await createPod('intruder', keyless, daemonSetOwner);
      await createPod('kube-system', bySelector);
    } finally {
      await apply(guardrail[0]!);
    }
    await createPod('team-a', bySelector);
  });

  it('skips a binding whose params are missing under Allow, and refuses every matching request under Deny, as the API server does', async () => {
    const only = (name: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        matchConstraints: {
          resourceRules: [
            { apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], operations: ['CREATE'] },
          ],
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'intruder' } },
        },
        validations: [{ expression: 'false', message: 'refused by the policy itself' }],
      },
    });
    const bind = (name: string, action: string) => ({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ['Deny'],
        paramRef: { namespace: 'default', name: 'no-such-configmap', parameterNotFoundAction: action },
      },
    });
    const made = [only('missing-allow'), bind('missing-allow', 'Allow')];
    for (const m of made) await apply(m as never);
    try {
      await createPod('intruder', {}); // Allow: the policy does not run at all
      for (const m of [only('missing-deny'), bind('missing-deny', 'Deny')]) {
        made.push(m);
        await apply(m as never);
      }
      const { status } = await failure(createPod('intruder', {}));
      expect(status.details.causes[0].message).toContain('no params found for policy binding with `Deny`');
    } finally {
      for (const m of made.reverse()) await client.delete(m as never);
    }
  });

  it('judges an update on the classes it adds, so what runs on a class can still change after its namespace is dropped', async () => {
    const running = await createPod('team-a', bySelector);
    const outside = await createPod('intruder', {});
    await apply({ ...guardrail[0]!, data: { [CLASS]: 'team-b' } });
    try {
      const relabelled = { ...running, metadata: { ...running.metadata, labels: { drained: 'yes' } } };
      await core.replaceNamespacedPod({
        name: running.metadata!.name!,
        namespace: 'team-a',
        body: relabelled,
      });
      const tolerating = { ...outside, spec: { ...outside.spec!, ...byToleration } };
      const { status } = await failure(
        core.replaceNamespacedPod({ name: outside.metadata!.name!, namespace: 'intruder', body: tolerating }),
      );
      expect(status.message).toContain(`pods in namespace intruder may not use compute class ${CLASS}`);
      await failure(createPod('team-a', bySelector));
    } finally {
      await apply(guardrail[0]!);
    }
  });

  it('decides as the offline check does, pod by pod', async () => {
    const specs = [
      {},
      bySelector,
      byToleration,
      keyless,
      { tolerations: [{ key: KEY, operator: 'Exists' }] },
    ];
    const owners = [{}, daemonSetOwner];
    const namespaces = ['team-a', 'intruder', 'kube-system', 'gke-managed-system'];
    const mismatches: string[] = [];
    for (const spec of specs)
      for (const owner of owners)
        for (const namespace of namespaces) {
          const offline =
            podGuardrailViolations({ namespace, spec, ...owner } as never, classes).length === 0;
          const admitted = await createPod(namespace, spec, owner).then(
            () => true,
            () => false,
          );
          if (offline !== admitted)
            mismatches.push(
              `${namespace} ${JSON.stringify({ spec, owner })}: offline ${offline}, admission ${admitted}`,
            );
        }
    expect(mismatches).toEqual([]);
    expect(podCount).toBeGreaterThan(40);
  });
});

describe('evaluation errors and failurePolicy', () => {
  const broken = (failurePolicy: 'Fail' | 'Ignore') => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: `reads-a-missing-field-${failurePolicy.toLowerCase()}` },
    spec: {
      failurePolicy,
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] },
        ],
      },
      // No has() guard: a pod without tolerations makes this an evaluation error.
      validations: [{ expression: 'object.spec.tolerations.all(t, t.key != "x")' }],
    },
  });
  const bindingFor = (policy: { metadata: { name: string } }) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: policy.metadata.name },
    spec: { policyName: policy.metadata.name, validationActions: ['Deny'] },
  });
  const installed: { apiVersion: string; kind: string; metadata: { name: string }; spec?: unknown }[] = [];
  afterEach(async () => {
    for (const o of installed.splice(0)) await client.delete(o);
  });

  it('refuses a policy whose CEL does not compile when it is written, naming the field', async () => {
    const policy = broken('Fail');
    policy.spec.validations = [{ expression: 'object.spec.tolerations.all(t, t.key !=' }];
    const { code, status } = await failure(apply(policy));
    expect(code).toBe(422);
    expect(status.details.causes).toEqual([
      {
        reason: 'FieldValueInvalid',
        field: 'spec.validations[0].expression',
        message: expect.stringMatching(/^Invalid value: compilation failed: /),
      },
    ]);
  });

  it('refuses on a CEL error when failurePolicy is Fail: an error never admits', async () => {
    const policy = broken('Fail');
    installed.push(policy, bindingFor(policy));
    for (const o of installed) await apply(o);
    const { code, status } = await failure(createPod('intruder', {}));
    expect(code).toBe(422);
    expect(status.details.causes[0].message).toMatch(
      /^ValidatingAdmissionPolicy 'reads-a-missing-field-fail' with binding 'reads-a-missing-field-fail' denied request: expression 'object.spec.tolerations.all\(t, t.key != "x"\)' resulted in error: .*tolerations/,
    );
  });

  it('admits on the same error when the binding only warns', async () => {
    const policy = broken('Fail');
    installed.push(policy, {
      ...bindingFor(policy),
      spec: { policyName: policy.metadata.name, validationActions: ['Warn'] },
    });
    for (const o of installed) await apply(o);
    await createPod('intruder', {});
  });

  it('admits on the same error when failurePolicy is Ignore', async () => {
    const policy = broken('Ignore');
    installed.push(policy, bindingFor(policy));
    for (const o of installed) await apply(o);
    await createPod('intruder', {});
  });
});

/** Seed 002's policy, binding and ConfigMap, as the seed prints them (data read at test time). */
function seed002(): KubeManifest[] | undefined {
  const file = path.resolve(UPSTREAM_DIR, '..', 'seeds', '002_9264ffdb9e3ba4a5.txt');
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim() === 'apiVersion: admissionregistration.k8s.io/v1');
  const end = lines.findIndex((l, i) => i > start && l.trim().startsWith('kubectl apply'));
  const indent = /^\s*/.exec(lines[start]!)![0].length;
  const text = lines
    .slice(start, end)
    .map((l) => l.slice(indent))
    .join('\n');
  return parseAllDocuments(text)
    .map((d) => d.toJS())
    .filter(Boolean);
}

describe('seed 002’s policy as written', () => {
  it('admits a pod that tolerates a listed class in a namespace not listed, which the fixed split refuses', async () => {
    const seed = seed002();
    if (!seed) return console.warn('skipped: ../shared/seeds is absent');
    const tolerating = { tolerations: [{ key: KEY, operator: 'Equal', value: 'MY_COMPUTE_CLASS' }] };
    const policy = seed.find((m) => m.kind === 'ValidatingAdmissionPolicy')!;
    const condition = (policy.spec as any).matchConditions[0].expression as string;
    // The folded block leaves CEL a split on a backslash and an n, never a newline.
    expect(condition).toContain(String.raw`split('\\n')`);
    try {
      for (const m of seed) await apply(m);
      await createPod('intruder', tolerating);
      const fixed = structuredClone(policy) as any;
      fixed.spec.matchConditions[0].expression = condition.replace(
        String.raw`split('\\n')`,
        String.raw`split('\n')`,
      );
      await apply(fixed);
      const { status } = await failure(createPod('intruder', tolerating));
      expect(status.details.causes[0].message).toBe(
        "ValidatingAdmissionPolicy 'restrict-toleration' with binding 'restrict-toleration-binding' denied request: Compute class toleration not permitted on workloads in namespace intruder",
      );
      await createPod('foo', tolerating);
      // With parameterNotFoundAction Deny, a missing ConfigMap refuses even a pod that uses no class.
      await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'allowed-ccc-namespaces' });
      const { status: missing } = await failure(createPod('intruder', { tolerations: [] }));
      expect(missing.details.causes[0].message).toContain(
        'failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction',
      );
    } finally {
      for (const m of seed.filter((m) => m.kind !== 'ConfigMap')) await client.delete(m as never);
    }
  });
});

/** The model-server Deployment the service renders when it runs on the class in `namespace`. */
function serviceDeployment(namespace: string): KubeManifest {
  const example = readFileSync(
    fileURLToPath(new URL('../../../examples/food-review.yaml', import.meta.url)),
    'utf8',
  );
  const [platformText, serviceText] = example.split(/^---$/m);
  const [platform, service] = [platformText!, serviceText!].map((t) => parseAllDocuments(t)[0]!.toJS());
  platform.spec.capacityClasses = [
    {
      name: CLASS,
      accelerator: { type: 'nvidia-h100-80gb', count: 2 },
      machineType: 'a3-highgpu-2g',
      order: [{ spot: {} }],
      namespaces: classes[0]!.namespaces,
      maxAccelerators: 16,
    },
  ];
  service.metadata.namespace = namespace;
  service.spec.model.capacityClass = CLASS;
  service.spec.model.gpusPerReplica = 2;
  const text = [platform, service].map((d) => JSON.stringify(d)).join('\n---\n');
  const result = checkSpec([{ file: 'spec.yaml', text }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  const found = renderDesiredState(result.spec).resources.find(
    (r) =>
      r.type === 'kubernetes.object' &&
      r.manifest.kind === 'Deployment' &&
      r.manifest.metadata.name === result.spec.services[0]!.pool.name,
  );
  return (found as { manifest: KubeManifest }).manifest;
}
