/**
 * A stand-in for the backend plugin while it is being written: the same route and answer, from a
 * real sandbox read (readServiceHealth), with the mock user token as the only accepted identity.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { Fleet } from './fleet.js';
import { foodReviewEntity } from './entity.js';
import type { SpillwayHealthResponse } from '../src/types.js';

export const MOCK_USER_TOKEN = 'mock-user-token';

export async function startStubBackend(fleet: Fleet): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const match = /^\/api\/spillway\/health\/([^/]+)\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
    if (!match) return send(404, { error: { name: 'NotFoundError', message: `no route ${req.url}` } });
    if (req.headers.authorization !== `Bearer ${MOCK_USER_TOKEN}`)
      return send(401, { error: { name: 'AuthenticationError', message: 'no user identity' } });
    const [namespace, kind, name] = match.slice(1).map(decodeURIComponent);
    const entity = foodReviewEntity;
    if (namespace !== entity.metadata.namespace || kind !== entity.kind || name !== entity.metadata.name)
      return send(404, {
        error: { name: 'NotFoundError', message: `no entity ${kind}:${namespace}/${name}` },
      });
    try {
      const answer: SpillwayHealthResponse = {
        entityRef: stringifyEntityRef(entity),
        platform: 'inference-prod',
        service: { namespace: 'default', name: 'food-review' },
        health: await fleet.readHealth(),
        fetchedAt: new Date().toISOString(),
      };
      send(200, answer);
    } catch (error) {
      send(500, { error: { name: 'Error', message: (error as Error).message } });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
