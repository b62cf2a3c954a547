import { stringify } from 'yaml';
import type { Spec } from '../spec/model.js';
import type { DesiredState, KubeObjectResource, Resource } from './graph.js';
import { renderScript } from './script.js';

/**
 * What `spillway render --out DIR` writes, as relative path → content: Kubernetes manifests per
 * cluster and bundle (in dependency order), the Google Cloud request bodies, and a runnable script.
 * Pure, so the same spec gives byte-identical files. Secrets appear without their value.
 */
export function renderFiles(spec: Spec, state: DesiredState): Map<string, string> {
  const files = new Map<string, string>();
  // Secrets are left out: their value is not rendered, and apply.sh creates them from their source
  // (applying a value-less copy with the same field manager would remove the value).
  const kube = state.resources.filter(
    (r): r is KubeObjectResource => r.type === 'kubernetes.object' && !r.secretSource,
  );
  for (const [path, objects] of groupBy(kube, (r) => manifestPath(r.cluster, r.bundle))) {
    files.set(path, objects.map((r) => toYaml(r)).join('---\n'));
  }
  const gcp = state.resources.filter((r) => r.type !== 'kubernetes.object');
  files.set('google-cloud.yaml', gcp.map((r) => stringify(gcpView(r), YAML_OPTIONS)).join('---\n'));
  files.set('apply.sh', renderScript(spec, state));
  return new Map([...files.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Plain YAML: no anchors for objects that happen to be shared, no folded lines. */
const YAML_OPTIONS = { lineWidth: 0, aliasDuplicateObjects: false } as const;

export const manifestPath = (cluster: string, bundle: string) => `kubernetes/${cluster}/${bundle}.yaml`;

function toYaml(r: KubeObjectResource): string {
  return stringify(r.manifest, YAML_OPTIONS);
}

function gcpView(r: Exclude<Resource, KubeObjectResource>): Record<string, unknown> {
  const { id, dependsOn, owner: _owner, title: _title, ...rest } = r;
  return { id, ...rest, dependsOn };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}
