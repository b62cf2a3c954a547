import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Reading the regional health of a catalog entity's Spillway service (the entity card). A resource
 * permission on catalog entities, so a policy can decide per entity, e.g. with the catalog's
 * conditions (`isEntityOwner`, `hasAnnotation`).
 */
export const spillwayHealthReadPermission = createPermission({
  name: 'spillway.health.read',
  attributes: { action: 'read' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/** Every permission of the Spillway plugin. */
export const spillwayPermissions = [spillwayHealthReadPermission];
