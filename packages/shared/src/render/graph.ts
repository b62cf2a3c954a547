import { isDeepStrictEqual } from 'node:util';

/** Who a resource belongs to: destroy deletes only what carries these marks (CONTRACT.md §4). */
export interface Owner {
  platform: string;
  service?: string;
}

interface Base {
  /** Stable and unique within a desired state, e.g. `gke.cluster/my-project/europe-west3-c/gke-west`. */
  id: string;
  dependsOn: string[];
  owner: Owner;
  /** One line a person reads in a plan or a progress list. */
  title: string;
}

/** A Google API enabled on the project (Service Usage). */
export interface ApiServiceResource extends Base {
  type: 'serviceusage.service';
  project: string;
  service: string;
}

/** A GKE cluster: `body` is the ClusterManager v1 `Cluster` of the create request. */
export interface ClusterResource extends Base {
  type: 'container.cluster';
  project: string;
  location: string;
  name: string;
  body: Record<string, unknown>;
}

/** A GKE node pool: `body` is the ClusterManager v1 `NodePool` of the create request. */
export interface NodePoolResource extends Base {
  type: 'container.nodePool';
  project: string;
  location: string;
  cluster: string;
  name: string;
  body: Record<string, unknown>;
}

/** A GKE Hub fleet membership (location global). */
export interface MembershipResource extends Base {
  type: 'gkehub.membership';
  project: string;
  membershipId: string;
  body: Record<string, unknown>;
}

/** A GKE Hub fleet feature (location global). */
export interface FeatureResource extends Base {
  type: 'gkehub.feature';
  project: string;
  featureId: string;
  body: Record<string, unknown>;
}

/** A proxy-only subnet; one that already exists for the region and network is adopted, never deleted. */
export interface SubnetworkResource extends Base {
  type: 'compute.subnetwork';
  project: string;
  region: string;
  name: string;
  body: Record<string, unknown>;
}

/**
 * One member in one role of the project's IAM policy. `member` may contain `{projectNumber}`,
 * which apply resolves from Resource Manager (rendering reads nothing).
 */
export interface IamBindingResource extends Base {
  type: 'iam.binding';
  project: string;
  role: string;
  member: string;
}

/** Where a Secret's value comes from at apply time; the value itself is never rendered. */
export type SecretSource = { fromEnv: string } | { secretManager: string };

/** A Kubernetes object, applied server-side with field manager `spillway`. */
export interface KubeObjectResource extends Base {
  type: 'kubernetes.object';
  cluster: string;
  /** Which file of `render --out` holds it: crds, platform, service-NAME or gateway-NAME. */
  bundle: string;
  manifest: KubeManifest;
  /** For the token Secret: `stringData` is filled from this source at apply time. */
  secretSource?: { key: string; source: SecretSource };
}

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export type Resource =
  | ApiServiceResource
  | ClusterResource
  | NodePoolResource
  | MembershipResource
  | FeatureResource
  | SubnetworkResource
  | IamBindingResource
  | KubeObjectResource;

export type ResourceType = Resource['type'];

/** The desired state: every resource, in an order where each comes after what it depends on. */
export interface DesiredState {
  resources: Resource[];
}

/** Collects resources; a resource rendered twice (a shared Namespace) must be rendered identically. */
export class GraphBuilder {
  private readonly byId = new Map<string, Resource>();

  add(resource: Resource): string {
    const existing = this.byId.get(resource.id);
    if (!existing) {
      this.byId.set(resource.id, resource);
      return resource.id;
    }
    const { dependsOn: a, owner: _o1, ...restA } = existing;
    const { dependsOn: b, owner: _o2, ...restB } = resource;
    if (!isDeepStrictEqual(restA, restB)) {
      throw new Error(`internal: ${resource.id} was rendered twice, differently`);
    }
    existing.dependsOn = [...new Set([...a, ...b])];
    return resource.id;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /**
   * The resources in dependency order. `existing` names resources that are not Spillway's to
   * change here (a reference platform's): they are left out, and what depends on them only reads them.
   */
  build(existing: (r: Resource) => boolean = () => false): DesiredState {
    const left = new Set<string>();
    for (const [id, r] of this.byId) {
      if (existing(r)) {
        this.byId.delete(id);
        left.add(id);
      }
    }
    for (const r of this.byId.values()) {
      r.dependsOn = r.dependsOn.filter((d) => d !== r.id && !left.has(d)).sort();
      for (const d of r.dependsOn) {
        if (!this.byId.has(d)) throw new Error(`internal: ${r.id} depends on ${d}, which is not rendered`);
      }
    }
    return { resources: topologicalOrder([...this.byId.values()]) };
  }
}

/** Kahn's algorithm with ties broken by id, so the same spec always gives the same order. */
export function topologicalOrder<T extends { id: string; dependsOn: string[] }>(items: T[]): T[] {
  const byId = new Map(items.map((i) => [i.id, i]));
  const waiting = new Map(items.map((i) => [i.id, new Set(i.dependsOn.filter((d) => byId.has(d)))]));
  const dependents = new Map<string, string[]>();
  for (const i of items) {
    for (const d of i.dependsOn) {
      const list = dependents.get(d);
      if (list) list.push(i.id);
      else dependents.set(d, [i.id]);
    }
  }
  const ready = items
    .filter((i) => waiting.get(i.id)!.size === 0)
    .map((i) => i.id)
    .sort();
  const out: T[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    out.push(byId.get(id)!);
    for (const next of dependents.get(id) ?? []) {
      const w = waiting.get(next)!;
      w.delete(id);
      if (w.size === 0) insertSorted(ready, next);
    }
  }
  if (out.length !== items.length) {
    const stuck = items.filter((i) => !out.includes(i)).map((i) => i.id);
    throw new Error(`internal: dependency cycle among ${stuck.join(', ')}`);
  }
  return out;
}

function insertSorted(list: string[], value: string) {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]! < value) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, value);
}
