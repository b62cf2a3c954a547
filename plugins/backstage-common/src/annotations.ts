import type { Entity } from '@backstage/catalog-model';

/** `NAME` or `NAMESPACE/NAME` of the InferenceService the entity is served by (namespace `default` when omitted). */
export const SPILLWAY_SERVICE_ANNOTATION = 'spillway.dev/service';

/** The platform the entity runs on (or, on a Resource of type inference-platform, is): a name of `spillway.platforms`. */
export const SPILLWAY_PLATFORM_ANNOTATION = 'spillway.dev/platform';

/** The catalog Resource type of a Spillway platform, as the platform template registers it. */
export const SPILLWAY_PLATFORM_RESOURCE_TYPE = 'inference-platform';

/** Whether the entity names a Spillway service, so the entity card has something to show. */
export function isSpillwayAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[SPILLWAY_SERVICE_ANNOTATION]?.trim());
}
