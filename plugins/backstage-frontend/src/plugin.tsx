import type { FilterPredicate } from '@backstage/filter-predicates';
import { ApiBlueprint, coreApis, createFrontendPlugin } from '@backstage/frontend-plugin-api';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { createFormField, FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { SpillwayClient, spillwayApiRef } from './api.js';

/** The client of the backend's routes, sending the user's identity through fetchApi. */
export const spillwayApi = ApiBlueprint.make({
  params: (defineParams) =>
    defineParams({
      api: spillwayApiRef,
      deps: { discoveryApi: coreApis.discovery, fetchApi: coreApis.fetch },
      factory: ({ discoveryApi, fetchApi }) => new SpillwayClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * Entities the card shows on: those naming a Spillway service. An app can replace it in
 * app-config: `app.extensions: [{ entity-card:spillway/regional-health: { config: { filter: … } } }]`.
 */
export const spillwayEntityFilter: FilterPredicate = {
  'metadata.annotations.spillway.dev/service': { $exists: true },
};

/** The entity card on the overview of the entities `spillwayEntityFilter` selects. */
export const spillwayEntityCard = EntityCardBlueprint.make({
  name: 'regional-health',
  params: {
    filter: spillwayEntityFilter,
    loader: () => import('./components/EntitySpillwayCard.js').then((m) => <m.EntitySpillwayCard />),
  },
});

/** The templates' `ui:field: SpillwayRegionPicker`: the chosen platform's regions. */
export const spillwayRegionPickerFormField = FormFieldBlueprint.make({
  name: 'spillway-region-picker',
  params: {
    field: () =>
      import('./components/regionPickerField.js').then((m) =>
        createFormField({
          name: m.SPILLWAY_REGION_PICKER,
          component: m.SpillwayRegionPicker,
          validation: m.validateRegions,
        }),
      ),
  },
});

/** Spillway for apps on Backstage's new frontend system: the card, the region picker and their API. */
export const spillwayPlugin = createFrontendPlugin({
  pluginId: 'spillway',
  title: 'Spillway',
  extensions: [spillwayApi, spillwayEntityCard, spillwayRegionPickerFormField],
});
