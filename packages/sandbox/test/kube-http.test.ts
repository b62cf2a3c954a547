/**
 * The Kubernetes API server at the HTTP level: discovery (and how CRDs enter and leave it),
 * OpenAPI v3 for kubectl, 401 Status objects, Tables, watch, injected faults and their headers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpsRequest } from 'node:https';
import { Faults } from '../src/faults.js';
import type { KubeApiServer } from '../src/kube/index.js';
import { raw, startTestServer, TOKEN } from './kube-helpers.js';

const faults = new Faults({ seed: 5 });
let server: KubeApiServer;

beforeAll(async () => {
  server = await startTestServer(faults);
});

afterAll(async () => {
  await server.close();
});

afterEach(() => faults.setPlan({}));

const AGGREGATED =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('discovery', () => {
  it('serves the version, the core group and its resources', async () => {
    expect((await raw(server, 'GET', '/version')).json).toMatchObject({
      major: '1',
      minor: '34',
      gitVersion: 'v1.34.1-gke.1127000',
    });
    expect((await raw(server, 'GET', '/api', { accept: AGGREGATED })).json).toMatchObject({
      kind: 'APIVersions',
      versions: ['v1'],
    });
    const core = (await raw(server, 'GET', '/api/v1')).json;
    expect(core.groupVersion).toBe('v1');
    expect(core.resources.find((r: any) => r.name === 'namespaces')).toMatchObject({
      singularName: 'namespace',
      namespaced: false,
      kind: 'Namespace',
      shortNames: ['ns'],
    });
    expect(core.resources.find((r: any) => r.name === 'secrets')).toMatchObject({
      namespaced: true,
      kind: 'Secret',
      verbs: expect.arrayContaining(['create', 'get', 'list', 'patch', 'delete']),
    });
    expect(core.resources.map((r: any) => r.name)).toEqual(
      expect.arrayContaining([
        'namespaces',
        'secrets',
        'configmaps',
        'services',
        'serviceaccounts',
        'pods',
        'nodes',
        'events',
      ]),
    );
  });

  it('answers plain JSON group lists to clients that ask for aggregated discovery', async () => {
    const res = await raw(server, 'GET', '/apis', { accept: AGGREGATED });
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json.kind).toBe('APIGroupList');
    const groups = Object.fromEntries(res.json.groups.map((g: any) => [g.name, g.preferredVersion.version]));
    expect(groups).toEqual({
      apps: 'v1',
      batch: 'v1',
      'admissionregistration.k8s.io': 'v1',
      'coordination.k8s.io': 'v1',
      'rbac.authorization.k8s.io': 'v1',
      autoscaling: 'v2',
      'apiextensions.k8s.io': 'v1',
      'apiregistration.k8s.io': 'v1',
      'inference.networking.k8s.io': 'v1',
      'gateway.networking.k8s.io': 'v1',
      'networking.gke.io': 'v1',
      'monitoring.googleapis.com': 'v1',
      'autoscaling.gke.io': 'v1beta1',
      'cloud.google.com': 'v1',
      policy: 'v1',
    });
  });

  it('lists subresources: deployments/status and deployments/scale (autoscaling/v1 Scale)', async () => {
    expect((await raw(server, 'GET', '/apis/apps')).json).toMatchObject({
      kind: 'APIGroup',
      name: 'apps',
      preferredVersion: { groupVersion: 'apps/v1' },
    });
    const apps = (await raw(server, 'GET', '/apis/apps/v1')).json.resources;
    expect(apps.map((r: any) => r.name)).toEqual([
      'deployments',
      'deployments/status',
      'deployments/scale',
      'daemonsets',
      'daemonsets/status',
    ]);
    expect(apps[2]).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    const gke = (await raw(server, 'GET', '/apis/networking.gke.io/v1')).json.resources.filter(
      (r: any) => !r.name.includes('/'),
    );
    expect(gke.map((r: any) => r.kind)).toEqual([
      'HealthCheckPolicy',
      'GCPBackendPolicy',
      'GCPInferencePoolImport',
    ]);
    const missing = await raw(server, 'GET', '/apis/nope.example.com/v1');
    expect(missing.code).toBe(404);
    expect(missing.json).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
  });

  it('adds a CRD group to discovery once the CRD is established, and removes it with the CRD', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    expect((await raw(server, 'GET', '/apis/example.com/v1')).code).toBe(404);
    const created = await raw(server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: crd,
    });
    expect(created.code).toBe(201);
    expect(created.json.status.conditions.find((c: any) => c.type === 'Established').status).toBe('True');
    expect((await raw(server, 'GET', '/apis/example.com/v1')).json.resources[0]).toMatchObject({
      name: 'widgets',
      namespaced: false,
      kind: 'Widget',
      shortNames: ['wd'],
    });
    const widget = await raw(server, 'POST', '/apis/example.com/v1/widgets', {
      body: { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1' }, size: 3 },
    });
    expect(widget.code).toBe(201);
    expect(
      (
        await raw(
          server,
          'DELETE',
          '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com',
        )
      ).json,
    ).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await raw(server, 'GET', '/apis')).json.groups.map((g: any) => g.name)).not.toContain(
      'example.com',
    );
    expect((await raw(server, 'GET', '/apis/example.com/v1/widgets/w1')).code).toBe(404);
  });

  it('serves the OpenAPI v3 that kubectl checks for fieldValidation, and 404 for v2', async () => {
    const root = (await raw(server, 'GET', '/openapi/v3')).json;
    expect(Object.keys(root.paths)).toEqual(
      expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/inference.networking.k8s.io/v1']),
    );
    const doc = (await raw(server, 'GET', root.paths['apis/apps/v1'].serverRelativeURL)).json;
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation');
    expect((await raw(server, 'GET', '/openapi/v2')).code).toBe(404);
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', null],
    ['an empty bearer token', ''],
  ])('answers 401 with a Status to a request with %s', async (_what, token) => {
    const res = await raw(server, 'GET', '/api/v1/namespaces', { token: token === '' ? ' ' : token });
    expect(res.code).toBe(401);
    expect(res.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('accepts any non-empty bearer token', async () => {
    expect((await raw(server, 'GET', '/api/v1/namespaces', { token: 'anything-at-all' })).code).toBe(200);
  });
});

describe('tables and watch', () => {
  it('answers kubectl-style Table requests', async () => {
    const accept =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const table = (await raw(server, 'GET', '/api/v1/namespaces', { accept })).json;
    expect(table.kind).toBe('Table');
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Status', 'Age']);
    const row = table.rows.find((r: any) => r.cells[0] === 'gmp-system');
    expect(row.cells[1]).toBe('Active');
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'gmp-system' } });
  });

  it('streams watch events: the existing objects, then changes', async () => {
    const [host, port] = server.endpoint.split(':');
    const events: any[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = httpsRequest(
        {
          host,
          port: Number(port),
          path: '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=watched%3Dyes',
          headers: { authorization: `Bearer ${TOKEN}` },
          ca: Buffer.from(server.caCertBase64, 'base64'),
          agent: false,
        },
        (res) => {
          let buffer = '';
          res.on('data', (chunk: Buffer) => {
            buffer += chunk.toString();
            const lines = buffer.split('\n');
            buffer = lines.pop()!;
            events.push(...lines.map((l) => JSON.parse(l)));
            if (events.length === 3) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (e) => (events.length === 3 ? resolve() : reject(e)));
      req.setTimeout(5000, () => req.destroy(new Error('watch timed out')));
      req.end();
    });
    const cm = (name: string, watched: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default', labels: { watched } },
      data: { a: '1' },
    });
    server.store.create(cm('before', 'yes'));
    await new Promise((r) => setTimeout(r, 50));
    server.store.create(cm('ignored', 'no'));
    server.store.create(cm('after', 'yes'));
    server.store.delete('v1', 'ConfigMap', 'default', 'before');
    await done;
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'before'],
      ['ADDED', 'after'],
      ['DELETED', 'before'],
    ]);
    expect(events[1].object.apiVersion).toBe('v1');
  });
});

describe('faults', () => {
  it('answers an injected 429 with Retry-After: 1 and a TooManyRequests Status', async () => {
    faults.setPlan({
      rules: [{ api: 'kubernetes', method: 'get secrets', errorRate: 1, status: 429, times: 1 }],
    });
    const res = await raw(server, 'GET', '/api/v1/namespaces/default/secrets/nope');
    expect(res.code).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json).toMatchObject({
      kind: 'Status',
      reason: 'TooManyRequests',
      code: 429,
      details: { retryAfterSeconds: 1 },
    });
    expect((await raw(server, 'GET', '/api/v1/namespaces/default/secrets/nope')).code).toBe(404);
  });

  it('names calls as verb and resource: an injected 409 on "list configmaps" only', async () => {
    faults.setPlan({ rules: [{ api: 'kubernetes', method: 'list configmaps', errorRate: 1, status: 409 }] });
    const listed = await raw(server, 'GET', '/api/v1/namespaces/default/configmaps');
    expect(listed.code).toBe(409);
    expect(listed.json.reason).toBe('Conflict');
    expect((await raw(server, 'GET', '/api/v1/namespaces/default/secrets')).code).toBe(200);
  });

  it('applies a write whose response is lost: the client sees 503, the object exists', async () => {
    faults.setPlan({
      rules: [{ api: 'kubernetes', method: 'create configmaps', lostResponseRate: 1, times: 1 }],
    });
    const res = await raw(server, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'lost' } },
    });
    expect(res.code).toBe(503);
    expect(server.store.get('v1', 'ConfigMap', 'default', 'lost')?.metadata.name).toBe('lost');
  });

  it('delays a call by the injected latency (scaled by the clock)', async () => {
    faults.setPlan({ rules: [{ api: 'kubernetes', method: 'get namespaces', latencySeconds: 100 }] }); // 100 ms at 1 ms per second
    const started = Date.now();
    expect((await raw(server, 'GET', '/api/v1/namespaces/default')).code).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });
});
