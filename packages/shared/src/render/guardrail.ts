/**
 * The capacity-class guardrail per cluster (issue 16, after seed 002, written right): a
 * ValidatingAdmissionPolicy, its binding, and the params ConfigMap naming each class's namespaces.
 *
 * - Pods only (CREATE, UPDATE); GKE adds a class's toleration to a pod that selects it before
 *   validation, and the policy checks the selector and affinity too, so it holds either way.
 * - Which pods it looks at is decided without params (matchConditions: not a system namespace,
 *   uses one of the classes named here), so a missing ConfigMap can only refuse pods that use a
 *   class. parameterNotFoundAction is Allow and the first validation refuses when params are
 *   null: with Deny the API server refuses every matching request before any matchCondition
 *   runs (kubernetes/kubernetes#133827), i.e. every pod in the cluster.
 * - failurePolicy Fail: an evaluation error refuses, it never admits.
 * - The ConfigMap lives in kube-system: a tenant who may edit `default` must not grant itself a class.
 */
import type { CapacityClassSpec } from '../spec/schema.js';
import { SYSTEM_NAMESPACES } from '../spec/pod-guardrail.js';
import type { KubeManifest } from './graph.js';
import { guardrailCel } from './guardrail-cel.js';

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

/** Policy, binding and params ConfigMap, in the order they are applied; none without classes. */
export function guardrailObjects(
  classes: readonly Pick<CapacityClassSpec, 'name' | 'namespaces'>[],
  labels: Record<string, string>,
): KubeManifest[] {
  if (classes.length === 0) return [];
  const cel = guardrailCel(
    classes.map((c) => c.name),
    GUARDRAIL_PARAMS,
  );
  const policy: KubeManifest = {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: GUARDRAIL_POLICY, labels },
    spec: {
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        resourceRules: [
          { apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] },
        ],
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
        { name: 'refusedClasses', expression: cel.refusedClasses },
      ],
      validations: [
        { expression: cel.paramsPresent, message: cel.paramsMissingMessage },
        { expression: cel.noneRefused, messageExpression: cel.refusedMessage },
      ],
    },
  };
  const binding: KubeManifest = {
    apiVersion: ADMISSION_API,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: GUARDRAIL_POLICY, labels },
    spec: {
      policyName: GUARDRAIL_POLICY,
      validationActions: ['Deny'],
      paramRef: { ...GUARDRAIL_PARAMS, parameterNotFoundAction: 'Allow' },
    },
  };
  return [guardrailParams(classes, labels), policy, binding];
}
