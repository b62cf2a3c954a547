import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { spillwayPermissions } from '@spillway/backstage-plugin-spillway-common';
import { loadPlatforms, readHealthSettings } from '@spillway/backstage-plugin-spillway-node';
import { healthReaderServiceRef } from './service/health.js';
import { createRouter } from './service/router.js';

/**
 * The `spillway` backend plugin: GET /api/spillway/health/:namespace/:kind/:name for the entity
 * card and GET /api/spillway/platforms/:name for the templates, reading only the platforms of
 * `spillway.platforms` (checked at startup). Registers the permission spillway.health.read.
 */
export const spillwayPlugin = createBackendPlugin({
  pluginId: 'spillway',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        auth: coreServices.auth,
        httpAuth: coreServices.httpAuth,
        httpRouter: coreServices.httpRouter,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        cache: coreServices.cache,
        catalog: catalogServiceRef,
        readHealth: healthReaderServiceRef,
      },
      // No auth policy is added: the default lets only authenticated users and services in (401).
      async init({ httpRouter, permissionsRegistry, logger, config, ...deps }) {
        const platforms = await loadPlatforms(config);
        permissionsRegistry.addPermissions(spillwayPermissions);
        httpRouter.use(createRouter({ ...deps, platforms, settings: readHealthSettings(config) }));
        logger.info(`Spillway reads the health of platform(s): ${platforms.describe()}`);
      },
    });
  },
});
