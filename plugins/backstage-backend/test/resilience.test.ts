import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { appConfig, PLATFORM_TEXT } from '@spillway/backstage-testing';
import { writeFile } from 'node:fs/promises';
import request from 'supertest';
import { spillwayPlugin } from '../src/plugin.js';
import { cloudHealthReader, healthReaderServiceRef } from '../src/service/health.js';

/**
 * The real reader where nothing answers as it should: no Google credentials at all, and Google
 * APIs that accept connections and never answer. The route must answer each request once with an
 * error naming the cause, leave no promise unhandled, and the backend must keep serving.
 */
const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'food-review',
    namespace: 'default',
    annotations: { 'spillway.dev/service': 'default/food-review', 'spillway.dev/platform': 'inference-prod' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
};

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);
let platformFile: string;
let home: string;

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  home = await mkdtemp(join(tmpdir(), 'spillway-no-credentials-'));
  platformFile = join(home, 'inference-prod.yaml');
  await writeFile(platformFile, PLATFORM_TEXT);
});
afterAll(() => void process.off('unhandledRejection', onUnhandled));
afterEach(() => void (unhandled.length = 0));

async function backendReadingWith(env: NodeJS.ProcessEnv) {
  return startTestBackend({
    features: [
      spillwayPlugin,
      catalogServiceMock.factory({ entities: [entity] }),
      mockServices.rootConfig.factory({
        data: appConfig(platformFile, { cache: { ttlSeconds: 0 }, regionTimeoutSeconds: 0.2 }),
      }),
      createServiceFactory({
        service: healthReaderServiceRef,
        deps: {},
        factory: () => cloudHealthReader(env),
      }),
    ],
  });
}

const get = (server: Parameters<typeof request>[0], path: string) =>
  request(server).get(`/api/spillway${path}`).set('authorization', mockCredentials.user.header());

/** Lets late rejections (a client's background work after the answer) surface before asserting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

describe('without Google credentials', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // Application Default Credentials find nothing: no key file, no gcloud config, no metadata server.
    delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.HOME = home;
    process.env.CLOUDSDK_CONFIG = home;
    process.env.METADATA_SERVER_DETECTION = 'none';
  });
  afterAll(() => void (process.env = saved));

  it('answers 503 naming the missing credentials once, and keeps serving', async () => {
    const env = { ...process.env };
    for (const name of Object.keys(env)) if (name.endsWith('_EMULATOR_HOST')) delete env[name];
    const backend = await backendReadingWith(env);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const res = await get(backend.server, '/health/default/component/food-review');
        expect(res.status).toBe(503);
        expect(res.body.error.message).toMatch(
          /^cannot read the health of platform inference-prod: .*Could not load the default credentials.* — check the backend's access to the platform's project and its config cluster$/,
        );
        expect(res.body.error.message.match(/default credentials/g)).toHaveLength(1);
      }
      await settle();
      expect((await get(backend.server, '/platforms/inference-prod')).status).toBe(200);
      expect(unhandled).toEqual([]);
    } finally {
      await backend.stop();
    }
  }, 30_000);
});

describe('with Google APIs that accept connections and never answer', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let address: string;
  beforeAll(async () => {
    silent = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('answers 503 at the deadline, and keeps serving after the hung reads end', async () => {
    const apis = ['CONTAINER', 'GKEHUB', 'COMPUTE', 'CLOUDRESOURCEMANAGER', 'SERVICEUSAGE', 'MONITORING'];
    const env = Object.fromEntries(apis.map((api) => [`${api}_EMULATOR_HOST`, address]));
    const backend = await backendReadingWith(env);
    try {
      const res = await get(backend.server, '/health/default/component/food-review');
      expect(res.status).toBe(503);
      expect(res.body.error.message).toBe(
        'platform inference-prod did not answer within 1.4 s — its config cluster may be unreachable from the backend; check the cluster and the network',
      );
      // The hung connections end; whatever the clients do with that must not go unhandled.
      for (const socket of sockets) socket.destroy();
      await settle();
      expect((await get(backend.server, '/platforms/inference-prod')).status).toBe(200);
      expect(unhandled).toEqual([]);
    } finally {
      await backend.stop();
    }
  }, 30_000);
});
