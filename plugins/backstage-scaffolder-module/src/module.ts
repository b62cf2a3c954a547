import { coreServices, createBackendModule } from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createSpillwayActions } from './actions/index.js';
import { loadPlatforms, readTokenVariables } from '@spillway/backstage-plugin-spillway-node';

/**
 * The scaffolder module: spillway:validate, plan, apply and verify, against the platforms of
 * `spillway.platforms` (checked at startup: a bad platform spec stops the backend, naming the key).
 */
export const spillwayScaffolderModule = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'spillway',
  register(env) {
    env.registerInit({
      deps: { scaffolder: scaffolderActionsExtensionPoint, config: coreServices.rootConfig },
      async init({ scaffolder, config }) {
        const platforms = await loadPlatforms(config);
        scaffolder.addActions(
          ...createSpillwayActions({ platforms, tokenVariables: readTokenVariables(config) }),
        );
      },
    });
  },
});
