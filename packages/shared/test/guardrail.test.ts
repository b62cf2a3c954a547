/**
 * The capacity-class guardrail as rendered (policy, binding, params ConfigMap), its conformance
 * with the Kubernetes 1.32 schemas, and the same rules offline on pod templates. Its CEL is
 * evaluated against pods on the sandbox (packages/sandbox/test/kube-admission.test.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { parse as parseCel } from '@marcbachmann/cel-js';
import {
  checkSpec,
  formatIssue,
  renderDesiredState,
  type KubeManifest,
  type KubeObjectResource,
} from '../src/index.js';
import { GUARDRAIL_PARAMS, GUARDRAIL_POLICY, guardrailObjects } from '../src/render/guardrail.js';
import { podsOf } from '../src/render/guardrail-check.js';
import { podGuardrailViolations, type PodUnderCheck } from '../src/spec/pod-guardrail.js';
import { editedExample, exampleSpec, positionOf } from './helpers.js';
import { UPSTREAM_PRESENT, UpstreamSchemas } from './upstream.js';

const CLASS = 'h100-2';
const classes = [{ name: CLASS, namespaces: ['default', 'team-a'] }];

/** The example with one H100 class allowed in `namespaces`, the service on it when `onClass`. */
function withClass(namespaces: string[], edit: (service: Record<string, any>) => void = () => {}) {
  return editedExample(({ platform, service }) => {
    platform.spec.capacityClasses = [
      {
        name: CLASS,
        accelerator: { type: 'nvidia-h100-80gb', count: 2 },
        machineType: 'a3-highgpu-2g',
        order: [{ spot: {} }],
        namespaces,
        maxAccelerators: 16,
      },
    ];
    edit(service);
  });
}

