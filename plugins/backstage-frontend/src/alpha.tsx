import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isSpillwayAvailable } from './annotations.js';
import { SpillwayClient, spillwayApiRef } from './api.js';

/** The client of the backend's health route, sending the user's identity through fetchApi. */
export const spillwayApi = ApiBlueprint.make({
  params: (defineParams) =>
    defineParams({
      api: spillwayApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new SpillwayClient({ discoveryApi, fetchApi }),
    }),
});

/** The entity card, shown only for entities annotated with `spillway.dev/service`. */
export const spillwayEntityCard = EntityCardBlueprint.make({
  name: 'regional-health',
  params: {
    filter: isSpillwayAvailable,
    loader: () => import('./components/EntitySpillwayCard.js').then((m) => <m.EntitySpillwayCard />),
  },
});

/** The plugin for apps on Backstage's new frontend system. */
export default createFrontendPlugin({
  pluginId: 'spillway',
  title: 'Spillway',
  extensions: [spillwayApi, spillwayEntityCard],
});
