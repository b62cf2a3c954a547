/**
 * Admission in the sandbox's API servers, for every write to the store (the kube API's and the
 * sandbox's own controllers'): GKE's mutation first, then every bound ValidatingAdmissionPolicy
 * (admission-policy.ts), whose refusal is thrown as the API server's Status.
 */
import { enforcePolicies } from './admission-policy.js';
import type { Operation } from './admission-match.js';
import type { ResourceInfo } from './discovery.js';
import { celSyntaxError } from './cel.js';
import { invalid, KubeError } from './errors.js';
import type { KubeObject, ObjectStore } from './store.js';

export const COMPUTE_CLASS_KEY = 'cloud.google.com/compute-class';

/**
 * GKE's mutation: a pod whose node selector names a ComputeClass gets the toleration of that
 * class's taint (`cloud.google.com/compute-class=NAME:NoSchedule`), before any validation.
 */
export function addComputeClassToleration(pod: KubeObject) {
  const name = pod.spec?.nodeSelector?.[COMPUTE_CLASS_KEY];
  if (typeof name !== 'string') return;
  const tolerations: Record<string, unknown>[] = pod.spec.tolerations ?? [];
  const has = tolerations.some(
    (t) => t.key === COMPUTE_CLASS_KEY && t.value === name && (t.effect ?? 'NoSchedule') === 'NoSchedule',
  );
  if (!has)
    pod.spec.tolerations = [
      ...tolerations,
      { key: COMPUTE_CLASS_KEY, operator: 'Equal', value: name, effect: 'NoSchedule' },
    ];
}

/** The API server compiles a policy's CEL when it is written: a syntax error is refused there. */
function refuseUncompilable(policy: KubeObject) {
  const spec = policy.spec ?? {};
  const fields: [string, string | undefined][] = [
    ...((spec.matchConditions ?? []) as { expression?: string }[]).map(
      (m, i): [string, string | undefined] => [`spec.matchConditions[${i}].expression`, m.expression],
    ),
    ...((spec.variables ?? []) as { expression?: string }[]).map((v, i): [string, string | undefined] => [
      `spec.variables[${i}].expression`,
      v.expression,
    ]),
    ...((spec.validations ?? []) as { expression?: string; messageExpression?: string }[]).flatMap(
      (v, i): [string, string | undefined][] => [
        [`spec.validations[${i}].expression`, v.expression],
        ...(v.messageExpression !== undefined
          ? [[`spec.validations[${i}].messageExpression`, v.messageExpression] as [string, string]]
          : []),
      ],
    ),
  ];
  const causes = fields.flatMap(([field, expression]) => {
    // A missing expression is the schema's to refuse.
    const error = typeof expression === 'string' ? celSyntaxError(expression) : undefined;
    return error
      ? [{ reason: 'FieldValueInvalid', field, message: `Invalid value: compilation failed: ${error}` }]
      : [];
  });
  if (causes.length > 0)
    throw invalid('ValidatingAdmissionPolicy', 'admissionregistration.k8s.io', policy.metadata.name, causes);
}

/** The store's admission hook: mutates `object` in place, throws a refusal. */
export function admissionFor(store: ObjectStore) {
  return (operation: Operation, info: ResourceInfo, object: KubeObject, oldObject?: KubeObject) => {
    if (info.group === '' && info.kind === 'Pod') addComputeClassToleration(object);
    if (info.group === 'admissionregistration.k8s.io' && info.kind === 'ValidatingAdmissionPolicy')
      refuseUncompilable(object);
    const namespace = info.namespaced ? object.metadata.namespace : undefined;
    enforcePolicies(store, {
      operation,
      info,
      namespace,
      object,
      oldObject,
      namespaceObject: namespace ? store.get('v1', 'Namespace', undefined, namespace) : undefined,
    });
  };
}

/**
 * Why a pod made from a Deployment's template would be refused, or undefined: what the
 * Deployment's ReplicaSet would meet when it creates one (FailedCreate).
 */
export function podRefusal(store: ObjectStore, deployment: KubeObject): string | undefined {
  const info = store.registry.byKind('v1', 'Pod');
  if (!info || !store.admission) return undefined;
  // Controllers ask on every pass; the answer holds until anything in the store changes.
  const { namespace, name, generation } = deployment.metadata;
  const key = `${namespace}/${name}/${generation}`;
  let memo = refusals.get(store);
  if (memo?.resourceVersion !== store.resourceVersion)
    refusals.set(store, (memo = { resourceVersion: store.resourceVersion, answers: new Map() }));
  if (!memo.answers.has(key)) memo.answers.set(key, refusalOf(store, info, deployment));
  return memo.answers.get(key);
}

const refusals = new WeakMap<
  ObjectStore,
  { resourceVersion: string; answers: Map<string, string | undefined> }
>();

function refusalOf(store: ObjectStore, info: ResourceInfo, deployment: KubeObject): string | undefined {
  const template = deployment.spec?.template ?? {};
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${deployment.metadata.name}-`,
      namespace: deployment.metadata.namespace,
      labels: template.metadata?.labels ?? {},
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: deployment.metadata.name, controller: true },
      ],
    },
    spec: structuredClone(template.spec ?? {}),
  };
  try {
    store.admission!('CREATE', info, pod);
    return undefined;
  } catch (e) {
    if (e instanceof KubeError) return e.message;
    throw e;
  }
}
