/**
 * REST semantics over HTTP: create, update with resourceVersion preconditions, generation, the
 * patch types, dry runs, the status and scale subresources, namespaces and deletion.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { KubeApiServer } from '../src/kube/index.js';
import { deployment, raw, startTestServer } from './kube-helpers.js';

let server: KubeApiServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

const CM = '/api/v1/namespaces/default/configmaps';
const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
const configMap = (name: string, data: Record<string, string> = { a: '1' }) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

describe('create and update', () => {
  it('creates (201), then refuses the same name with 409 AlreadyExists', async () => {
    const first = await raw(server, 'POST', CM, { body: configMap('one') });
    expect(first.code).toBe(201);
    expect(first.json.metadata).toMatchObject({
      name: 'one',
      namespace: 'default',
      resourceVersion: expect.stringMatching(/^\d+$/),
    });
    const again = await raw(server, 'POST', CM, { body: configMap('one') });
    expect(again.code).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'configmaps "one" already exists',
      details: { name: 'one', kind: 'configmaps' },
    });
  });

  it('names an object from generateName', async () => {
    const res = await raw(server, 'POST', CM, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } },
    });
    expect(res.json.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('refuses a body whose namespace is not the URL namespace', async () => {
    const res = await raw(server, 'POST', CM, {
      body: { ...configMap('x'), metadata: { name: 'x', namespace: 'kube-system' } },
    });
    expect(res.code).toBe(400);
    expect(res.json.reason).toBe('BadRequest');
  });

  it('updates with the current resourceVersion and refuses a stale one with 409 Conflict', async () => {
    const live = (await raw(server, 'GET', `${CM}/one`)).json;
    const updated = await raw(server, 'PUT', `${CM}/one`, { body: { ...live, data: { a: '2' } } });
    expect(updated.code).toBe(200);
    expect(Number(updated.json.metadata.resourceVersion)).toBeGreaterThan(
      Number(live.metadata.resourceVersion),
    );
    const stale = await raw(server, 'PUT', `${CM}/one`, { body: { ...live, data: { a: '3' } } });
    expect(stale.code).toBe(409);
    expect(stale.json).toMatchObject({
      reason: 'Conflict',
      message: expect.stringContaining('the object has been modified'),
    });
    expect((await raw(server, 'GET', `${CM}/one`)).json.data).toEqual({ a: '2' });
  });

  it('bumps generation for spec changes, not for metadata changes', async () => {
    const created = (await raw(server, 'POST', DEPLOY, { body: deployment('gen', 'default') })).json;
    expect(created.metadata.generation).toBe(1);
    const labelled = (
      await raw(server, 'PATCH', `${DEPLOY}/gen`, {
        body: { metadata: { labels: { extra: 'x' } } },
        contentType: 'application/merge-patch+json',
      })
    ).json;
    expect(labelled.metadata.generation).toBe(1);
    const scaled = (
      await raw(server, 'PATCH', `${DEPLOY}/gen`, {
        body: { spec: { replicas: 4 } },
        contentType: 'application/strategic-merge-patch+json',
      })
    ).json;
    expect(scaled.metadata.generation).toBe(2);
    expect(scaled.spec.replicas).toBe(4);
    expect(scaled.metadata.labels).toEqual({ app: 'gen', extra: 'x' });
  }, 20_000);
});

describe('patch', () => {
  it('merge patch: sets and removes (null) keys', async () => {
    await raw(server, 'POST', CM, { body: configMap('merge', { a: '1', b: '2' }) });
    const res = await raw(server, 'PATCH', `${CM}/merge`, {
      body: { data: { b: null, c: '3' } },
      contentType: 'application/merge-patch+json',
    });
    expect(res.code).toBe(200);
    expect(res.json.data).toEqual({ a: '1', c: '3' });
  });

  it('JSON patch: add, replace, remove; a failed test is 422', async () => {
    await raw(server, 'POST', CM, { body: configMap('json', { a: '1', b: '2' }) });
    const ops = [
      { op: 'add', path: '/data/c', value: '3' },
      { op: 'replace', path: '/data/a', value: '10' },
      { op: 'remove', path: '/data/b' },
    ];
    const res = await raw(server, 'PATCH', `${CM}/json`, {
      body: ops,
      contentType: 'application/json-patch+json',
    });
    expect(res.json.data).toEqual({ a: '10', c: '3' });
    const failed = await raw(server, 'PATCH', `${CM}/json`, {
      body: [{ op: 'test', path: '/data/a', value: '1' }],
      contentType: 'application/json-patch+json',
    });
    expect(failed.code).toBe(422);
  });

  it('refuses other patch types with 415', async () => {
    expect(
      (await raw(server, 'PATCH', `${CM}/json`, { body: {}, contentType: 'application/json' })).code,
    ).toBe(415);
  });

  it('server-side apply: needs a fieldManager, takes YAML, and dryRun=All stores nothing', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: fast\n';
    const type = 'application/apply-patch+yaml';
    const noManager = await raw(server, 'PATCH', `${CM}/applied`, { body: yaml, contentType: type });
    expect(noManager.code).toBe(400);
    expect(noManager.json.message).toContain('fieldManager');
    const dry = await raw(server, 'PATCH', `${CM}/applied?fieldManager=t&dryRun=All`, {
      body: yaml,
      contentType: type,
    });
    expect(dry.code).toBe(201);
    expect(dry.json.data).toEqual({ mode: 'fast' });
    expect((await raw(server, 'GET', `${CM}/applied`)).code).toBe(404);
    const real = await raw(server, 'PATCH', `${CM}/applied?fieldManager=t`, {
      body: yaml,
      contentType: type,
    });
    expect(real.code).toBe(201);
    expect(real.json.metadata.managedFields[0]).toMatchObject({
      manager: 't',
      operation: 'Apply',
      fieldsV1: { 'f:data': { '.': {}, 'f:mode': {} } },
    });
    const dryChange = await raw(server, 'PATCH', `${CM}/applied?fieldManager=t&dryRun=All`, {
      body: yaml.replace('fast', 'slow'),
      contentType: type,
    });
    expect(dryChange.json.data).toEqual({ mode: 'slow' });
    expect((await raw(server, 'GET', `${CM}/applied`)).json.data).toEqual({ mode: 'fast' });
  });

  it('a create with dryRun=All stores nothing', async () => {
    expect((await raw(server, 'POST', `${CM}?dryRun=All`, { body: configMap('dry') })).code).toBe(201);
    expect((await raw(server, 'GET', `${CM}/dry`)).code).toBe(404);
  });

  it('records writes other than apply as Update entries of their field manager', async () => {
    const res = await raw(server, 'PATCH', `${CM}/applied?fieldManager=editor`, {
      body: { data: { mode: 'slow' } },
      contentType: 'application/merge-patch+json',
    });
    const entries = res.json.metadata.managedFields.map((e: any) => [e.manager, e.operation, e.fieldsV1]);
    expect(entries).toEqual([
      ['t', 'Apply', { 'f:data': { '.': {} } }],
      ['editor', 'Update', { 'f:data': { 'f:mode': {} } }],
    ]);
    // The field moved to "editor": the applier now conflicts with an Update manager.
    const conflict = await raw(server, 'PATCH', `${CM}/applied?fieldManager=t`, {
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  mode: fast\n',
      contentType: 'application/apply-patch+yaml',
    });
    expect(conflict.code).toBe(409);
    expect(conflict.json.message).toBe(
      'Apply failed with 1 conflict: conflict with "editor" using v1: .data.mode',
    );
  });
});

describe('subresources', () => {
  it('status: PUT /status changes only status; writes of the resource leave status alone', async () => {
    const live = (await raw(server, 'GET', `${DEPLOY}/gen`)).json;
    const status = await raw(server, 'PUT', `${DEPLOY}/gen/status`, {
      body: { ...live, spec: { ...live.spec, replicas: 9 }, status: { replicas: 4, readyReplicas: 4 } },
    });
    expect(status.json.status).toEqual({ replicas: 4, readyReplicas: 4 });
    expect(status.json.spec.replicas).toBe(4);
    expect(status.json.metadata.generation).toBe(live.metadata.generation);
    const main = await raw(server, 'PUT', `${DEPLOY}/gen`, {
      body: { ...status.json, status: { replicas: 0 } },
    });
    expect(main.json.status).toEqual({ replicas: 4, readyReplicas: 4 });
  });

  it('scale: reads and sets spec.replicas through autoscaling/v1 Scale', async () => {
    const scale = (await raw(server, 'GET', `${DEPLOY}/gen/scale`)).json;
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 4 },
      status: { replicas: 4, selector: 'app=gen' },
    });
    const patched = await raw(server, 'PATCH', `${DEPLOY}/gen/scale`, {
      body: { spec: { replicas: 6 } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.json.spec.replicas).toBe(6);
    expect((await raw(server, 'GET', `${DEPLOY}/gen`)).json.spec.replicas).toBe(6);
  });
});

describe('namespaces and deletion', () => {
  it('refuses to delete default (403) and deletes a namespace with its objects', async () => {
    expect((await raw(server, 'DELETE', '/api/v1/namespaces/default')).code).toBe(403);
    await raw(server, 'POST', '/api/v1/namespaces', {
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'temp' } },
    });
    expect(
      (await raw(server, 'POST', '/api/v1/namespaces/temp/configmaps', { body: configMap('inside') })).code,
    ).toBe(201);
    const gone = await raw(server, 'DELETE', '/api/v1/namespaces/temp');
    expect(gone.json).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'temp', kind: 'namespaces' },
    });
    expect(server.store.list('v1', 'ConfigMap', 'temp')).toEqual([]);
    expect(
      (await raw(server, 'POST', '/api/v1/namespaces/temp/configmaps', { body: configMap('inside') })).code,
    ).toBe(404);
  });

  it('deletes a collection by label selector', async () => {
    for (const [name, app] of [
      ['d1', 'x'],
      ['d2', 'x'],
      ['d3', 'y'],
    ]) {
      await raw(server, 'POST', CM, { body: { ...configMap(name!), metadata: { name, labels: { app } } } });
    }
    expect((await raw(server, 'DELETE', `${CM}?labelSelector=app%3Dx`)).code).toBe(200);
    expect(
      server.store
        .list('v1', 'ConfigMap', 'default', { labelSelector: 'app in (x,y)' })
        .map((o) => o.metadata.name),
    ).toEqual(['d3']);
  });

  it('refuses invalid names and label values with 422 Invalid', async () => {
    const res = await raw(server, 'POST', CM, {
      body: { ...configMap('Bad_Name'), metadata: { name: 'Bad_Name', labels: { app: 'not valid!' } } },
    });
    expect(res.code).toBe(422);
    expect(res.json.details.causes.map((c: any) => c.field)).toEqual([
      'metadata.name',
      'metadata.labels[app]',
    ]);
  });

  it('answers 400 for a malformed label selector', async () => {
    expect((await raw(server, 'GET', `${CM}?labelSelector=${encodeURIComponent('a in (b')}`)).code).toBe(400);
  });
});
