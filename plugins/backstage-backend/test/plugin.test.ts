import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { HealthReport } from '@spillway/shared';
import request from 'supertest';
import { spillwayPlugin } from '../src/plugin.js';
import { cloudHealthReader, healthReaderServiceRef, type HealthReader } from '../src/service/health.js';
import { readDeadlineMs } from '../src/service/healthRoute.js';
import {
  appConfig,
  PLATFORM_TEXT,
  registryOf,
  SERVICE_TEXT,
  startFleet,
  type Fleet,
} from '@spillway/backstage-testing';

const annotated = (name: string, annotations: Record<string, string>): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default', annotations },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
});
const FOOD_REVIEW = { 'spillway.dev/service': 'food-review', 'spillway.dev/platform': 'inference-prod' };
const entities = [
  annotated('food-review', FOOD_REVIEW),
  annotated('food-review-cached', { ...FOOD_REVIEW, 'spillway.dev/service': 'default/food-review' }),
  annotated('food-review-dark', FOOD_REVIEW),
  annotated('food-review-config-dark', FOOD_REVIEW),
  annotated('food-review-secret', FOOD_REVIEW),
  annotated('food-review-no-health', FOOD_REVIEW),
  annotated('plain', {}),
  annotated('elsewhere', { ...FOOD_REVIEW, 'spillway.dev/platform': 'attacker-project' }),
  annotated('never-applied', { ...FOOD_REVIEW, 'spillway.dev/service': 'ghost' }),
];

/** The policy of these tests: one entity nobody may read, one whose Spillway health nobody may read. */
function decide(permission: string, entityRef: string) {
  if (entityRef === 'component:default/food-review-secret') return AuthorizeResult.DENY;
  if (entityRef === 'component:default/food-review-no-health' && permission === 'spillway.health.read')
    return AuthorizeResult.DENY;
  return AuthorizeResult.ALLOW;
}

let fleet: Fleet;
/** Upstream reads the route made, and a gate that holds them (to make requests overlap). */
let reads = 0;
let gate: Promise<void> | undefined;

function countingReader(): HealthReader {
  const real = cloudHealthReader(fleet.env);
  return async (...args) => {
    reads++;
    await gate;
    return real(...args);
  };
}

async function backendWith(extraConfig: Record<string, unknown> = {}) {
  return startTestBackend({
    features: [
      spillwayPlugin,
      // A request without a token has no credentials (the mock's default is a user).
      mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
      mockServices.rootConfig.factory({ data: appConfig(fleet.platformFile, extraConfig) }),
      catalogServiceMock.factory({ entities }),
      mockServices.permissions.mock({
        authorize: async (requests) =>
          requests.map((r) => ({
            result: decide(r.permission.name, ('resourceRef' in r && r.resourceRef) || ''),
          })),
      }).factory,
      createServiceFactory({ service: healthReaderServiceRef, deps: {}, factory: () => countingReader() }),
    ],
  });
}

let server: Parameters<typeof request>[0];
let closeBackend: () => Promise<void>;

