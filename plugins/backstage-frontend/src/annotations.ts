import type { Entity } from '@backstage/catalog-model';

/** `NAMESPACE/NAME` of the InferenceService the entity is served by. */
export const SPILLWAY_SERVICE_ANNOTATION = 'spillway.dev/service';
/** The InferencePlatform (as configured in the backend's `spillway.platforms`) it runs on. */
export const SPILLWAY_PLATFORM_ANNOTATION = 'spillway.dev/platform';

/** Whether the entity names a Spillway service, so the card has something to show. */
export function isSpillwayAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[SPILLWAY_SERVICE_ANNOTATION]?.trim());
}
