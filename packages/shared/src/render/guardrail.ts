/**
 * The capacity-class guardrail per cluster (issue 16, after seed 002, written right): the params
 * ConfigMap naming each class's namespaces, and ValidatingAdmissionPolicies with their bindings.
 *
 * - Pods, and the pod templates of Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs
 *   (CREATE, UPDATE), so a workload is refused when applied rather than failing in its
 *   controller later. GKE adds a class's toleration to a pod that selects it before validation;
 *   the policy checks the selector and affinity too, so it holds either way.
 * - Each pair twice: one reads the namespaces from the ConfigMap (parameterNotFoundAction Allow),
 *   one has the spec's namespaces written in. While the ConfigMap is missing the API server skips
 *   the first, and the second still refuses a class outside its namespaces and nothing else; apply
 *   recreates the ConfigMap (drift). An edit that narrows the ConfigMap takes effect at once.
 * - Which objects a policy looks at is decided without params (matchConditions: not a system
 *   namespace, uses one of the classes named here).
 * - failurePolicy Fail: an evaluation error refuses, it never admits.
 * - An UPDATE is judged on the classes it adds: an object already using a class keeps working
 *   (finalizers, labels, a ReplicaSet's scaling) after its namespace is dropped from the class.
 * - The ConfigMap lives in kube-system: a tenant who may edit `default` must not grant itself a class.
 */
import type { CapacityClassSpec } from '../spec/schema.js';
import { SYSTEM_NAMESPACES } from '../spec/pod-guardrail.js';
import type { KubeManifest } from './graph.js';
import {
  guardrailCel,
  POD,
  WORKLOAD_TEMPLATE,
  type NamespacesFrom,
  type PodSource,
} from './guardrail-cel.js';

export const GUARDRAIL_POLICY = 'spillway-compute-class-guardrail';
export const GUARDRAIL_PARAMS = { namespace: 'kube-system', name: 'spillway-compute-class-namespaces' };

const ADMISSION_API = 'admissionregistration.k8s.io/v1';

/** The params ConfigMap: one key per class, its namespaces comma-separated (names cannot hold a comma). */
export function guardrailParams(
  classes: readonly Pick<CapacityClassSpec, 'name' | 'namespaces'>[],
  labels: Record<string, string>,
): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...GUARDRAIL_PARAMS, labels },
    data: Object.fromEntries(classes.map((c) => [c.name, c.namespaces.join(',')])),
  };
}

type ResourceRule = { apiGroups: string[]; apiVersions: string[]; resources: string[] };

/** Pods, and the workloads that make them: a Deployment is refused when applied, not later in its ReplicaSet. */
const GUARDED = [
  {
    name: GUARDRAIL_POLICY,
    pods: POD,
    rules: [{ apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  },
  {
    name: `${GUARDRAIL_POLICY}-workloads`,
    pods: WORKLOAD_TEMPLATE,
    rules: [
      {
        apiGroups: ['apps'],
        apiVersions: ['v1'],
        resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'],
      },
      { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs'] },
    ],
  },
] satisfies { name: string; pods: PodSource; rules: ResourceRule[] }[];

function policy(
  name: string,
  rules: ResourceRule[],
  cel: ReturnType<typeof guardrailCel>,
  withParams: boolean,
  labels: Record<string, string>,
): KubeManifest {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name, labels },
    spec: {
      failurePolicy: 'Fail',
      ...(withParams ? { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' } } : {}),
      matchConstraints: {
        resourceRules: rules.map((r) => ({ ...r, operations: ['CREATE', 'UPDATE'] })),
        // Exact system namespaces without any CEL; the gke-/gmp- prefixes in a matchCondition.
        namespaceSelector: {
          matchExpressions: [
            { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...SYSTEM_NAMESPACES] },
          ],
        },
      },
      matchConditions: [
        { name: 'not-a-gke-managed-namespace', expression: cel.notManagedNamespace },
        { name: 'uses-a-guarded-compute-class', expression: cel.usesGuardedClass },
      ],
      variables: [
        { name: 'usedClasses', expression: cel.usedClasses },
        { name: 'newClasses', expression: cel.newClasses },
        { name: 'refusedClasses', expression: cel.refusedClasses },
      ],
      validations: [{ expression: cel.noneRefused, messageExpression: cel.refusedMessage }],
    },
  };
}

function binding(name: string, withParams: boolean, labels: Record<string, string>): KubeManifest {
  return {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name, labels },
    spec: {
      policyName: name,
      validationActions: ['Deny'],
      ...(withParams ? { paramRef: { ...GUARDRAIL_PARAMS, parameterNotFoundAction: 'Allow' } } : {}),
    },
  };
}

/** The params ConfigMap, then each policy and its binding, in the order they are applied; none without classes. */
export function guardrailObjects(
  classes: readonly Pick<CapacityClassSpec, 'name' | 'namespaces'>[],
  labels: Record<string, string>,
): KubeManifest[] {
  if (classes.length === 0) return [];
  const names = classes.map((c) => c.name);
  const sources: { suffix: string; from: NamespacesFrom }[] = [
    { suffix: '', from: 'params' },
    { suffix: '-spec', from: { spec: classes } },
  ];
  return [
    guardrailParams(classes, labels),
    ...sources.flatMap(({ suffix, from }) =>
      GUARDED.flatMap((g) => [
        policy(`${g.name}${suffix}`, g.rules, guardrailCel(names, from, g.pods), from === 'params', labels),
        binding(`${g.name}${suffix}`, from === 'params', labels),
      ]),
    ),
  ];
}