function guardrailOf(text: string) {
  const result = checkSpec([{ file: 'spec.yaml', text }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return renderDesiredState(result.spec).resources.filter(
    (r): r is KubeObjectResource =>
      r.type === 'kubernetes.object' &&
      (r.manifest.apiVersion.startsWith('admissionregistration.k8s.io/') ||
        r.manifest.metadata.name === GUARDRAIL_PARAMS.name),
  );
}

const pod = (namespace: string, spec: PodUnderCheck['spec'], extra: Partial<PodUnderCheck> = {}) => ({
  namespace,
  spec,
  ...extra,
});
const refused = (p: PodUnderCheck) => podGuardrailViolations(p, classes).map((v) => v.className);

describe('guardrail: rendering', () => {
  it('renders nothing for a platform without capacity classes', () => {
    const kinds = renderDesiredState(exampleSpec()).resources.flatMap((r) =>
      r.type === 'kubernetes.object' ? [r.manifest.kind] : [],
    );
    expect(kinds).not.toContain('ValidatingAdmissionPolicy');
    expect(kinds).not.toContain('ValidatingAdmissionPolicyBinding');
    expect(guardrailObjects([], {})).toEqual([]);
  });

  it('renders params, then a policy and its binding for pods and for workloads, in every cluster', () => {
    const objects = guardrailOf(withClass(['default', 'team-a']));
    const byCluster = new Map<string, KubeObjectResource[]>();
    for (const r of objects) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r]);
    expect([...byCluster.keys()].sort()).toEqual(['gke-east', 'gke-west']);
    for (const [, [params, ...rest]] of byCluster) {
      expect([params!, ...rest].map((r) => `${r.manifest.kind} ${r.manifest.metadata.name}`)).toEqual([
        `ConfigMap ${GUARDRAIL_PARAMS.name}`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}-workloads`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}-workloads`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}-spec`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}-spec`,
        `ValidatingAdmissionPolicy ${GUARDRAIL_POLICY}-workloads-spec`,
        `ValidatingAdmissionPolicyBinding ${GUARDRAIL_POLICY}-workloads-spec`,
      ]);
      expect(params!.manifest.data).toEqual({ [CLASS]: 'default,team-a' });
      const pairs = [0, 2, 4, 6].map((i) => rest.slice(i, i + 2)) as [
        KubeObjectResource,
        KubeObjectResource,
      ][];
      for (const [i, [policy, binding]] of pairs.entries()) {
        // A binding is applied after the params and the policy it names.
        expect(binding.dependsOn).toEqual(expect.arrayContaining([params!.id, policy.id]));
        expect((binding.manifest.spec as any).paramRef).toEqual(
          i < 2 ? { ...GUARDRAIL_PARAMS, parameterNotFoundAction: 'Allow' } : undefined,
        );
        expect((policy.manifest.spec as any).failurePolicy).toBe('Fail');
      }
    }
  });

  it('validates each object against the Kubernetes 1.32 schemas', () => {
    if (!UPSTREAM_PRESENT) return console.warn('skipped: ../shared/upstream is absent');
    const schemas = new UpstreamSchemas();
    const manifests = guardrailObjects(classes, { 'app.kubernetes.io/managed-by': 'spillway' });
    expect(manifests.flatMap((m) => schemas.errors(`${m.kind} ${m.metadata.name}`, m))).toEqual([]);
    // The schema has teeth: a misspelt paramRef field is refused (the strict schema's closed objects).
    const broken = structuredClone(manifests[2]!) as KubeManifest & { spec: any };
    broken.spec.paramRef.paramNotFoundAction = 'Allow';
    expect(schemas.errors('broken', broken)).not.toEqual([]);
  });

  it('writes CEL that parses, with no escape sequence for a YAML block to mangle (seed 002)', () => {
    const policies = guardrailObjects(classes, {}).filter((m) => m.kind === 'ValidatingAdmissionPolicy');
    expect(
      policies.map((p) => (p.spec as any).matchConstraints.resourceRules.flatMap((r: any) => r.resources)),
    ).toEqual([
      ['pods'],
      ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs'],
      ['pods'],
      ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs'],
    ]);
    for (const policy of policies.map((p) => p.spec as any)) {
      const expressions: string[] = [
        ...policy.matchConditions.map((m: any) => m.expression),
        ...policy.variables.map((v: any) => v.expression),
        ...policy.validations.map((v: any) => v.expression),
        ...policy.validations.flatMap((v: any) => (v.messageExpression ? [v.messageExpression] : [])),
      ];
      expect(expressions).toHaveLength(7);
      for (const e of expressions) {
        expect(() => parseCel(e)).not.toThrow();
        expect(e).not.toContain('\\');
      }
      // Which objects it looks at never depends on params, so a missing ConfigMap cannot widen it.
      expect(policy.matchConditions.map((m: any) => m.expression).join(' ')).not.toContain('params');
    }
  });

  it("holds without its ConfigMap: a second pair of policies has the spec's namespaces written in, without params", () => {
    const objects = guardrailObjects(classes, {});
    const policies = objects.filter((m) => m.kind === 'ValidatingAdmissionPolicy') as any[];
    const bindings = objects.filter((m) => m.kind === 'ValidatingAdmissionPolicyBinding') as any[];
    const withParams = policies.filter((p) => p.spec.paramKind);
    const written = policies.filter((p) => !p.spec.paramKind);
    expect([withParams.length, written.length]).toEqual([2, 2]);
    for (const p of written) {
      expect(JSON.stringify(p.spec)).not.toContain('params');
      for (const c of classes)
        expect(p.spec.variables.find((v: any) => v.name === 'refusedClasses').expression).toContain(
          `${JSON.stringify(c.name)}: [${c.namespaces.map((n) => JSON.stringify(n)).join(', ')}]`,
        );
    }
    // A binding has a paramRef exactly when its policy has a paramKind (else the API server refuses it).
    for (const b of bindings)
      expect(Boolean(b.spec.paramRef)).toBe(
        Boolean(policies.find((p) => p.metadata.name === b.spec.policyName).spec.paramKind),
      );
    expect(
      withParams.map((p) => bindings.find((b) => b.spec.policyName === p.metadata.name).spec.paramRef),
    ).toEqual([
      { ...GUARDRAIL_PARAMS, parameterNotFoundAction: 'Allow' },
      { ...GUARDRAIL_PARAMS, parameterNotFoundAction: 'Allow' },
    ]);
  });
});

