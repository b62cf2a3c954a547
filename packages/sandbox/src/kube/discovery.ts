/**
 * The resources the API server serves, and the discovery documents that describe them (/api,
 * /apis, /apis/GROUP, /apis/GROUP/VERSION). Built-in kinds and the CRDs GKE installs are there
 * from the start; a CRD created through the API adds its group/version once it is Established.
 */
import { COMPUTE_CLASS_SCHEMA } from '../controllers/compute-class-schema.js';

export const KUBE_VERSION = {
  major: '1',
  minor: '34',
  gitVersion: 'v1.34.1-gke.1127000',
  gitCommit: 'b4e2c3c4d1e8e2c9d7f1a0b6a1f3e8d2c5b7a9e1',
  gitTreeState: 'clean',
  buildDate: '2025-10-01T00:00:00Z',
  goVersion: 'go1.24.6 X:boringcrypto',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const RW = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const SUB = ['get', 'patch', 'update'];

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, as in the URL. */
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served: `status` (spec and status written apart) and `scale`. */
  status: boolean;
  scale: boolean;
  /** openAPIV3Schema of the CRD that defines it, if created through the API. */
  schema?: unknown;
  /** Name of the CRD object that defines it. */
  crd?: string;
}

export const apiVersionOf = (r: Pick<ResourceInfo, 'group' | 'version'>) =>
  r.group ? `${r.group}/${r.version}` : r.version;

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

type Def = [name: string, kind: string, namespaced: boolean, extra?: Partial<ResourceInfo>];

const GROUPS: Record<string, Def[]> = {
  v1: [
    ['namespaces', 'Namespace', false, { shortNames: ['ns'], status: true }],
    ['secrets', 'Secret', true],
    ['configmaps', 'ConfigMap', true, { shortNames: ['cm'] }],
    ['services', 'Service', true, { shortNames: ['svc'], status: true, categories: ['all'] }],
    ['serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }],
    ['pods', 'Pod', true, { shortNames: ['po'], status: true, categories: ['all'] }],
    ['nodes', 'Node', false, { shortNames: ['no'], status: true }],
    ['events', 'Event', true, { shortNames: ['ev'] }],
  ],
  'apps/v1': [
    [
      'deployments',
      'Deployment',
      true,
      { shortNames: ['deploy'], status: true, scale: true, categories: ['all'] },
    ],
    // Node agents (a DaemonSet may tolerate every taint; the capacity-class guardrail allows it).
    ['daemonsets', 'DaemonSet', true, { shortNames: ['ds'], status: true, categories: ['all'] }],
  ],
  'batch/v1': [['jobs', 'Job', true, { status: true, categories: ['all'] }]],
  // The model servers on a ComputeClass get a PodDisruptionBudget (active migration evicts).
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true, { shortNames: ['pdb'], status: true }]],
  // Admission policies in CEL (admission.ts evaluates them on every write).
  'admissionregistration.k8s.io/v1': [
    ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false, { status: true }],
    ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false],
  ],
  // Leader election (controllers, and whoever holds a lock on the cluster) takes a Lease.
  'coordination.k8s.io/v1': [['leases', 'Lease', true]],
  'rbac.authorization.k8s.io/v1': [
    ['roles', 'Role', true],
    ['rolebindings', 'RoleBinding', true],
    ['clusterroles', 'ClusterRole', false],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
  ],
  'autoscaling/v2': [
    [
      'horizontalpodautoscalers',
      'HorizontalPodAutoscaler',
      true,
      { shortNames: ['hpa'], status: true, categories: ['all'] },
    ],
  ],
  'apiextensions.k8s.io/v1': [
    [
      'customresourcedefinitions',
      'CustomResourceDefinition',
      false,
      { shortNames: ['crd', 'crds'], status: true },
    ],
  ],
  'apiregistration.k8s.io/v1': [['apiservices', 'APIService', false, { status: true }]],
  // Installed by GKE (the Gateway controller, the GKE Inference Gateway, Managed Prometheus, the HPA).
  'inference.networking.k8s.io/v1': [
    ['inferencepools', 'InferencePool', true, { shortNames: ['infpool'], status: true }],
  ],
  'gateway.networking.k8s.io/v1': [
    ['gateways', 'Gateway', true, { shortNames: ['gtw'], status: true, categories: ['gateway-api'] }],
    ['httproutes', 'HTTPRoute', true, { status: true, categories: ['gateway-api'] }],
  ],
  'networking.gke.io/v1': [
    ['healthcheckpolicies', 'HealthCheckPolicy', true, { status: true }],
    ['gcpbackendpolicies', 'GCPBackendPolicy', true, { status: true }],
    ['gcpinferencepoolimports', 'GCPInferencePoolImport', true, { status: true }],
  ],
  'monitoring.googleapis.com/v1': [['podmonitorings', 'PodMonitoring', true, { status: true }]],
  'autoscaling.gke.io/v1beta1': [['autoscalingmetrics', 'AutoscalingMetric', true, { status: true }]],
  // Custom ComputeClasses: checked against GKE's schema when the server has the upstream schemas,
  // else against the fields the sandbox reads (controllers/compute-class-schema.ts).
  'cloud.google.com/v1': [
    ['computeclasses', 'ComputeClass', false, { status: true, schema: COMPUTE_CLASS_SCHEMA }],
  ],
};

