/**
 * What the API server checks before it stores an object: names and labels, then the object
 * against its schema — the upstream schemas in ../shared/upstream/ (read at run time, skipped when
 * absent) or the openAPIV3Schema of a CRD created through the API. Failures are 422 Invalid with
 * one cause per field; messages never quote values (a Secret's data must not leak into an error).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ajvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import type { ResourceInfo } from './discovery.js';
import { invalid, type StatusCause } from './errors.js';
import { isPlainObject } from './fieldpath.js';
import type { KubeObject } from './store.js';

const K8S = 'kubernetes/v1.32.2-standalone-strict';
const GAIE = 'gaie-v1.0.1/crd';
/**
 * GKE manages the InferencePool CRD and serves its newest schema, which accepts what every chart
 * release renders (v1.5.0 adds appProtocol; failureMode was already there).
 */
const GKE_MANAGED_GAIE = 'gaie-v1.5.0/crd';

/** Upstream schema of each kind: a JSON schema file, or a CRD file and the version in it. */
const UPSTREAM: Record<string, { json: string } | { crd: string; version: string }> = {
  'apps/v1 Deployment': { json: `${K8S}/deployment-apps-v1.json` },
  'apps/v1 DaemonSet': { json: `${K8S}/daemonset-apps-v1.json` },
  'v1 Service': { json: `${K8S}/service-v1.json` },
  'v1 ConfigMap': { json: `${K8S}/configmap-v1.json` },
  'v1 Secret': { json: `${K8S}/secret-v1.json` },
  'v1 ServiceAccount': { json: `${K8S}/serviceaccount-v1.json` },
  'rbac.authorization.k8s.io/v1 Role': { json: `${K8S}/role-rbac-v1.json` },
  'rbac.authorization.k8s.io/v1 RoleBinding': { json: `${K8S}/rolebinding-rbac-v1.json` },
  'rbac.authorization.k8s.io/v1 ClusterRole': { json: `${K8S}/clusterrole-rbac-v1.json` },
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': { json: `${K8S}/clusterrolebinding-rbac-v1.json` },
  'autoscaling/v2 HorizontalPodAutoscaler': { json: `${K8S}/horizontalpodautoscaler-autoscaling-v2.json` },
  'coordination.k8s.io/v1 Lease': { json: `${K8S}/lease-coordination-v1.json` },
  'policy/v1 PodDisruptionBudget': { json: `${K8S}/poddisruptionbudget-policy-v1.json` },
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy': {
    json: `${K8S}/validatingadmissionpolicy-admissionregistration-v1.json`,
  },
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding': {
    json: `${K8S}/validatingadmissionpolicybinding-admissionregistration-v1.json`,
  },
  'gateway.networking.k8s.io/v1 Gateway': { json: 'gateway.networking.k8s.io/gateway_v1.json' },
  'gateway.networking.k8s.io/v1 HTTPRoute': { json: 'gateway.networking.k8s.io/httproute_v1.json' },
  'networking.gke.io/v1 GCPBackendPolicy': { json: 'networking.gke.io/gcpbackendpolicy_v1.json' },
  'networking.gke.io/v1 HealthCheckPolicy': { json: 'networking.gke.io/healthcheckpolicy_v1.json' },
  'monitoring.googleapis.com/v1 PodMonitoring': { json: 'monitoring.googleapis.com/podmonitoring_v1.json' },
  'cloud.google.com/v1 ComputeClass': { json: 'cloud.google.com/computeclass_v1.json' },
  'inference.networking.k8s.io/v1 InferencePool': {
    crd: `${GKE_MANAGED_GAIE}/inference.networking.k8s.io_inferencepools.yaml`,
    version: 'v1',
  },
  'inference.networking.x-k8s.io/v1alpha2 InferenceObjective': {
    crd: `${GAIE}/inference.networking.x-k8s.io_inferenceobjectives.yaml`,
    version: 'v1alpha2',
  },
};

/** Kinds whose names are DNS labels (63); the others are DNS subdomains (253). */
const LABEL_NAMED = new Set(['/Namespace', '/Service']);
/** RBAC names are only path segments (e.g. `system:auth-delegator`), up to 253. */
const RBAC = new Set(
  ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map((k) => `rbac.authorization.k8s.io/${k}`),
);
const PATH_SEGMENT = /^(?!\.\.?$)[^/%]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

// ajv is CommonJS: under Node's ESM loader its class is the default export's `default`.
const ajv = new ajvModule.default({ strict: false, allErrors: true, validateFormats: false });
/** Compiled schemas, shared by every API server of the process (the Deployment schema takes ~0.3 s). */
const compiled = new Map<string, ValidateFunction>();

function compile(key: string, load: () => unknown): ValidateFunction {
  let v = compiled.get(key);
  if (!v) compiled.set(key, (v = ajv.compile(load() as object)));
  return v;
}

/**
 * A CRD schema as a strict API server applies it: objects that list their properties accept no
 * others, unless they preserve unknown fields.
 */
function closeObjects(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!isPlainObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] =
      k === 'properties' && isPlainObject(v)
        ? Object.fromEntries(Object.entries(v).map(([n, s]) => [n, closeObjects(s)]))
        : closeObjects(v);
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !out['x-kubernetes-preserve-unknown-fields']
  )
    out.additionalProperties = false;
  return out;
}

export class Validator {
  private readonly upstreamDir: string | undefined;

  constructor(upstreamDir?: string) {
    this.upstreamDir = upstreamDir && existsSync(upstreamDir) ? upstreamDir : undefined;
  }

