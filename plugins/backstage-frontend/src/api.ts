import type { CompoundEntityRef } from '@backstage/catalog-model';
import { createApiRef, type DiscoveryApi, type FetchApi } from '@backstage/frontend-plugin-api';
import type {
  SpillwayHealthResponse,
  SpillwayPlatformResponse,
} from '@spillway/backstage-plugin-spillway-common';

/** The Spillway backend plugin's routes, as the card and the region picker read them. */
export interface SpillwayApi {
  /** The health of the service the entity names, read live by the backend. */
  getHealth(entity: CompoundEntityRef, options?: { signal?: AbortSignal }): Promise<SpillwayHealthResponse>;
  /** A configured platform's regions, from its spec. */
  getPlatform(name: string, options?: { signal?: AbortSignal }): Promise<SpillwayPlatformResponse>;
}

export const spillwayApiRef = createApiRef<SpillwayApi>().with({
  id: 'plugin.spillway.service',
  pluginId: 'spillway',
});

/** A failed answer of the backend: its status and the message it gave. */
export class SpillwayRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'SpillwayRequestError';
  }
}

/** Talks to the backend plugin; fetchApi sends the signed-in user's identity with each request. */
export class SpillwayClient implements SpillwayApi {
  constructor(private readonly deps: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {}

  getHealth(entity: CompoundEntityRef, options: { signal?: AbortSignal } = {}) {
    const path = [entity.namespace, entity.kind, entity.name].map(encodeURIComponent).join('/');
    return this.get<SpillwayHealthResponse>(`/health/${path}`, options.signal);
  }

  getPlatform(name: string, options: { signal?: AbortSignal } = {}) {
    return this.get<SpillwayPlatformResponse>(`/platforms/${encodeURIComponent(name)}`, options.signal);
  }

  private async get<T>(path: string, signal: AbortSignal | undefined): Promise<T> {
    const base = await this.deps.discoveryApi.getBaseUrl('spillway');
    const response = await this.deps.fetchApi.fetch(`${base}${path}`, {
      headers: { accept: 'application/json' },
      signal,
    });
    if (!response.ok) throw new SpillwayRequestError(response.status, await errorMessage(response));
    return (await response.json()) as T;
  }
}

/** Backstage backends answer errors as `{ error: { name, message } }`; anything else is shown as text. */
async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  const prefix = `The Spillway backend answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string' && message) return `${prefix}: ${message}`;
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim() ? `${prefix}: ${text.trim().slice(0, 500)}` : prefix;
}