beforeAll(async () => {
  fleet = await startFleet(`${PLATFORM_TEXT}---\n${SERVICE_TEXT}`);
  // The sandbox's model servers pass their first health checks a moment after apply converges.
  const read = cloudHealthReader(fleet.env);
  const platform = (await registryOf(fleet.platformFile)).get('inference-prod')!;
  for (let i = 0; i < 100; i++) {
    const report = await read(
      platform,
      { namespace: 'default', name: 'food-review' },
      { regionTimeoutMs: 3_000 },
    );
    if (report.regions.every((r) => r.state === 'healthy')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const backend = await backendWith({ cache: { ttlSeconds: 60 }, regionTimeoutSeconds: 3 });
  server = backend.server;
  closeBackend = () => backend.stop();
}, 180_000);
afterAll(async () => {
  await closeBackend?.();
  await fleet?.close();
});

const health = (name: string, auth = mockCredentials.user.header()) => {
  const r = request(server).get(`/api/spillway/health/default/component/${name}`);
  return auth ? r.set('authorization', auth) : r;
};
const states = (report: HealthReport) => report.regions.map((r) => [r.region, r.state]);

describe('GET /api/spillway/health/:namespace/:kind/:name', () => {
  it("answers the regional health of the entity's service for a user", async () => {
    const res = await health('food-review');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      entityRef: 'component:default/food-review',
      platform: 'inference-prod',
      service: { namespace: 'default', name: 'food-review' },
      fetchedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(states(res.body.health)).toEqual([
      ['europe-west3', 'healthy'],
      ['us-east4', 'healthy'],
    ]);
    expect(res.body.health.regions.find((r: { region: string }) => r.region === 'us-east4').preferred).toBe(
      true,
    );
  }, 30_000);

  it('answers a service (backend-to-backend) too', async () => {
    const res = await health('food-review', mockCredentials.service.header());
    expect(res.status).toBe(200);
  });

  it('refuses a request without credentials (401)', async () => {
    const res = await health('food-review', '');
    expect(res.status).toBe(401);
    expect(res.body.error.name).toBe('AuthenticationError');
  });

  it('refuses an entity the caller may not read in the catalog (403), before reading anything', async () => {
    const before = reads;
    const res = await health('food-review-secret');
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      name: 'NotAllowedError',
      message: 'you may not read component:default/food-review-secret in the catalog',
    });
    expect(reads).toBe(before);
  });

  it('refuses an entity whose Spillway health the caller may not read (403, spillway.health.read)', async () => {
    const before = reads;
    const res = await health('food-review-no-health');
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({
      name: 'NotAllowedError',
      message:
        'you may not read the Spillway health of component:default/food-review-no-health (permission spillway.health.read)',
    });
    expect(reads).toBe(before);
  });

  it('registers spillway.health.read with the permission framework', async () => {
    const res = await request(server)
      .get('/api/spillway/.well-known/backstage/permissions/metadata')
      .set('authorization', mockCredentials.service.header());
    expect(res.status).toBe(200);
    expect(res.body.permissions).toEqual([
      {
        type: 'resource',
        name: 'spillway.health.read',
        attributes: { action: 'read' },
        resourceType: 'catalog-entity',
      },
    ]);
  });

  it('answers 404 for an unknown entity, one without the annotations, and a service never applied', async () => {
    const unknown = await health('nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({
      name: 'NotFoundError',
      message: 'no entity component:default/nobody in the catalog',
    });
    const plain = await health('plain');
    expect(plain.status).toBe(404);
    expect(plain.body.error.message).toMatch(
      /^component:default\/plain has no spillway\.dev\/service annotation: it is not a Spillway service/,
    );
    const ghost = await health('never-applied');
    expect(ghost.status).toBe(404);
    expect(ghost.body.error.message).toBe(
      'service default/ghost has not been applied to platform inference-prod — run apply first',
    );
  }, 30_000);

  it('rejects an annotation naming a platform that is not configured (400), without reading it', async () => {
    const before = reads;
    const res = await health('elsewhere');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      name: 'InputError',
      message:
        'component:default/elsewhere: annotation spillway.dev/platform names "attacker-project", which is not a configured platform (configured: inference-prod) — name one of them, or ask the Backstage operators to add it to spillway.platforms',
    });
    expect(reads).toBe(before);
  });

  it('reports a dark region as unreadable while the other region is read', async () => {
    fleet.sandbox.faults.setPlan({ darkRegions: ['us-east4'] });
    try {
      const res = await health('food-review-dark');
      expect(res.status).toBe(200);
      const regions = res.body.health.regions as HealthReport['regions'];
      expect(states(res.body.health)).toEqual([
        ['europe-west3', 'healthy'],
        ['us-east4', 'unknown'],
      ]);
      expect(regions.find((r) => r.region === 'us-east4')!.checks[0]).toMatchObject({
        name: 'readable',
        ok: false,
        detail: expect.stringContaining('cannot read region us-east4 (cluster gke-east)'),
      });
    } finally {
      fleet.sandbox.faults.setPlan({});
    }
  }, 30_000);

  it('answers 503 naming the platform when its config cluster (the service record) cannot be read', async () => {
    fleet.sandbox.faults.setPlan({ darkRegions: ['europe-west3'] });
    try {
      const res = await health('food-review-config-dark');
      expect(res.status).toBe(503);
      expect(res.body.error.message).toMatch(
        /^cannot read the health of platform inference-prod: .+ — check the backend's access to the platform's project and its config cluster$/,
      );
    } finally {
      fleet.sandbox.faults.setPlan({});
    }
  }, 30_000);

  it('answers from the cache within the TTL: two requests, one upstream read', async () => {
    const before = reads;
    const first = await health('food-review-cached');
    const second = await health('food-review-cached');
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(reads - before).toBe(1);
    expect(second.body.fetchedAt).toBe(first.body.fetchedAt);
  }, 30_000);
});