function builtins(): ResourceInfo[] {
  return Object.entries(GROUPS).flatMap(([apiVersion, defs]) => {
    const { group, version } = splitApiVersion(apiVersion);
    return defs.map(([name, kind, namespaced, extra]) => ({
      group,
      version,
      name,
      singularName: kind.toLowerCase(),
      kind,
      namespaced,
      status: false,
      scale: false,
      ...extra,
    }));
  });
}

/** The served resources, by group/version. Built-ins stay; CRD-defined ones come and go. */
export class Registry {
  private readonly builtin = builtins();
  private fromCrds: ResourceInfo[] = [];

  all(): ResourceInfo[] {
    // A CRD for a resource GKE already serves replaces the built-in entry (with its schema).
    const shadowed = new Set(this.fromCrds.map((r) => `${r.group}/${r.version}/${r.name}`));
    return [
      ...this.builtin.filter((r) => !shadowed.has(`${r.group}/${r.version}/${r.name}`)),
      ...this.fromCrds,
    ];
  }

  byResource(group: string, version: string, name: string): ResourceInfo | undefined {
    return this.all().find((r) => r.group === group && r.version === version && r.name === name);
  }

  byKind(apiVersion: string, kind: string): ResourceInfo | undefined {
    const { group, version } = splitApiVersion(apiVersion);
    return this.all().find((r) => r.group === group && r.version === version && r.kind === kind);
  }

  /** Adds or replaces the resources an Established CRD defines. */
  setCrd(crd: any) {
    this.removeCrd(crd.metadata.name);
    const { group, names, scope, versions } = crd.spec;
    for (const v of versions ?? []) {
      if (v.served === false) continue;
      this.fromCrds.push({
        group,
        version: v.name,
        name: names.plural,
        singularName: names.singular ?? names.kind.toLowerCase(),
        kind: names.kind,
        namespaced: scope !== 'Cluster',
        shortNames: names.shortNames,
        categories: names.categories,
        status: Boolean(v.subresources?.status),
        scale: false,
        schema: v.schema?.openAPIV3Schema,
        crd: crd.metadata.name,
      });
    }
  }

  removeCrd(name: string) {
    this.fromCrds = this.fromCrds.filter((r) => r.crd !== name);
  }

  /** Group versions in order of first appearance; the first is the preferred one. */
  groups(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const r of this.all()) {
      if (!r.group) continue;
      const versions = out.get(r.group) ?? [];
      if (!versions.includes(r.version)) versions.push(r.version);
      out.set(r.group, versions);
    }
    return out;
  }
}

/** Checks a CRD as the API server does before it is accepted; returns problems as causes. */
export function crdProblems(crd: any): { field: string; message: string }[] {
  const spec = crd?.spec ?? {};
  const out: { field: string; message: string }[] = [];
  if (!spec.group) out.push({ field: 'spec.group', message: 'Required value' });
  if (!spec.names?.plural) out.push({ field: 'spec.names.plural', message: 'Required value' });
  if (!spec.names?.kind) out.push({ field: 'spec.names.kind', message: 'Required value' });
  if (!Array.isArray(spec.versions) || spec.versions.length === 0)
    out.push({ field: 'spec.versions', message: 'Required value' });
  if (spec.group && spec.names?.plural && crd.metadata?.name !== `${spec.names.plural}.${spec.group}`) {
    out.push({ field: 'metadata.name', message: `must be spec.names.plural+"."+spec.group` });
  }
  return out;
}

/** The status the API server gives a CRD it accepted: names accepted, then established. */
export function crdStatus(crd: any, now: string) {
  const condition = (type: string, reason: string, message: string) => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  const stored = (crd.spec.versions ?? []).filter((v: any) => v.storage).map((v: any) => v.name);
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: {
      ...crd.spec.names,
      singular: crd.spec.names.singular ?? crd.spec.names.kind.toLowerCase(),
    },
    storedVersions: stored.length ? stored : [crd.spec.versions[0].name],
  };
}

// --- documents -------------------------------------------------------------------------------

export function coreVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(group: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function groupList(registry: Registry) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...registry.groups()].map(([group, versions]) => groupDoc(group, versions)),
  };
}

export function apiGroup(registry: Registry, group: string) {
  const versions = registry.groups().get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group, versions) } : undefined;
}

export function resourceList(registry: Registry, group: string, version: string) {
  const served = registry.all().filter((r) => r.group === group && r.version === version);
  if (served.length === 0) return undefined;
  const resources = served.flatMap((r) => {
    const main = {
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: RW,
      ...(r.shortNames?.length ? { shortNames: r.shortNames } : {}),
      ...(r.categories?.length ? { categories: r.categories } : {}),
      storageVersionHash: hash(`${r.group}/${r.version}/${r.kind}`),
    };
    const subs = [];
    if (r.status)
      subs.push({
        name: `${r.name}/status`,
        singularName: '',
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: SUB,
      });
    if (r.scale) {
      subs.push({
        name: `${r.name}/scale`,
        singularName: '',
        namespaced: r.namespaced,
        group: 'autoscaling',
        version: 'v1',
        kind: 'Scale',
        verbs: SUB,
      });
    }
    return [main, ...subs];
  });
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

/** A short stable hash, as storageVersionHash is (clients only compare it). */
function hash(text: string): string {
  let h = 5381;
  for (const c of text) h = ((h * 33) ^ c.charCodeAt(0)) >>> 0;
  return Buffer.from(h.toString(16).padStart(8, '0')).toString('base64').slice(0, 11);
}
