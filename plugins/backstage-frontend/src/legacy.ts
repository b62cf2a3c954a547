/**
 * Spillway for apps on Backstage's legacy frontend system:
 * `import { EntitySpillwayCard, isSpillwayAvailable } from '@spillway/backstage-plugin-spillway/legacy'`.
 *
 * @packageDocumentation
 */
import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { createScaffolderFieldExtension } from '@backstage/plugin-scaffolder-react';
import { SpillwayClient, spillwayApiRef } from './api.js';
import { SpillwayRegionPicker } from './components/SpillwayRegionPicker.js';
import { SPILLWAY_REGION_PICKER, validateRegions } from './components/regionPickerField.js';

/** The plugin for apps on the legacy frontend system. */
export const spillwayPlugin = createPlugin({
  id: 'spillway',
  apis: [
    createApiFactory({
      api: spillwayApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) => new SpillwayClient({ discoveryApi, fetchApi }),
    }),
  ],
});

/** The entity card: put it on an entity page behind `isSpillwayAvailable`. */
export const EntitySpillwayCard = spillwayPlugin.provide(
  createComponentExtension({
    name: 'EntitySpillwayCard',
    component: {
      lazy: () => import('./components/EntitySpillwayCard.js').then((m) => m.EntitySpillwayCard),
    },
  }),
);

/** The templates' region picker: put it inside `<ScaffolderFieldExtensions>`. */
export const SpillwayRegionPickerFieldExtension = spillwayPlugin.provide(
  createScaffolderFieldExtension({
    name: SPILLWAY_REGION_PICKER,
    component: SpillwayRegionPicker,
    validation: validateRegions,
  }),
);

export { isSpillwayAvailable } from '@spillway/backstage-plugin-spillway-common';
export type { EntitySpillwayCardProps } from './components/EntitySpillwayCard.js';
