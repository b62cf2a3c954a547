import { createApplyAction } from './apply.js';
import { createPlanAction } from './plan.js';
import { createValidateAction } from './validate.js';
import { createVerifyAction } from './verify.js';
import type { SpillwayActionsOptions } from './options.js';

export { createApplyAction, createPlanAction, createValidateAction, createVerifyAction };
export type { SpillwayActionsOptions };

/** The four actions, in the order a template runs them. */
export function createSpillwayActions(options: SpillwayActionsOptions) {
  return [
    createValidateAction(options),
    createPlanAction(options),
    createApplyAction(options),
    createVerifyAction(options),
  ];
}
