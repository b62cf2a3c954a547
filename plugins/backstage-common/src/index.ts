/**
 * Spillway for Backstage, shared by the backend and the frontend: the health model the route
 * answers, the entity annotations and the permissions.
 *
 * @packageDocumentation
 */
export {
  isSpillwayAvailable,
  SPILLWAY_PLATFORM_ANNOTATION,
  SPILLWAY_PLATFORM_RESOURCE_TYPE,
  SPILLWAY_SERVICE_ANNOTATION,
} from './annotations.js';
export { spillwayHealthReadPermission, spillwayPermissions } from './permissions.js';
export type {
  CapacityTier,
  Check,
  HealthReport,
  LoadReport,
  LoadStep,
  RegionHealth,
  RegionState,
  SpillwayHealthResponse,
  SpillwayPlatformRegion,
  SpillwayPlatformResponse,
  SpillwayServiceRef,
} from './health.js';
