export * from './spec/index.js';
export * from './render/index.js';
export * from './engine/index.js';
export { cloudFromEnv, type Cloud } from './cloud/clients.js';
export * as retryPredicates from './cloud/errors.js';
export * from './health/index.js';
