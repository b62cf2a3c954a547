/**
 * A real Backstage backend with Spillway's backend plugin, reading the sandbox's fleet. Backstage's
 * test backend supplies mock auth (the page sends its mock user token), an in-memory catalog with
 * the harness's entity, and allow-all permissions: fine on a laptop, never for users.
 */
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import spillwayBackend, {
  cloudHealthReader,
  healthReaderServiceRef,
} from '@spillway/backstage-plugin-spillway-backend';
import type { Fleet } from './fleet.js';
import { foodReviewEntity } from './entity.js';

export interface SpillwayBackend {
  /** Where `/api/spillway/...` is served. */
  baseUrl: string;
  close(): Promise<void>;
}

export async function startPluginBackend(fleet: Fleet): Promise<SpillwayBackend> {
  const backend = await startTestBackend({
    features: [
      spillwayBackend,
      catalogServiceMock.factory({ entities: [foodReviewEntity] }),
      mockServices.rootConfig.factory({
        data: {
          spillway: {
            platforms: [{ name: 'inference-prod', projectId: 'my-project', specFile: fleet.platformFile }],
            // A short cache, so a refresh shows the load a moment after it changes.
            cache: { ttlSeconds: 2 },
            regionTimeoutSeconds: 5,
          },
        },
      }),
      // The sandbox's endpoints, without touching this process's environment.
      createServiceFactory({
        service: healthReaderServiceRef,
        deps: {},
        factory: () => cloudHealthReader(fleet.env),
      }),
    ],
  });
  return {
    baseUrl: `http://127.0.0.1:${backend.server.port()}`,
    close: () => backend.stop(),
  };
}
