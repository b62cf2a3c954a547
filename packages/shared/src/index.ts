export * from './spec/index.js';
export * from './render/index.js';
export * from './engine/index.js';
export { cloudFromEnv, type Cloud } from './cloud/clients.js';
export * as retryPredicates from './cloud/errors.js';
export * from './health/index.js';
export {
  preflight,
  preflightGate,
  preflightJson,
  nothingRead,
  failuresOf,
  warningsOf,
  type PreflightCheck,
  type PreflightRegion,
  type PreflightReport,
  type Verdict,
} from './preflight/index.js';
