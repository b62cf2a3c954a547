/**
 * The guardrail's rules on a service's own rendered pod templates, before anything is applied:
 * a Deployment whose pods the guardrail would refuse applies cleanly and then fails in its
 * ReplicaSet, so it is a spec error instead.
 */
import type { SpecIssue } from '../spec/errors.js';
import type { Service, Spec } from '../spec/model.js';
import { podGuardrailViolations, type PodUnderCheck } from '../spec/pod-guardrail.js';
import type { SourceDocument } from '../spec/source.js';
import type { KubeManifest } from './graph.js';
import { renderDesiredState } from './index.js';

/** The pods a manifest makes, as the guardrail sees them: a Pod itself, or a workload's template. */
export function podsOf(manifest: KubeManifest): PodUnderCheck | undefined {
  const spec = manifest.spec as { template?: { spec?: PodUnderCheck['spec'] } } | undefined;
  const podSpec = manifest.kind === 'Pod' ? (spec as PodUnderCheck['spec']) : spec?.template?.spec;
  if (!podSpec) return undefined;
  const daemonSet = manifest.kind === 'DaemonSet';
  return {
    namespace: manifest.metadata.namespace ?? 'default',
    spec: podSpec,
    ...(daemonSet
      ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', controller: true }] }
      : {}),
  };
}

/** One issue per service and refused class, at the field that picks the class (else the namespace). */
export function serviceGuardrailIssues(service: Service, doc: SourceDocument): SpecIssue[] {
  const classes = service.platform.capacityClasses;
  if (classes.length === 0) return [];
  const state = renderDesiredState({ platforms: [service.platform], services: [service] });
  const issues = new Map<string, SpecIssue>();
  for (const resource of state.resources) {
    if (resource.type !== 'kubernetes.object' || resource.owner.service !== service.name) continue;
    const pod = podsOf(resource.manifest);
    if (!pod) continue;
    for (const v of podGuardrailViolations(pod, classes)) {
      const path =
        service.model.capacityClass === v.className ? ['spec', 'model', 'capacityClass'] : ['metadata'];
      const index = classes.findIndex((c) => c.name === v.className);
      const where = `${service.platform.source.file}:${service.platform.source.line}`;
      issues.set(v.className, {
        file: doc.file,
        ...doc.locate(path, { key: path.length === 1 }),
        path: path.join('.'),
        message: `the ${resource.manifest.kind} ${resource.manifest.metadata.name} would never run: the capacity-class guardrail refuses its pods, because ${v.message}`,
        hint: `${v.hint} (spec.capacityClasses[${index}].namespaces of platform ${service.platform.name}, ${where})`,
      });
    }
  }
  return [...issues.values()];
}

/** Every service's issues; empty when the platforms have no capacity classes. */
export function specGuardrailIssues(spec: Spec, docs: readonly SourceDocument[]): SpecIssue[] {
  return spec.services.flatMap((service, i) => serviceGuardrailIssues(service, docs[i]!));
}
