/**
 * Helpers for the conformance test: read the upstream reference data in ../shared/upstream/
 * (see its SOURCES.md) at run time, validate rendered Kubernetes objects against the upstream
 * schemas with ajv, and check by hand the CEL rules (x-kubernetes-validations) ajv cannot run.
 * Nothing from that folder is copied into the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeManifest } from '../src/index.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const UPSTREAM_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'upstream');
export const UPSTREAM_PRESENT = existsSync(path.join(UPSTREAM_DIR, 'SOURCES.md'));

export const upstreamFile = (rel: string) => path.join(UPSTREAM_DIR, rel);
export const readUpstream = (rel: string) => readFileSync(upstreamFile(rel), 'utf8');
export const readUpstreamYaml = (rel: string): any => parse(readUpstream(rel));
/** Every non-empty document of a multi-document YAML file. */
export const readUpstreamYamlDocs = (rel: string): any[] =>
  parseAllDocuments(readUpstream(rel))
    .map((d) => d.toJS())
    .filter((d) => d != null);

/** `apiVersion kind`, the key of the schema tables below. */
export const gvk = (m: { apiVersion: string; kind: string }) => `${m.apiVersion} ${m.kind}`;

const K8S = 'kubernetes/v1.32.2-standalone-strict';
const GAIE_CRD = 'gaie-v1.0.1/crd';

type SchemaSource = { json: string } | { crd: string; version: string };

/** Where each kind's upstream schema lives, relative to the upstream folder. */
export const SCHEMA_SOURCES: Record<string, SchemaSource> = {
  'apps/v1 Deployment': { json: `${K8S}/deployment-apps-v1.json` },
  'v1 Service': { json: `${K8S}/service-v1.json` },
  'v1 ConfigMap': { json: `${K8S}/configmap-v1.json` },
  'v1 Secret': { json: `${K8S}/secret-v1.json` },
  'v1 ServiceAccount': { json: `${K8S}/serviceaccount-v1.json` },
  'rbac.authorization.k8s.io/v1 Role': { json: `${K8S}/role-rbac-v1.json` },
  'rbac.authorization.k8s.io/v1 RoleBinding': { json: `${K8S}/rolebinding-rbac-v1.json` },
  'rbac.authorization.k8s.io/v1 ClusterRole': { json: `${K8S}/clusterrole-rbac-v1.json` },
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': { json: `${K8S}/clusterrolebinding-rbac-v1.json` },
  'autoscaling/v2 HorizontalPodAutoscaler': { json: `${K8S}/horizontalpodautoscaler-autoscaling-v2.json` },
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy': {
    json: `${K8S}/validatingadmissionpolicy-admissionregistration-v1.json`,
  },
  'admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyBinding': {
    json: `${K8S}/validatingadmissionpolicybinding-admissionregistration-v1.json`,
  },
  'policy/v1 PodDisruptionBudget': { json: `${K8S}/poddisruptionbudget-policy-v1.json` },
  'cloud.google.com/v1 ComputeClass': { json: 'cloud.google.com/computeclass_v1.json' },
  'gateway.networking.k8s.io/v1 Gateway': { json: 'gateway.networking.k8s.io/gateway_v1.json' },
  'gateway.networking.k8s.io/v1 HTTPRoute': { json: 'gateway.networking.k8s.io/httproute_v1.json' },
  'networking.gke.io/v1 GCPBackendPolicy': { json: 'networking.gke.io/gcpbackendpolicy_v1.json' },
  'networking.gke.io/v1 HealthCheckPolicy': { json: 'networking.gke.io/healthcheckpolicy_v1.json' },
  'monitoring.googleapis.com/v1 PodMonitoring': { json: 'monitoring.googleapis.com/podmonitoring_v1.json' },
  'inference.networking.k8s.io/v1 InferencePool': {
    crd: `${GAIE_CRD}/inference.networking.k8s.io_inferencepools.yaml`,
    version: 'v1',
  },
  'inference.networking.x-k8s.io/v1alpha2 InferenceObjective': {
    crd: `${GAIE_CRD}/inference.networking.x-k8s.io_inferenceobjectives.yaml`,
    version: 'v1alpha2',
  },
};

/**
 * Kinds with no schema in the upstream folder, each with the reason. A rendered kind that is in
 * neither table fails the test: a new kind must be given a schema or a reason here.
 */
export const NO_UPSTREAM_SCHEMA: Record<string, string> = {
  'networking.gke.io/v1 GCPInferencePoolImport':
    'created by GKE from the exported InferencePool, never rendered; no published schema',
  'autoscaling.gke.io/v1beta1 AutoscalingMetric': 'no published schema (known from the GKE docs only)',
  'v1 Namespace': 'no schema in the upstream folder',
  'apiregistration.k8s.io/v1 APIService':
    'no schema in the upstream folder (the adapter test compares it with the upstream manifest)',
  'apiextensions.k8s.io/v1 CustomResourceDefinition':
    'no schema in the upstream folder (the CRD test compares it with the upstream CRD)',
};