describe('revalidation', () => {
  it('answers 304 without a body to a refresh whose ETag still matches, after the permission check', async () => {
    const first = await health('food-review-cached');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const etag = first.headers.etag as string;
    const again = await health('food-review-cached').set('if-none-match', etag);
    expect(again.status).toBe(304);
    expect(again.text).toBeFalsy();
    const denied = await health('food-review-no-health').set('if-none-match', etag);
    expect(denied.status).toBe(403);
  }, 30_000);
});

describe('GET /api/spillway/platforms/:name', () => {
  const platform = (name: string, auth = mockCredentials.user.header()) => {
    const r = request(server).get(`/api/spillway/platforms/${name}`);
    return auth ? r.set('authorization', auth) : r;
  };

  it("answers a configured platform's regions from its spec, without reading the cloud", async () => {
    const before = reads;
    const res = await platform('inference-prod');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      name: 'inference-prod',
      regions: [
        { region: 'europe-west3', cluster: 'gke-west', configCluster: true },
        { region: 'us-east4', cluster: 'gke-east', configCluster: false },
      ],
    });
    expect(reads).toBe(before);
  });

  it('answers 404 naming the configured platforms for any other name', async () => {
    const res = await platform('staging');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toBe(
      'platform "staging" is not configured in this Backstage (configured: inference-prod) — choose another, or ask the Backstage operators to add it to spillway.platforms',
    );
  });

  it('refuses a request without credentials (401)', async () => {
    expect((await platform('inference-prod', '')).status).toBe(401);
  });
});

describe('a read that never ends', () => {
  it('answers 503 at the deadline instead of holding the request', async () => {
    const backend = await backendWith({ regionTimeoutSeconds: 0.1 });
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    try {
      const res = await request(backend.server)
        .get('/api/spillway/health/default/component/food-review')
        .set('authorization', mockCredentials.user.header());
      expect(res.status).toBe(503);
      expect(res.body.error.message).toBe(
        `platform inference-prod did not answer within ${readDeadlineMs(100) / 1000} s — its config cluster may be unreachable from the backend; check the cluster and the network`,
      );
    } finally {
      gate = undefined;
      release();
      await backend.stop();
    }
  }, 30_000);
});

describe('concurrent requests without a cache', () => {
  let uncached: Parameters<typeof request>[0];
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const backend = await backendWith({ cache: { ttlSeconds: 0 }, regionTimeoutSeconds: 3 });
    uncached = backend.server;
    stop = () => backend.stop();
  });
  afterAll(async () => stop?.());

  const get = () =>
    request(uncached)
      .get('/api/spillway/health/default/component/food-review')
      .set('authorization', mockCredentials.user.header());

  it('reads again for each request that comes after the last read finished', async () => {
    const before = reads;
    await get();
    await get();
    expect(reads - before).toBe(2);
  }, 30_000);

  it('shares one upstream read among requests that overlap it', async () => {
    const before = reads;
    let release!: () => void;
    gate = new Promise((resolve) => (release = resolve));
    try {
      const pending = Array.from({ length: 5 }, () => get().then((res) => res));
      // Every request is waiting on the one read once the first reached the reader and the rest
      // had time to arrive; the gate holds that read until then.
      while (reads === before) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 300));
      release();
      const answers = await Promise.all(pending);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(reads - before).toBe(1);
      expect(new Set(answers.map((a) => a.body.fetchedAt)).size).toBe(1);
    } finally {
      gate = undefined;
      release();
    }
  }, 30_000);
});
