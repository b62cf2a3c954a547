import type { Spec } from '../spec/model.js';
import { GraphBuilder, type DesiredState } from './graph.js';
import { renderPlatformGcp } from './gcp.js';
import { renderPlatformKube, renderServiceKube } from './kubernetes.js';

/**
 * The desired state of a valid spec: every Google Cloud resource and Kubernetes object, with
 * dependencies. Pure: no I/O, and the same spec always gives the same output.
 */
export function renderDesiredState(spec: Spec): DesiredState {
  const graph = new GraphBuilder();
  for (const platform of spec.platforms) {
    const gcp = renderPlatformGcp(graph, platform);
    const kube = renderPlatformKube(graph, platform, gcp);
    for (const service of spec.services.filter((s) => s.platform === platform)) {
      renderServiceKube(graph, service, gcp, kube);
    }
  }
  const references = new Set(spec.platforms.filter((p) => p.reference).map((p) => p.name));
  return graph.build((r) => !r.owner.service && references.has(r.owner.platform));
}

export * from './graph.js';
export { ids, kubeContext, proxySubnetName } from './ids.js';
export { FIELD_MANAGER, gcpLabels, kubeLabels } from './labels.js';
export { REQUIRED_APIS } from './gcp.js';
export { GATEWAY_CLASS } from './gateway.js';
export { hpaMetricName, lbMetricName } from './autoscaling.js';
export { renderFiles, manifestPath } from './files.js';
export { renderScript } from './script.js';
export { SERVICE_RECORD_PREFIX, SERVICE_RECORD_KEY } from './service-record.js';
export { guardrailObjects, GUARDRAIL_POLICY, GUARDRAIL_PARAMS } from './guardrail.js';
