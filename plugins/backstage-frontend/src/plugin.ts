import {
  configApiRef,
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { SpillwayClient, spillwayApiRef } from './api.js';

/** The plugin for apps on Backstage's legacy frontend system. */
export const spillwayPlugin = createPlugin({
  id: 'spillway',
  apis: [
    createApiFactory({
      api: spillwayApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef, configApi: configApiRef },
      factory: ({ discoveryApi, fetchApi }) => new SpillwayClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/** The entity card for the legacy system: put it on an entity page behind `isSpillwayAvailable`. */
export const EntitySpillwayCard = spillwayPlugin.provide(
  createComponentExtension({
    name: 'EntitySpillwayCard',
    component: {
      lazy: () => import('./components/EntitySpillwayCard.js').then((m) => m.EntitySpillwayCard),
    },
  }),
);