describe('guardrail: the rules on a pod, offline', () => {
  it('refuses a class selected or tolerated outside its namespaces, in every way a pod can', () => {
    const bySelector = { nodeSelector: { 'cloud.google.com/compute-class': CLASS } };
    const byToleration = {
      tolerations: [{ key: 'cloud.google.com/compute-class', operator: 'Equal', value: CLASS }],
    };
    const byAffinity = {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [
                  { key: 'cloud.google.com/compute-class', operator: 'In', values: [CLASS] },
                ],
              },
            ],
          },
        },
      },
    };
    for (const spec of [bySelector, byToleration, byAffinity]) {
      expect(refused(pod('intruder', spec))).toEqual([CLASS]);
      expect(refused(pod('team-a', spec))).toEqual([]);
    }
    const [violation] = podGuardrailViolations(pod('intruder', bySelector), classes);
    expect(violation!.message).toBe(
      'pods in namespace intruder select compute class h100-2 (by nodeSelector), which only namespaces default, team-a may use',
    );
    expect(violation!.hint).toBe(
      "add intruder to the class's namespaces, or run the pods in one of default, team-a",
    );
  });

  it('refuses a toleration of every taint, except on a DaemonSet’s pod', () => {
    const keyless = { tolerations: [{ operator: 'Exists' }] };
    const everyClass = { tolerations: [{ key: 'cloud.google.com/compute-class', operator: 'Exists' }] };
    const daemonSet = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', controller: true }] };
    expect(refused(pod('intruder', keyless))).toEqual([CLASS]);
    expect(refused(pod('intruder', everyClass))).toEqual([CLASS]);
    expect(refused(pod('intruder', keyless, daemonSet))).toEqual([]);
    // A DaemonSet may tolerate every class, never pick one.
    expect(
      refused(pod('intruder', { nodeSelector: { 'cloud.google.com/compute-class': CLASS } }, daemonSet)),
    ).toEqual([CLASS]);
  });

  it('never blocks system namespaces, and leaves ordinary pods and other classes alone', () => {
    const keyless = { tolerations: [{ operator: 'Exists' }] };
    for (const ns of ['kube-system', 'kube-public', 'kube-node-lease', 'gke-managed-system', 'gmp-system'])
      expect(refused(pod(ns, keyless))).toEqual([]);
    expect(refused(pod('intruder', {}))).toEqual([]);
    expect(
      refused(pod('intruder', { nodeSelector: { 'cloud.google.com/compute-class': 'autopilot' } })),
    ).toEqual([]);
    expect(
      refused(pod('intruder', { tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists' }] })),
    ).toEqual([]);
  });
});

describe('guardrail: a service’s own pod templates, before apply', () => {
  it('reads a workload’s template as its pods, a DaemonSet’s as a DaemonSet’s pods', () => {
    const workload = (kind: string): KubeManifest => ({
      apiVersion: 'apps/v1',
      kind,
      metadata: { name: 'agent', namespace: 'intruder' },
      spec: { template: { spec: { tolerations: [{ operator: 'Exists' }] } } },
    });
    expect(refused(podsOf(workload('Deployment'))!)).toEqual([CLASS]);
    expect(refused(podsOf(workload('DaemonSet'))!)).toEqual([]);
    expect(podsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })).toBeUndefined();
  });

  const onClass = (service: Record<string, any>) => {
    service.spec.model.capacityClass = CLASS;
    service.spec.model.gpusPerReplica = 2;
  };

  it('accepts a service on the clusters’ own pools in a namespace no class lists: none of its pods tolerates every taint', () => {
    const result = checkSpec([{ file: 'spec.yaml', text: withClass(['team-a']) }]);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  });

  it('accepts a service on a class that allows its namespace', () => {
    const result = checkSpec([{ file: 'spec.yaml', text: withClass(['default'], onClass) }]);
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([]);
  });

  it('refuses a service on a class that does not allow its namespace, at model.capacityClass', () => {
    const text = withClass(['team-a'], onClass);
    const result = checkSpec([{ file: 'spec.yaml', text }]);
    const issues = result.ok ? [] : result.issues;
    expect(issues.map((i) => `${i.path}: ${i.message} — ${i.hint}`)).toEqual([
      `spec.model.capacityClass: the Deployment vllm-llama3-8b-instruct would never run: the capacity-class guardrail refuses its pods, because pods in namespace default select compute class ${CLASS} (by nodeSelector), which only namespaces team-a may use — add default to the class's namespaces, or run the pods in one of team-a (spec.capacityClasses[0].namespaces of platform inference-prod, spec.yaml:1)`,
    ]);
    expect({ line: issues[0]!.line, column: issues[0]!.column }).toEqual(
      positionOf(text, CLASS, 'capacityClass:'),
    );
  });
});