// ---------------------------------------------------------------------------------------------
// Schemas

/** A CRD version's openAPIV3Schema. */
export function crdSchema(rel: string, version: string): any {
  const crd = readUpstreamYaml(rel);
  const v = crd.spec.versions.find((x: any) => x.name === version);
  if (!v) throw new Error(`${rel} has no version ${version}`);
  return v.schema.openAPIV3Schema;
}

/**
 * A copy of a schema with every `description` keyword removed. Keys of a `properties` map are
 * property names, not keywords, so a property called `description` is kept.
 */
export function withoutDescriptions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description') continue;
    out[key] =
      key === 'properties' && value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, withoutDescriptions(sub)]))
        : withoutDescriptions(value);
  }
  return out;
}

/**
 * What the datreeio catalog does to a CRD schema, so unknown fields fail here as they fail a
 * strict server-side apply: objects that list their properties get `additionalProperties: false`
 * unless they preserve unknown fields.
 */
function closeObjects(schema: any): any {
  if (Array.isArray(schema)) return schema.map(closeObjects);
  if (!schema || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'properties' && value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, closeObjects(sub)]))
        : closeObjects(value);
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !out['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** Formats the upstream schemas use; simple checks, as ajv-formats is not installed. */
function addFormats(ajv: Ajv) {
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/);
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  ajv.addFormat('ipv4', /^(\d{1,3}\.){3}\d{1,3}$/);
  ajv.addFormat('ipv6', /^[0-9A-Fa-f:.]+$/);
}

export function formatAjvError(id: string, e: ErrorObject): string {
  const p = e.params as Record<string, any>;
  const detail =
    e.keyword === 'additionalProperties'
      ? ` (${p.additionalProperty})`
      : e.keyword === 'enum'
        ? ` (${(p.allowedValues as unknown[]).join(' | ')})`
        : '';
  return `${id}: ${e.instancePath || '/'} ${e.message}${detail}`;
}

const RBAC_KINDS = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
const DNS_SUBDOMAIN_MAX = 253;

/**
 * Where an upstream schema is stricter than the API server, each with the reason. An error a
 * quirk covers is dropped; the conformance test checks that each quirk is still needed and narrow.
 */
export const SCHEMA_QUIRKS: {
  what: string;
  reason: string;
  covers: (m: KubeManifest, e: ErrorObject) => boolean;
}[] = [
  {
    what: 'metadata.name of an RBAC object longer than 63',
    reason:
      'the kubernetes/ schemas cap every metadata.name at 63, but the API server checks RBAC names only as path segments; ' +
      "the inferencepool chart's own GMP collector RoleBinding name is longer than 63",
    covers: (m, e) =>
      RBAC_KINDS.has(m.kind) &&
      e.instancePath === '/metadata/name' &&
      e.keyword === 'maxLength' &&
      m.metadata.name.length <= DNS_SUBDOMAIN_MAX,
  },
];

export class UpstreamSchemas {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly objectMeta: ValidateFunction;

  /** `gaie` names the gateway-api-inference-extension release whose CRDs check its kinds. */
  constructor(private readonly gaie: 'gaie-v1.0.1' | 'gaie-v1.5.0' = 'gaie-v1.0.1') {
    addFormats(this.ajv);
    // ObjectMeta, from a standalone-strict schema: CRD-based schemas only say `metadata: object`.
    // Its name cap of 63 is the schema copy's, not the API server's (most names are DNS subdomains).
    const metadata = JSON.parse(readUpstream(`${K8S}/configmap-v1.json`)).properties.metadata;
    metadata.properties.name.maxLength = DNS_SUBDOMAIN_MAX;
    this.objectMeta = this.ajv.compile(metadata);
  }

  /** The compiled schema of a kind, or undefined if the upstream folder has none. */
  validator(key: string): ValidateFunction | undefined {
    const source = SCHEMA_SOURCES[key];
    if (!source) return undefined;
    let v = this.compiled.get(key);
    if (!v) {
      const schema =
        'json' in source
          ? JSON.parse(readUpstream(source.json))
          : closeObjects(crdSchema(source.crd.replace(GAIE_CRD, `${this.gaie}/crd`), source.version));
      v = this.ajv.compile(schema);
      this.compiled.set(key, v);
    }
    return v;
  }

