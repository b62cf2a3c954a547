import { createApiRef, type DiscoveryApi, type FetchApi } from '@backstage/core-plugin-api';
import type { CompoundEntityRef } from '@backstage/catalog-model';
import type { SpillwayHealthResponse } from './types.js';

export interface SpillwayApi {
  /** The health of the service the entity names, read live by the backend. */
  getHealth(entity: CompoundEntityRef, options?: { signal?: AbortSignal }): Promise<SpillwayHealthResponse>;
}

export const spillwayApiRef = createApiRef<SpillwayApi>({ id: 'plugin.spillway.service' });

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

  async getHealth(
    entity: CompoundEntityRef,
    options: { signal?: AbortSignal } = {},
  ): Promise<SpillwayHealthResponse> {
    const base = await this.deps.discoveryApi.getBaseUrl('spillway');
    const path = [entity.namespace, entity.kind, entity.name].map(encodeURIComponent).join('/');
    const response = await this.deps.fetchApi.fetch(`${base}/health/${path}`, {
      headers: { accept: 'application/json' },
      signal: options.signal,
    });
    if (!response.ok) throw new SpillwayRequestError(response.status, await errorMessage(response));
    return (await response.json()) as SpillwayHealthResponse;
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
