/**
 * Spillway for Backstage's frontend: the entity card with each region's health, on Backstage UI,
 * and the templates' SpillwayRegionPicker field. The default export is the plugin for the new
 * frontend system; `./legacy` has the plugin for the legacy one.
 *
 * @packageDocumentation
 */
export {
  spillwayPlugin as default,
  spillwayApi,
  spillwayEntityCard,
  spillwayEntityFilter,
  spillwayRegionPickerFormField,
} from './plugin.js';
export { spillwayApiRef, SpillwayClient, SpillwayRequestError, type SpillwayApi } from './api.js';
export {
  EntitySpillwayCard as EntitySpillwayCardContent,
  DEFAULT_REFRESH_INTERVAL_MS,
  type EntitySpillwayCardProps,
} from './components/EntitySpillwayCard.js';
export {
  SpillwayRegionPicker,
  type SpillwayRegionPickerUiOptions,
} from './components/SpillwayRegionPicker.js';
