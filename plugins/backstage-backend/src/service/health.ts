import { createServiceFactory, createServiceRef } from '@backstage/backend-plugin-api';
import type { ConfiguredPlatform } from '@spillway/backstage-plugin-spillway-node';
import { cloudFromEnv, readServiceHealth, type HealthReport, type ServiceRef } from '@spillway/shared';

/** Reads one applied service's health from its platform: the one upstream read the route makes. */
export type HealthReader = (
  platform: ConfiguredPlatform,
  service: ServiceRef,
  options: { regionTimeoutMs: number },
) => Promise<HealthReport>;

/** The real reader: Google Cloud and the clusters, where `env` points (CONTRACT.md §3). */
export function cloudHealthReader(env: NodeJS.ProcessEnv = process.env): HealthReader {
  return async (platform, service, { regionTimeoutMs }) => {
    const cloud = cloudFromEnv(env);
    try {
      return await readServiceHealth(platform.text, service, { cloud, regionTimeoutMs });
    } finally {
      await cloud.close();
    }
  };
}

/**
 * The plugin's upstream reader as a service, so a backend (or a test) can replace it; by default
 * the real one, with the Google Cloud endpoints of the backend's environment.
 */
export const healthReaderServiceRef = createServiceRef<HealthReader>({
  id: 'spillway.health-reader',
  scope: 'plugin',
  defaultFactory: async (service) =>
    createServiceFactory({ service, deps: {}, factory: () => cloudHealthReader() }),
});
