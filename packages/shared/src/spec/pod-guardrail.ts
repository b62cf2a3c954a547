/**
 * The capacity-class guardrail's rules on one pod, offline: the same decisions the rendered
 * ValidatingAdmissionPolicy makes at admission (render/guardrail.ts), so a service's own pod
 * templates are checked before apply and a Deployment never applies cleanly only to have every
 * pod of its ReplicaSet refused.
 */

/** The node label and taint key of a GKE custom ComputeClass. */
export const COMPUTE_CLASS_KEY = 'cloud.google.com/compute-class';

/**
 * Namespaces the guardrail never blocks. kube-public and kube-node-lease hold no workloads;
 * kube-system runs GKE's node agents (GPU device plugin and driver installer, kube-proxy, logging),
 * which tolerate every taint; gke-* (gke-managed-system, gke-gmp-system, …) and gmp-* (Managed
 * Prometheus collectors on every node) are GKE's managed add-ons, changed by GKE, not by tenants.
 */
export const SYSTEM_NAMESPACES = ['kube-system', 'kube-public', 'kube-node-lease'] as const;
export const SYSTEM_NAMESPACE_PREFIXES = ['gke-', 'gmp-'] as const;

export function isSystemNamespace(namespace: string): boolean {
  return (
    (SYSTEM_NAMESPACES as readonly string[]).includes(namespace) ||
    SYSTEM_NAMESPACE_PREFIXES.some((p) => namespace.startsWith(p))
  );
}

/** A class and the namespaces whose pods may use it (spec.capacityClasses[].namespaces). */
export interface GuardedClass {
  name: string;
  namespaces: readonly string[];
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
}

interface NodeSelectorRequirement {
  key?: string;
  operator?: string;
  values?: string[];
}

/** The fields of a pod (or a pod template) the guardrail reads. */
export interface PodUnderCheck {
  namespace: string;
  ownerReferences?: { apiVersion?: string; kind?: string; controller?: boolean }[];
  spec: {
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: { matchExpressions?: NodeSelectorRequirement[] }[];
        };
      };
    };
  };
}

export interface GuardrailViolation {
  className: string;
  namespace: string;
  allowed: readonly string[];
  /** How the pod uses the class. */
  via: 'nodeSelector' | 'nodeAffinity' | 'toleration' | 'toleration of every class';
  /** What is refused. */
  message: string;
  /** What to do. */
  hint: string;
}

/** A DaemonSet's pod (the controller owner): node agents run everywhere and never cause a scale-up. */
export function ownedByDaemonSet(pod: Pick<PodUnderCheck, 'ownerReferences'>): boolean {
  return (pod.ownerReferences ?? []).some(
    (r) => r.apiVersion === 'apps/v1' && r.kind === 'DaemonSet' && r.controller === true,
  );
}

/** How a pod uses a class, or undefined when it does not. */
function usage(pod: PodUnderCheck, name: string): GuardrailViolation['via'] | undefined {
  const { spec } = pod;
  if (spec.nodeSelector?.[COMPUTE_CLASS_KEY] === name) return 'nodeSelector';
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  const inAffinity = (terms ?? []).some((term) =>
    (term.matchExpressions ?? []).some(
      (e) => e.key === COMPUTE_CLASS_KEY && e.operator === 'In' && (e.values ?? []).includes(name),
    ),
  );
  if (inAffinity) return 'nodeAffinity';
  const tolerations = spec.tolerations ?? [];
  if (tolerations.some((t) => t.key === COMPUTE_CLASS_KEY && t.value === name)) return 'toleration';
  const everyClass = tolerations.some(
    (t) => t.operator === 'Exists' && (!t.key || t.key === COMPUTE_CLASS_KEY),
  );
  if (everyClass && !ownedByDaemonSet(pod)) return 'toleration of every class';
  return undefined;
}

/**
 * Every class a pod would use outside the namespaces allowed for it. Empty in system namespaces,
 * and for classes the guardrail does not guard (not in `classes`).
 */
export function podGuardrailViolations(
  pod: PodUnderCheck,
  classes: readonly GuardedClass[],
): GuardrailViolation[] {
  if (isSystemNamespace(pod.namespace)) return [];
  const out: GuardrailViolation[] = [];
  for (const cls of classes) {
    const via = usage(pod, cls.name);
    if (!via || cls.namespaces.includes(pod.namespace)) continue;
    const allowed = cls.namespaces.join(', ');
    const wildcard = via === 'toleration of every class';
    out.push({
      className: cls.name,
      namespace: pod.namespace,
      allowed: cls.namespaces,
      via,
      message: wildcard
        ? `a toleration of every taint (operator Exists without a value) would let pods in namespace ${pod.namespace} onto compute class ${cls.name}, which only namespaces ${allowed} may use`
        : `pods in namespace ${pod.namespace} select compute class ${cls.name} (by ${via}), which only namespaces ${allowed} may use`,
      hint: wildcard
        ? `tolerate specific taints instead, or add ${pod.namespace} to the class's namespaces`
        : `add ${pod.namespace} to the class's namespaces, or run the pods in one of ${allowed}`,
    });
  }
  return out;
}