  /** Throws 422 Invalid if the object is not one the API server would store. */
  check(obj: KubeObject, info: ResourceInfo) {
    const causes = [...this.metadataCauses(obj, info), ...this.schemaCauses(obj, info)];
    const unique = [...new Map(causes.map((c) => [`${c.field} ${c.message}`, c])).values()];
    if (unique.length) throw invalid(info.kind, info.group, obj.metadata?.name ?? '', unique);
  }

  private metadataCauses(obj: KubeObject, info: ResourceInfo): StatusCause[] {
    const name = nameCause(String(obj.metadata?.name ?? ''), `${info.group}/${info.kind}`);
    return [...(name ? [name] : []), ...labelCauses(obj.metadata?.labels ?? {})];
  }

  private validator(obj: KubeObject, info: ResourceInfo): ValidateFunction | undefined {
    const own = () => compile(`crd:${JSON.stringify(info.schema)}`, () => closeObjects(info.schema));
    // A CRD created through the API brings its schema; a built-in kind's own one is the fallback.
    if (info.schema && info.crd) return own();
    const source = UPSTREAM[`${obj.apiVersion} ${obj.kind}`];
    const file =
      source && this.upstreamDir && path.join(this.upstreamDir, 'json' in source ? source.json : source.crd);
    if (!source || !file || !existsSync(file)) return info.schema ? own() : undefined;
    if ('json' in source) return compile(file, () => JSON.parse(readFileSync(file, 'utf8')));
    return compile(`${file}#${source.version}`, () => {
      const crd = parse(readFileSync(file, 'utf8'));
      const version = crd.spec.versions.find((v: any) => v.name === source.version);
      return closeObjects(version?.schema?.openAPIV3Schema ?? {});
    });
  }

  private schemaCauses(obj: KubeObject, info: ResourceInfo): StatusCause[] {
    const validate = this.validator(obj, info);
    if (!validate) return [];
    const copy = structuredClone(obj);
    delete copy.metadata.managedFields;
    if (info.status) delete copy.status; // written by controllers, not checked on writes of the resource
    if (validate(copy)) return [];
    return (validate.errors ?? [])
      .filter((e) => !(e.instancePath === '/metadata/name' && e.keyword === 'maxLength')) // names are checked above, with the API server's limits
      .map(cause);
  }
}

/** The API server's name rules: DNS subdomains (253), DNS labels (63) or, for RBAC, path segments. */
function nameCause(name: string, groupKind: string): StatusCause | undefined {
  const field = 'metadata.name';
  if (!name)
    return {
      reason: 'FieldValueRequired',
      field,
      message: 'Required value: name or generateName is required',
    };
  const label = LABEL_NAMED.has(groupKind);
  const max = label ? 63 : 253;
  if (name.length > max)
    return { reason: 'FieldValueTooLong', field, message: `Too long: must have at most ${max} bytes` };
  if (RBAC.has(groupKind)) {
    if (PATH_SEGMENT.test(name)) return undefined;
    return {
      reason: 'FieldValueInvalid',
      field,
      message: `Invalid value: may not be '.' or '..' and may not contain '/' or '%'`,
    };
  }
  if ((label ? DNS_LABEL : DNS_SUBDOMAIN).test(name)) return undefined;
  const what = label ? 'label' : 'subdomain';
  return {
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: a lowercase RFC 1123 ${what} must consist of lower case alphanumeric characters, '-' or '.'`,
  };
}

/** Label keys (optional DNS-subdomain prefix, name of at most 63) and values (at most 63). */
function labelCauses(labels: Record<string, unknown>): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    const slash = key.lastIndexOf('/');
    const [prefix, base] = slash < 0 ? ['', key] : [key.slice(0, slash), key.slice(slash + 1)];
    const badPrefix = prefix !== '' && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix));
    if (badPrefix || base.length > 63 || !LABEL_NAME.test(base)) {
      const message = `Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.' (at most 63)`;
      out.push({ reason: 'FieldValueInvalid', field: 'metadata.labels', message });
    }
    if (typeof value !== 'string' || value.length > 63 || (value !== '' && !LABEL_NAME.test(value))) {
      const message =
        "Invalid value: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (at most 63)";
      out.push({ reason: 'FieldValueInvalid', field: `metadata.labels[${key}]`, message });
    }
  }
  return out;
}

function fieldOf(pointer: string, child?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** One ajv error as a Status cause. ajv messages name types and limits, never the value. */
function cause(e: ErrorObject): StatusCause {
  const p = e.params as Record<string, any>;
  const field = fieldOf(e.instancePath);
  switch (e.keyword) {
    case 'required':
      return {
        reason: 'FieldValueRequired',
        field: fieldOf(e.instancePath, p.missingProperty),
        message: 'Required value',
      };
    case 'additionalProperties': {
      const unknown = fieldOf(e.instancePath, p.additionalProperty);
      return { reason: 'FieldValueInvalid', field: unknown, message: `unknown field "${unknown}"` };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return {
        reason: 'FieldValueNotSupported',
        field,
        message: `Unsupported value: supported values: ${allowed}`,
      };
    }
    case 'type':
      return { reason: 'FieldValueTypeInvalid', field, message: `Invalid value: ${e.message}` };
    case 'maxLength':
      return { reason: 'FieldValueTooLong', field, message: `Too long: ${e.message}` };
    case 'maxItems':
      return { reason: 'FieldValueTooMany', field, message: `Too many: ${e.message}` };
    default:
      return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${e.message}` };
  }
}
