import { createServiceFactory, createServiceRef, type CacheService } from '@backstage/backend-plugin-api';
import { cloudFromEnv, readServiceHealth, type HealthReport, type ServiceRef } from '@spillway/shared';
import type { ConfiguredPlatform } from '../config.js';

/** What GET /health/:namespace/:kind/:name answers. */
export interface SpillwayHealthResponse {
  entityRef: string;
  /** The configured platform (spillway.platforms[].name) the entity's annotation names. */
  platform: string;
  service: ServiceRef;
  health: HealthReport;
  /** When this backend read the health (a cached answer keeps its first time). */
  fetchedAt: string;
}

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
