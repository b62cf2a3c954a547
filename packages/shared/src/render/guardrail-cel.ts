/**
 * The guardrail's CEL, built from the class names known at render time. The same decisions as
 * spec/pod-guardrail.ts, each field read behind a `has()` guard: a pod without tolerations or
 * affinity is an ordinary pod, never an evaluation error. Strings are JSON-quoted, which CEL reads
 * as its own double-quoted literals; nothing here needs an escape sequence.
 */
import { COMPUTE_CLASS_KEY, SYSTEM_NAMESPACE_PREFIXES } from '../spec/pod-guardrail.js';

const q = (s: string) => JSON.stringify(s);
const KEY = q(COMPUTE_CLASS_KEY);

const OWNED_BY_DAEMONSET =
  'has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(r, ' +
  'has(r.apiVersion) && r.apiVersion == "apps/v1" && has(r.kind) && r.kind == "DaemonSet" && has(r.controller) && r.controller)';

/** Does the pod use class `c` (a comprehension variable): by node selector, required node affinity, or toleration. */
const USES_CLASS_C = [
  `(has(object.spec.nodeSelector) && ${KEY} in object.spec.nodeSelector && object.spec.nodeSelector[${KEY}] == c)`,
  '(has(object.spec.affinity) && has(object.spec.affinity.nodeAffinity) && ' +
    'has(object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution) && ' +
    'has(object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms) && ' +
    'object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.exists(term, ' +
    `has(term.matchExpressions) && term.matchExpressions.exists(e, e.key == ${KEY} && e.operator == "In" && has(e.values) && c in e.values)))`,
  `(has(object.spec.tolerations) && object.spec.tolerations.exists(t, has(t.key) && t.key == ${KEY} && has(t.value) && t.value == c))`,
  // Exists without a value tolerates every class's taint; a DaemonSet's node agents may do that.
  '(has(object.spec.tolerations) && object.spec.tolerations.exists(t, has(t.operator) && t.operator == "Exists" && ' +
    `(!has(t.key) || t.key == "" || t.key == ${KEY})) && !(${OWNED_BY_DAEMONSET}))`,
].join(' || ');

export function guardrailCel(classNames: readonly string[], params: { namespace: string; name: string }) {
  const classes = `[${classNames.map(q).join(', ')}]`;
  const permitted = `params.data[c].split(",").exists(ns, ns == request.namespace)`;
  return {
    /** Params-free, so a missing ConfigMap can never make them fail for pods that use no class. */
    notManagedNamespace: `!(${SYSTEM_NAMESPACE_PREFIXES.map((p) => `request.namespace.startsWith(${q(p)})`).join(' || ')})`,
    usesGuardedClass: `${classes}.exists(c, ${USES_CLASS_C})`,
    usedClasses: `${classes}.filter(c, ${USES_CLASS_C})`,
    refusedClasses: `variables.usedClasses.filter(c, !(params != null && has(params.data) && c in params.data && ${permitted}))`,
    paramsPresent: 'params != null',
    paramsMissingMessage:
      `the guardrail's params ConfigMap ${params.namespace}/${params.name} is missing, so pods that use a compute class ` +
      'are refused until it is back: run spillway apply, which recreates it',
    noneRefused: 'size(variables.refusedClasses) == 0',
    refusedMessage:
      `"pods in namespace " + request.namespace + " may not use compute class " + variables.refusedClasses.join(", ") + ` +
      q(
        ` (a ${COMPUTE_CLASS_KEY} node selector or affinity, a toleration of it, or a toleration of every taint): ` +
          "add the namespace to the class's namespaces in the platform spec and apply, or remove the selector or toleration",
      ),
  };
}
