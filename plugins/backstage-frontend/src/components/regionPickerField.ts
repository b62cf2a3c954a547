import type { CustomFieldValidator } from '@backstage/plugin-scaffolder-react';
import { SpillwayRegionPicker, type SpillwayRegionPickerUiOptions } from './SpillwayRegionPicker.js';

/** The field's name, as a template's `ui:field` names it. */
export const SPILLWAY_REGION_PICKER = 'SpillwayRegionPicker';

/** Regions to run in (an array field): at least one, each once. One region (a string field) is free. */
export const validateRegions: CustomFieldValidator<string[] | string, SpillwayRegionPickerUiOptions> = (
  regions,
  field,
) => {
  if (!Array.isArray(regions)) return;
  if (regions.length === 0) field.addError('choose at least one region of the platform');
  else if (new Set(regions).size !== regions.length) field.addError('each region is chosen once');
};

export { SpillwayRegionPicker };
