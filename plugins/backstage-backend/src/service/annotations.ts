import type { Entity } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  SPILLWAY_PLATFORM_ANNOTATION,
  SPILLWAY_SERVICE_ANNOTATION,
} from '@spillway/backstage-plugin-spillway-common';
import type { ConfiguredPlatform, PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';
import type { ServiceRef } from '@spillway/shared';

/** A Kubernetes namespace or object name (RFC 1123 label). */
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * The configured platform and the service an entity's annotations name. The annotations only
 * choose among the operator's platforms: they never carry a project, cluster or URL.
 */
export function serviceOfEntity(
  entity: Entity,
  entityRef: string,
  platforms: PlatformRegistry,
): { platform: ConfiguredPlatform; service: ServiceRef } {
  const annotations = entity.metadata.annotations ?? {};
  const serviceValue = annotations[SPILLWAY_SERVICE_ANNOTATION];
  const platformName = annotations[SPILLWAY_PLATFORM_ANNOTATION];
  for (const [annotation, value] of [
    [SPILLWAY_SERVICE_ANNOTATION, serviceValue],
    [SPILLWAY_PLATFORM_ANNOTATION, platformName],
  ] as const) {
    if (!value)
      throw new NotFoundError(
        `${entityRef} has no ${annotation} annotation: it is not a Spillway service (annotate it with ${SPILLWAY_SERVICE_ANNOTATION} and ${SPILLWAY_PLATFORM_ANNOTATION})`,
      );
  }
  const parts = serviceValue!.split('/');
  const [namespace, name] = parts.length === 1 ? ['default', parts[0]!] : [parts[0]!, parts[1] ?? ''];
  if (parts.length > 2 || !LABEL.test(namespace) || !LABEL.test(name))
    throw new InputError(
      `${entityRef}: annotation ${SPILLWAY_SERVICE_ANNOTATION} is ${JSON.stringify(serviceValue)} — write NAME or NAMESPACE/NAME of the InferenceService (lowercase letters, digits and -)`,
    );
  const platform = platforms.get(platformName!);
  if (!platform)
    throw new InputError(
      `${entityRef}: annotation ${SPILLWAY_PLATFORM_ANNOTATION} names ${JSON.stringify(platformName)}, which is not a configured platform (configured: ${platforms.describe()}) — name one of them, or ask the Backstage operators to add it to spillway.platforms`,
    );
  return { platform, service: { namespace, name } };
}
