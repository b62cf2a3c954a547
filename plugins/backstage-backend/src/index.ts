/**
 * Spillway's backend plugin: `backend.add(import('@spillway/backstage-plugin-spillway-backend'))`
 * serves the entity card's health route and the templates' platform route. The scaffolder actions
 * are their own module, `@spillway/backstage-plugin-scaffolder-backend-module-spillway`.
 *
 * @packageDocumentation
 */
export { spillwayPlugin as default, spillwayPlugin } from './plugin.js';
export { cloudHealthReader, healthReaderServiceRef, type HealthReader } from './service/health.js';