  /**
   * Schema errors of one object as `id: /path message` lines; metadata is always checked against
   * ObjectMeta. Throws for a kind that has no schema and is not listed in NO_UPSTREAM_SCHEMA.
   */
  errors(id: string, manifest: KubeManifest): string[] {
    const key = gvk(manifest);
    const out: string[] = [];
    if (!this.objectMeta(manifest.metadata)) {
      out.push(
        ...this.objectMeta.errors!.map((e) =>
          formatAjvError(id, { ...e, instancePath: `/metadata${e.instancePath}` }),
        ),
      );
    }
    if (!this.validator(key)) {
      if (!(key in NO_UPSTREAM_SCHEMA))
        throw new Error(`${id}: no upstream schema for ${key}, and it is not listed in NO_UPSTREAM_SCHEMA`);
      return out;
    }
    const errors = this.schemaErrors(manifest).filter(
      (e) => !SCHEMA_QUIRKS.some((q) => q.covers(manifest, e)),
    );
    return [...out, ...errors.map((e) => formatAjvError(id, e))];
  }

  /** The raw errors of an object against its kind's schema, quirks included. */
  schemaErrors(manifest: KubeManifest): ErrorObject[] {
    const validate = this.validator(gvk(manifest));
    return validate && !validate(manifest) ? [...validate.errors!] : [];
  }
}

// ---------------------------------------------------------------------------------------------
// CEL rules (x-kubernetes-validations) that ajv does not run

const has = (o: Record<string, unknown> | undefined, k: string) => o !== undefined && o[k] !== undefined;

/** Fields that may be set in `default` or in `scopes[]`, never both (GCPBackendPolicy 5691d02). */
const SCOPED_FIELDS = [
  'capacityScalerPercent',
  'maxRatePerEndpoint',
  'balancingMode',
  'backendPreference',
  'customMetrics',
  'trafficDuration',
  'maxInFlightRequestsPerEndpoint',
];
const SCOPE_SELECTOR_KEYS = ['gke.io/zone', 'gke.io/region', 'gke.io/cluster-name'];
const SCOPED_TARGETS = ['GCPInferencePoolImport', 'ServiceImport'];

/** The rules on one effective configuration: `default`, or `default` overlaid by one scope. */
function backendConfigViolations(c: Record<string, any>, at: string): string[] {
  const out: string[] = [];
  const duration = c.trafficDuration as string | undefined;
  const mode = c.balancingMode as string | undefined;
  if (duration !== undefined && duration !== 'SHORT' && duration !== 'LONG')
    out.push(`${at}: trafficDuration ${duration} is not SHORT or LONG`);
  if (mode === 'IN_FLIGHT' && duration !== 'LONG')
    out.push(`${at}: balancingMode IN_FLIGHT needs trafficDuration LONG`);
  if (duration === 'LONG' && (mode === undefined || mode === 'RATE'))
    out.push(`${at}: trafficDuration LONG needs a balancingMode other than RATE`);
  if (has(c, 'maxInFlightRequestsPerEndpoint')) {
    const n = c.maxInFlightRequestsPerEndpoint;
    if (!Number.isInteger(n) || n < 1 || n > 1e9)
      out.push(`${at}: maxInFlightRequestsPerEndpoint ${n} is not in 1..1000000000`);
    if (mode === undefined || mode === 'RATE')
      out.push(`${at}: maxInFlightRequestsPerEndpoint needs a balancingMode other than RATE`);
    if (duration !== 'LONG') out.push(`${at}: maxInFlightRequestsPerEndpoint needs trafficDuration LONG`);
  }
  if (has(c, 'maxRatePerEndpoint') && mode === 'IN_FLIGHT')
    out.push(`${at}: maxRatePerEndpoint is not allowed with balancingMode IN_FLIGHT`);
  if (has(c, 'maxRatePerEndpoint') && duration === 'LONG')
    out.push(`${at}: maxRatePerEndpoint is not allowed with trafficDuration LONG`);
  return out;
}

function customMetricsViolations(metrics: unknown, at: string): string[] {
  if (metrics === undefined) return [];
  if (!Array.isArray(metrics)) return [`${at}.customMetrics: not a list`];
  const out: string[] = [];
  if (metrics.length > 2) out.push(`${at}.customMetrics: ${metrics.length} items, at most 2 allowed`);
  metrics.forEach((m: Record<string, any>, i) => {
    const here = `${at}.customMetrics[${i}]`;
    if (typeof m.dryRun !== 'boolean') out.push(`${here}: dryRun must be set`);
    if (typeof m.name !== 'string' || m.name === '') out.push(`${here}: name must be set`);
    const p = m.maxUtilizationPercent;
    if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 100))
      out.push(`${here}: maxUtilizationPercent ${p} is not in 0..100`);
  });
  return out;
}

