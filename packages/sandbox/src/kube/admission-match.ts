/**
 * Which requests a ValidatingAdmissionPolicy or binding looks at (`matchConstraints`,
 * `matchResources`): resource rules by group, version, resource and operation, exclusions, and the
 * namespace and object label selectors.
 */
import type { ResourceInfo } from './discovery.js';
import type { KubeObject } from './store.js';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  operation: Operation;
  info: ResourceInfo;
  namespace?: string;
  object: KubeObject;
  oldObject?: KubeObject;
  /** The request's Namespace object (undefined for cluster-scoped resources). */
  namespaceObject?: KubeObject;
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface ResourceRule {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  operations?: string[];
  scope?: string;
}

export interface MatchResources {
  resourceRules?: ResourceRule[];
  excludeResourceRules?: ResourceRule[];
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
}

const any = (list: string[] | undefined, value: string) => (list ?? []).some((v) => v === '*' || v === value);

function ruleMatches(rule: ResourceRule, req: AdmissionRequest): boolean {
  const scope = rule.scope ?? '*';
  const scoped = scope === '*' || (scope === 'Namespaced') === req.info.namespaced;
  return (
    scoped &&
    any(rule.apiGroups, req.info.group) &&
    any(rule.apiVersions, req.info.version) &&
    any(rule.resources, req.info.name) &&
    any(rule.operations, req.operation)
  );
}

/** A LabelSelector object against labels; an empty or absent selector matches everything. */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> = {}) {
  const byLabel = Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabel &&
    (selector?.matchExpressions ?? []).every((e) => {
      const has = e.key in labels;
      const values = e.values ?? [];
      switch (e.operator) {
        case 'In':
          return has && values.includes(labels[e.key]!);
        case 'NotIn':
          return !has || !values.includes(labels[e.key]!);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    })
  );
}

/**
 * Does a request fall under these match resources? `requireRules`: a policy's matchConstraints
 * must name resources; a binding's matchResources without rules narrows by selectors only.
 */
export function requestMatches(
  match: MatchResources | undefined,
  req: AdmissionRequest,
  requireRules: boolean,
) {
  if (!match) return !requireRules;
  const rules = match.resourceRules;
  if (rules ? !rules.some((r) => ruleMatches(r, req)) : requireRules) return false;
  if ((match.excludeResourceRules ?? []).some((r) => ruleMatches(r, req))) return false;
  // A cluster-scoped object is not in a namespace: the namespace selector does not apply to it.
  if (req.info.namespaced && !selectorMatches(match.namespaceSelector, req.namespaceObject?.metadata.labels))
    return false;
  return selectorMatches(match.objectSelector, (req.object ?? req.oldObject)?.metadata.labels);
}
