/**
 * Spillway for Backstage's backend. Two features:
 *   backend.add(import('@spillway/backstage-plugin-spillway-backend'));            // the health route
 *   backend.add(import('@spillway/backstage-plugin-spillway-backend/scaffolder')); // the actions
 */
export { spillwayPlugin as default, spillwayPlugin } from './plugin.js';
export { spillwayScaffolderModule } from './module.js';
export {
  createSpillwayActions,
  createApplyAction,
  createFetchPlatformAction,
  createPlanAction,
  createValidateAction,
  createValidatePlatformAction,
  createVerifyAction,
  type SpillwayActionsOptions,
} from './actions/index.js';
export { createRouter, type RouterOptions } from './service/router.js';
export {
  cloudHealthReader,
  healthReaderServiceRef,
  type HealthReader,
  type SpillwayHealthResponse,
} from './service/health.js';
export { PLATFORM_ANNOTATION, SERVICE_ANNOTATION } from './service/annotations.js';
export {
  loadPlatforms,
  readHealthSettings,
  readTokenVariables,
  PlatformRegistry,
  type ConfiguredPlatform,
  type HealthSettings,
} from './config.js';