/** GCPBackendPolicy rules from SOURCES.md ("Notes read off these files") and the schema's CEL. */
export function gcpBackendPolicyViolations(m: KubeManifest): string[] {
  const spec = (m.spec ?? {}) as Record<string, any>;
  const def = (spec.default ?? {}) as Record<string, any>;
  const { scopes, ...base } = def;
  const out: string[] = [];
  out.push(...customMetricsViolations(base.customMetrics, 'default'));
  out.push(...backendConfigViolations(base, 'default'));
  const kind = spec.targetRef?.kind;
  if (['InferencePool', 'GCPInferencePoolImport'].includes(kind) && has(base, 'sessionAffinity')) {
    out.push(`default: sessionAffinity is not allowed for a ${kind} target`);
  }
  if (scopes === undefined) return out;
  if (!Array.isArray(scopes)) return [...out, 'default.scopes: not a list'];
  if (!SCOPED_TARGETS.includes(kind))
    out.push(`default.scopes: only allowed for ${SCOPED_TARGETS.join(' or ')} targets, not ${kind}`);
  if (scopes.length > 16) out.push(`default.scopes: ${scopes.length} items, at most 16 allowed`);
  for (const field of SCOPED_FIELDS) {
    if (has(base, field) && scopes.some((s: Record<string, unknown>) => has(s, field))) {
      out.push(`default.scopes: ${field} is set in both default and a scope`);
    }
  }
  scopes.forEach((s: Record<string, any>, i) => {
    const at = `default.scopes[${i}]`;
    for (const [key, value] of Object.entries((s.selector ?? {}) as Record<string, string>)) {
      if (!SCOPE_SELECTOR_KEYS.includes(key))
        out.push(`${at}.selector: key ${key} is not one of ${SCOPE_SELECTOR_KEYS.join(', ')}`);
      if (key.length > 63 || String(value).length > 63)
        out.push(`${at}.selector: ${key} key or value longer than 63`);
    }
    const { selector: _selector, ...fields } = s;
    out.push(...customMetricsViolations(fields.customMetrics, at));
    out.push(...backendConfigViolations({ ...base, ...fields }, `${at} (with default)`));
  });
  return out;
}

const HEALTH_CHECK_BLOCKS: Record<string, string> = {
  TCP: 'tcpHealthCheck',
  HTTP: 'httpHealthCheck',
  HTTPS: 'httpsHealthCheck',
  HTTP2: 'http2HealthCheck',
  GRPC: 'grpcHealthCheck',
};
const DEFAULT_HEALTH_CHECK_SEC = 5;

/** HealthCheckPolicy rules from SOURCES.md and the schema's CEL. */
export function healthCheckPolicyViolations(m: KubeManifest): string[] {
  const def = ((m.spec as Record<string, any> | undefined)?.default ?? {}) as Record<string, any>;
  const out: string[] = [];
  const config = def.config as Record<string, any> | undefined;
  if (config) {
    const expected = HEALTH_CHECK_BLOCKS[config.type];
    const blocks = Object.keys(config).filter((k) => k.endsWith('HealthCheck'));
    if (!expected)
      out.push(
        `default.config.type ${config.type} is not one of ${Object.keys(HEALTH_CHECK_BLOCKS).join(', ')}`,
      );
    else if (blocks.length !== 1 || blocks[0] !== expected) {
      out.push(
        `default.config: type ${config.type} needs exactly one ${expected} block, found [${blocks.join(', ')}]`,
      );
    }
    for (const block of blocks) {
      const b = config[block] as Record<string, unknown>;
      const spec = b.portSpecification;
      if (spec === 'USE_FIXED_PORT' && (!has(b, 'port') || has(b, 'portName')))
        out.push(`default.config.${block}: USE_FIXED_PORT allows only port`);
      if (spec === 'USE_NAMED_PORT' && (has(b, 'port') || !has(b, 'portName')))
        out.push(`default.config.${block}: USE_NAMED_PORT allows only portName`);
      if (spec === 'USE_SERVING_PORT' && (has(b, 'port') || has(b, 'portName')))
        out.push(`default.config.${block}: USE_SERVING_PORT allows neither port nor portName`);
    }
  }
  const timeout = def.timeoutSec ?? DEFAULT_HEALTH_CHECK_SEC;
  const interval = def.checkIntervalSec ?? DEFAULT_HEALTH_CHECK_SEC;
  if ((has(def, 'timeoutSec') || has(def, 'checkIntervalSec')) && timeout > interval) {
    out.push(
      `default: timeoutSec ${timeout} exceeds checkIntervalSec ${interval}${has(def, 'checkIntervalSec') && has(def, 'timeoutSec') ? '' : ' (5 when unset)'}`,
    );
  }
  return out;
}
