import { createServiceFactory, createServiceRef, type CacheService } from '@backstage/backend-plugin-api';
import type { ConfiguredPlatform } from '@spillway/backstage-plugin-spillway-node';
import { cloudFromEnv, readServiceHealth, type HealthReport, type ServiceRef } from '@spillway/shared';

/** Whatever the cache stores (plain JSON). */
type CacheValue = Parameters<CacheService['set']>[1];

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
 * A read per key at most once per TTL: answers from the cache, and concurrent misses for one key
 * share the one read in flight.
 */
export class SharedReads<T extends object> {
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(
    private readonly cache: CacheService,
    private readonly ttlMs: number,
  ) {}

  async get(key: string, read: () => Promise<T>): Promise<T> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const promise = this.readThrough(key, read).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, promise);
    return promise;
  }

  private async readThrough(key: string, read: () => Promise<T>): Promise<T> {
    const cached = (await this.cache.get(key)) as T | undefined;
    if (cached) return cached;
    const value = await read();
    if (this.ttlMs > 0) await this.cache.set(key, value as CacheValue, { ttl: this.ttlMs });
    return value;
  }
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
