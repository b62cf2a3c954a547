export * from './model.js';
export { readHealth, type HealthOptions } from './read.js';
export { verifySpec, completionRequest, LAST_VERIFIED_PREFIX, type VerifyOptions } from './verify.js';
