import { coreServices, createBackendPlugin } from '@backstage/backend-plugin-api';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { loadPlatforms, readHealthSettings } from './config.js';
import { healthReaderServiceRef } from './service/health.js';
import { createRouter } from './service/router.js';

/**
 * The `spillway` backend plugin: GET /api/spillway/health/:namespace/:kind/:name for the entity
 * card, reading only the platforms of `spillway.platforms` (checked at startup).
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
        cache: coreServices.cache,
        catalog: catalogServiceRef,
        readHealth: healthReaderServiceRef,
      },
      // No auth policy is added: the default lets only authenticated users and services in (401).
      async init({ httpRouter, ...deps }) {
        const platforms = await loadPlatforms(deps.config);
        httpRouter.use(
          await createRouter({
            ...deps,
            platforms,
            settings: readHealthSettings(deps.config),
          }),
        );
        deps.logger.info(`Spillway reads the health of platform(s): ${platforms.describe()}`);
      },
    });
  },
});
