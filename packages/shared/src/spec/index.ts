export { checkSpec, loadSpecFiles, loadSpecOrThrow, type SpecResult, type SpecText } from './load.js';
export { formatIssue, formatPath, SpecInvalidError, type SpecIssue } from './errors.js';
export type { Spec, Platform, Service, Cluster, KvCacheMetric, Where } from './model.js';
export { API_VERSION, MIN_GKE_VERSION, KV_CACHE_METRICS } from './schema.js';
export { MAX_SPEC_BYTES, MAX_ALIAS_COUNT, MAX_FLOW_NESTING } from './source.js';
export { NEW_KV_METRIC, OLD_KV_METRIC, regionOf } from './catalog.js';
export {
  podGuardrailViolations,
  COMPUTE_CLASS_KEY,
  type GuardedClass,
  type GuardrailViolation,
  type PodUnderCheck,
} from './pod-guardrail.js';
