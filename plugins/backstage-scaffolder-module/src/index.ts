/**
 * Spillway's scaffolder module: `backend.add(import('@spillway/backstage-plugin-scaffolder-backend-module-spillway'))`
 * adds spillway:fetch:platform, spillway:validate:platform, spillway:validate, spillway:plan,
 * spillway:apply and spillway:verify to the scaffolder, for the platforms of `spillway.platforms`.
 *
 * @packageDocumentation
 */
export { spillwayScaffolderModule as default } from './module.js';
export {
  createApplyAction,
  createFetchPlatformAction,
  createPlanAction,
  createSpillwayActions,
  createValidateAction,
  createValidatePlatformAction,
  createVerifyAction,
  type SpillwayActionsOptions,
} from './actions/index.js';
