export { spillwayPlugin, EntitySpillwayCard } from './plugin.js';
export {
  EntitySpillwayCard as EntitySpillwayCardComponent,
  DEFAULT_REFRESH_INTERVAL_MS,
  type EntitySpillwayCardProps,
} from './components/EntitySpillwayCard.js';
export {
  isSpillwayAvailable,
  SPILLWAY_SERVICE_ANNOTATION,
  SPILLWAY_PLATFORM_ANNOTATION,
} from './annotations.js';
export { spillwayApiRef, SpillwayClient, SpillwayRequestError, type SpillwayApi } from './api.js';
export type * from './types.js';
