/**
 * The guardrail's CEL, built from the class names known at render time. The same decisions as
 * spec/pod-guardrail.ts, each field read behind a `has()` guard: a pod without tolerations or
 * affinity is an ordinary pod, never an evaluation error. Strings are JSON-quoted, which CEL reads
 * as its own double-quoted literals; nothing here needs an escape sequence.
 */
import { COMPUTE_CLASS_KEY, SYSTEM_NAMESPACE_PREFIXES } from '../spec/pod-guardrail.js';
import type { CapacityClassSpec } from '../spec/schema.js';

const q = (s: string) => JSON.stringify(s);
const KEY = q(COMPUTE_CLASS_KEY);

/**
 * Where the pods' spec is in the admitted object (`object`) or the one it replaces (`oldObject`),
 * and whether its pods belong to a DaemonSet.
 */
export type PodSource = (root: 'object' | 'oldObject') => { spec: string; daemonSet: string };

export const POD: PodSource = (root) => ({
  spec: `${root}.spec`,
  daemonSet:
    `has(${root}.metadata.ownerReferences) && ${root}.metadata.ownerReferences.exists(r, ` +
    'has(r.apiVersion) && r.apiVersion == "apps/v1" && has(r.kind) && r.kind == "DaemonSet" && has(r.controller) && r.controller)',
});

export const WORKLOAD_TEMPLATE: PodSource = (root) => ({
  spec: `${root}.spec.template.spec`,
  daemonSet: 'request.kind.kind == "DaemonSet"',
});

/** Does the pod use class `c` (a comprehension variable): by node selector, required node affinity, or toleration. */
function usesClassC({ spec, daemonSet }: ReturnType<PodSource>): string {
  const required = `${spec}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
  return [
    `(has(${spec}.nodeSelector) && ${KEY} in ${spec}.nodeSelector && ${spec}.nodeSelector[${KEY}] == c)`,
    `(has(${spec}.affinity) && has(${spec}.affinity.nodeAffinity) && has(${required}) && has(${required}.nodeSelectorTerms) && ` +
      `${required}.nodeSelectorTerms.exists(term, has(term.matchExpressions) && ` +
      `term.matchExpressions.exists(e, e.key == ${KEY} && e.operator == "In" && has(e.values) && c in e.values)))`,
    `(has(${spec}.tolerations) && ${spec}.tolerations.exists(t, has(t.key) && t.key == ${KEY} && has(t.value) && t.value == c))`,
    // Exists without a value tolerates every class's taint; a DaemonSet's node agents may do that.
    `(has(${spec}.tolerations) && ${spec}.tolerations.exists(t, has(t.operator) && t.operator == "Exists" && ` +
      `(!has(t.key) || t.key == "" || t.key == ${KEY})) && !(${daemonSet}))`,
  ].join(' || ');
}

/**
 * Where a policy reads each class's namespaces: the params ConfigMap (seed 002's interface, which
 * an operator can read and narrow), or the spec's namespaces written into the CEL. The second
 * holds while the ConfigMap is missing: with parameterNotFoundAction Allow the API server skips a
 * binding whose params are missing ("treated as successful validation"), and Deny would refuse
 * every matching request before any matchCondition runs (kubernetes/kubernetes#133827).
 */
export type NamespacesFrom = 'params' | { spec: readonly Pick<CapacityClassSpec, 'name' | 'namespaces'>[] };

export function guardrailCel(classNames: readonly string[], from: NamespacesFrom, pods: PodSource) {
  const classes = `[${classNames.map(q).join(', ')}]`;
  const permitted =
    from === 'params'
      ? 'has(params.data) && c in params.data && params.data[c].split(",").exists(ns, ns == request.namespace)'
      : `{${from.spec.map((c) => `${q(c.name)}: [${c.namespaces.map(q).join(', ')}]`).join(', ')}}[c].exists(ns, ns == request.namespace)`;
  return {
    /** Params-free, so which objects a policy looks at never depends on the ConfigMap. */
    notManagedNamespace: `!(${SYSTEM_NAMESPACE_PREFIXES.map((p) => `request.namespace.startsWith(${q(p)})`).join(' || ')})`,
    usesGuardedClass: `${classes}.exists(c, ${usesClassC(pods('object'))})`,
    usedClasses: `${classes}.filter(c, ${usesClassC(pods('object'))})`,
    // An update judges only what it adds: finalizers, labels and scaling of what already runs pass.
    newClasses: `variables.usedClasses.filter(c, oldObject == null || !(${usesClassC(pods('oldObject'))}))`,
    refusedClasses: `variables.newClasses.filter(c, !(${permitted}))`,
    noneRefused: 'size(variables.refusedClasses) == 0',
    refusedMessage:
      `"pods in namespace " + request.namespace + " may not use compute class " + variables.refusedClasses.join(", ") + ` +
      q(
        ` (a ${COMPUTE_CLASS_KEY} node selector or affinity, a toleration of it, or a toleration of every taint): ` +
          "add the namespace to the class's namespaces in the platform spec and apply, or remove the selector or toleration",
      ),
  };
}
