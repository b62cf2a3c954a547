export * from './model.js';
export { capacityTierOf, tierOfNode, CAPACITY_TIERS } from './capacity.js';
export { inferenceExtensionOf, readHealth, regionTimeoutFor, type HealthOptions } from './read.js';
export { verifySpec, completionRequest, LAST_VERIFIED_PREFIX, type VerifyOptions } from './verify.js';
export {
  loadTest,
  shareSvg,
  shareMermaid,
  type LoadReport,
  type LoadStep,
  type LoadOptions,
} from './load.js';
export { failoverDrill, DRILL_MANAGER, type DrillOptions } from './drill.js';
export {
  readServiceHealth,
  checkPlatformText,
  ServiceNotFoundError,
  ServiceRecordInvalidError,
  type ServiceRef,
} from './service.js';
