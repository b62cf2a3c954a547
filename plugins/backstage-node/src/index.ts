/**
 * Spillway for Backstage's backend, shared by the backend plugin and the scaffolder module: the
 * platforms an operator configures (`spillway.platforms`) and the rest of `spillway:` config.
 *
 * @packageDocumentation
 */
export {
  loadPlatforms,
  PlatformRegistry,
  readHealthSettings,
  readTokenVariables,
  type ConfiguredPlatform,
  type HealthSettings,
} from './config.js';
