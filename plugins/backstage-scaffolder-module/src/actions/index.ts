import { createApplyAction } from './apply.js';
import { createFetchPlatformAction } from './fetch-platform.js';
import { createPlanAction } from './plan.js';
import { createValidateAction } from './validate.js';
import { createValidatePlatformAction } from './validate-platform.js';
import { createVerifyAction } from './verify.js';
import type { SpillwayActionsOptions } from './options.js';

export {
  createApplyAction,
  createFetchPlatformAction,
  createPlanAction,
  createValidateAction,
  createValidatePlatformAction,
  createVerifyAction,
};
export type { SpillwayActionsOptions };

/** The actions, in the order a template runs them. */
export function createSpillwayActions(options: SpillwayActionsOptions) {
  return [
    createValidatePlatformAction(),
    createFetchPlatformAction(options),
    createValidateAction(options),
    createPlanAction(options),
    createApplyAction(options),
    createVerifyAction(options),
  ];
}
