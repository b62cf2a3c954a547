/**
 * The Kubernetes API server driven by @kubernetes/client-node, as the core drives a GKE cluster:
 * server-side apply with field managers, read-back, re-apply, conflicts and force, CRDs and their
 * custom resources, label selectors, delete, auth, upstream schema checks and faults.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Faults } from '../src/faults.js';
import type { KubeApiServer } from '../src/kube/index.js';
import {
  deployment,
  failure,
  kubeConfig,
  REGION,
  startTestServer,
  UPSTREAM_DIR,
  UPSTREAM_PRESENT,
} from './kube-helpers.js';

const faults = new Faults({ seed: 11 });
let server: KubeApiServer;
let client: k8s.KubernetesObjectApi;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  server = await startTestServer(faults);
  const kc = kubeConfig(server);
  client = k8s.KubernetesObjectApi.makeApiClient(kc);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await server.close();
});

afterEach(() => faults.setPlan({}));

/** Server-side apply, as the core does it. */
const apply = <T extends k8s.KubernetesObject>(obj: T, manager = 'spillway', force = false) =>
  client.patch(structuredClone(obj), undefined, undefined, manager, force, k8s.PatchStrategy.ServerSideApply);

const read = (apiVersion: string, kind: string, namespace: string | undefined, name: string) =>
  client.read({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } }) as Promise<any>;

describe('server-side apply of a Deployment', () => {
  it('creates it and reads it back with managedFields, uid, resourceVersion and generation', async () => {
    const applied = (await apply(deployment('vllm', 'default'))) as k8s.V1Deployment;
    expect(applied.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const back = (await read('apps/v1', 'Deployment', 'default', 'vllm')) as k8s.V1Deployment;
    expect(back.spec?.replicas).toBe(2);
    expect(back.spec?.template.spec?.containers[0]?.image).toBe('vllm/vllm-openai:v0.10.0');
    expect(back.metadata?.generation).toBe(1);
    expect(back.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect(back.metadata?.resourceVersion).toBe(applied.metadata?.resourceVersion);
    const entries = back.metadata?.managedFields ?? [];
    expect(entries.map((e) => [e.manager, e.operation, e.fieldsType])).toEqual([
      ['spillway', 'Apply', 'FieldsV1'],
    ]);
    const fields = entries[0]!.fieldsV1 as any;
    expect(fields['f:spec']['f:replicas']).toEqual({});
    expect(fields['f:metadata']['f:labels']).toEqual({ '.': {}, 'f:app': {} });
    expect(fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"vllm"}']).toMatchObject({
      '.': {},
      'f:image': {},
      'f:name': {},
    });
  }, 20_000);

  it('re-applying the same object changes nothing (same resourceVersion)', async () => {
    const before = await read('apps/v1', 'Deployment', 'default', 'vllm');
    const again = (await apply(deployment('vllm', 'default'))) as k8s.V1Deployment;
    expect(again.metadata?.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(again.metadata?.generation).toBe(1);
  });

  it('refuses, with a conflict naming the field and manager, a value another manager owns', async () => {
    const other = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vllm', namespace: 'default' },
      spec: { replicas: 5 },
    };
    const { code, status } = await failure(apply(other, 'autoscaler'));
    expect(code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toBe('Apply failed with 1 conflict: conflict with "spillway": .spec.replicas');
    expect(status.details.causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "spillway"', field: '.spec.replicas' },
    ]);
    expect((await read('apps/v1', 'Deployment', 'default', 'vllm')).spec.replicas).toBe(2);
  });

  it('with force, the other manager takes the field; the first now conflicts', async () => {
    const other = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'vllm', namespace: 'default' },
      spec: { replicas: 5 },
    };
    const forced = (await apply(other, 'autoscaler', true)) as k8s.V1Deployment;
    expect(forced.spec?.replicas).toBe(5);
    expect(forced.metadata?.generation).toBe(2);
    const owners = Object.fromEntries(
      (forced.metadata?.managedFields ?? []).map((e) => [e.manager, e.fieldsV1 as any]),
    );
    expect(owners.autoscaler).toEqual({ 'f:spec': { 'f:replicas': {} } });
    expect(owners.spillway['f:spec']['f:replicas']).toBeUndefined();
    // The image stays the first manager's: the forced apply did not mention it.
    expect(forced.spec?.template.spec?.containers[0]?.image).toBe('vllm/vllm-openai:v0.10.0');

    const { code, status } = await failure(apply(deployment('vllm', 'default', 2)));
    expect(code).toBe(409);
    expect(status.details.causes[0].field).toBe('.spec.replicas');
    expect(status.message).toContain('"autoscaler"');
    // Applying the value the other manager set is shared ownership, not a conflict.
    const shared = (await apply(deployment('vllm', 'default', 5))) as k8s.V1Deployment;
    expect(shared.spec?.replicas).toBe(5);
  });

  it('removes a field its manager stops applying', async () => {
    await apply(deployment('vllm', 'default', 5, { tier: 'model' }));
    expect((await read('apps/v1', 'Deployment', 'default', 'vllm')).metadata.labels).toEqual({
      app: 'vllm',
      tier: 'model',
    });
    await apply(deployment('vllm', 'default', 5));
    expect((await read('apps/v1', 'Deployment', 'default', 'vllm')).metadata.labels).toEqual({ app: 'vllm' });
  });
});

describe('a namespace and objects in it', () => {
  it('applies a Namespace, then a ConfigMap, a Secret and a Service into it', async () => {
    const ns = (await apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'food-review' },
    })) as k8s.V1Namespace;
    expect(ns.status?.phase).toBe('Active');
    await apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'food-review' },
      data: { mode: 'fast' },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hf-token', namespace: 'food-review' },
      stringData: { token: 'hf_abc' },
    });
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'vllm', namespace: 'food-review' },
      spec: { selector: { app: 'vllm' }, ports: [{ name: 'http', port: 8000, targetPort: 8000 }] },
    });
    expect((await read('v1', 'ConfigMap', 'food-review', 'settings')).data).toEqual({ mode: 'fast' });
    const secret = await read('v1', 'Secret', 'food-review', 'hf-token');
    expect(secret.type).toBe('Opaque');
    expect(Buffer.from(secret.data.token, 'base64').toString()).toBe('hf_abc');
    expect((await read('v1', 'Service', 'food-review', 'vllm')).spec.ports[0].port).toBe(8000);
    const names = (await core.listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(
      expect.arrayContaining(['default', 'kube-system', 'kube-public', 'gmp-system', 'food-review']),
    );
  }, 20_000);

  it('answers 404 for an object in a namespace that does not exist', async () => {
    const { code, status } = await failure(
      apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'nowhere' }, data: {} }),
    );
    expect(code).toBe(404);
    expect(status).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'namespaces "nowhere" not found',
      details: { name: 'nowhere', kind: 'namespaces' },
    });
  });
});

const OBJECTIVES_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'inferenceobjectives.inference.networking.x-k8s.io' },
  spec: {
    group: 'inference.networking.x-k8s.io',
    names: {
      kind: 'InferenceObjective',
      listKind: 'InferenceObjectiveList',
      plural: 'inferenceobjectives',
      singular: 'inferenceobjective',
    },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1alpha2',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['poolRef'],
                properties: {
                  priority: { type: 'integer' },
                  poolRef: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
                },
              },
              status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        },
      },
    ],
  },
};

const objective = (priority: unknown) => ({
  apiVersion: 'inference.networking.x-k8s.io/v1alpha2',
  kind: 'InferenceObjective',
  metadata: { name: 'food-review', namespace: 'food-review' },
  spec: { priority, poolRef: { name: 'vllm-pool' } },
});

describe('a CRD and its custom resources', () => {
  it('establishes the CRD, then applies, reads and checks a custom resource against its schema', async () => {
    await apply(OBJECTIVES_CRD);
    let crd: any;
    for (let i = 0; i < 50; i++) {
      crd = await read(
        'apiextensions.k8s.io/v1',
        'CustomResourceDefinition',
        undefined,
        OBJECTIVES_CRD.metadata.name,
      );
      if (crd.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(crd.status.conditions.map((c: any) => [c.type, c.status]).sort()).toEqual([
      ['Established', 'True'],
      ['NamesAccepted', 'True'],
    ]);
    await apply(objective(10));
    const back = await read(
      'inference.networking.x-k8s.io/v1alpha2',
      'InferenceObjective',
      'food-review',
      'food-review',
    );
    expect(back.spec).toEqual({ priority: 10, poolRef: { name: 'vllm-pool' } });

    const { code, status } = await failure(
      apply({ ...objective('high'), metadata: { name: 'bad', namespace: 'food-review' } }),
    );
    expect(code).toBe(422);
    expect(status.reason).toBe('Invalid');
    expect(status.details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.priority', reason: 'FieldValueTypeInvalid' }),
    );
  });

  it('deleting the CRD deletes its resources and its group from discovery', async () => {
    await client.delete(OBJECTIVES_CRD);
    const apis = await kubeConfig(server).makeApiClient(k8s.ApisApi).getAPIVersions();
    expect(apis.groups.map((g) => g.name)).not.toContain('inference.networking.x-k8s.io');
    expect(apis.groups.map((g) => g.name)).toContain('inference.networking.k8s.io');
    expect(server.store.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toEqual([]);
  });
});

describe('list, delete', () => {
  beforeAll(async () => {
    await apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'labels' } });
    const labelled: [string, Record<string, string>][] = [
      ['a', { app: 'vllm', tier: 'model' }],
      ['b', { app: 'vllm', tier: 'gateway' }],
      ['c', { app: 'epp' }],
      ['d', { app: 'vllm', tier: 'cache' }],
    ];
    for (const [name, labels] of labelled)
      await apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name, namespace: 'labels', labels },
        data: { k: name },
      });
  });

  const names = async (labelSelector?: string, fieldSelector?: string) => {
    const list = (await client.list(
      'v1',
      'ConfigMap',
      'labels',
      undefined,
      undefined,
      undefined,
      fieldSelector,
      labelSelector,
    )) as k8s.KubernetesListObject<k8s.KubernetesObject>;
    return list.items.map((i) => i.metadata?.name);
  };

  it('filters by label selectors: equality, inequality, in, notin, existence', async () => {
    expect(await names()).toEqual(['a', 'b', 'c', 'd']);
    expect(await names('app=vllm')).toEqual(['a', 'b', 'd']);
    expect(await names('app=vllm,tier!=gateway')).toEqual(['a', 'd']);
    expect(await names('tier in (model, gateway)')).toEqual(['a', 'b']);
    expect(await names('tier notin (model)')).toEqual(['b', 'c', 'd']);
    expect(await names('!tier')).toEqual(['c']);
    expect(await names('tier')).toEqual(['a', 'b', 'd']);
    expect(await names(undefined, 'metadata.name=c')).toEqual(['c']);
    expect(await names('app=vllm', 'metadata.name!=a')).toEqual(['b', 'd']);
  });

  it('deletes an object, then answers 404 for it', async () => {
    await client.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'labels' },
    });
    expect(await names()).toEqual(['a', 'b', 'd']);
    const { code, status } = await failure(read('v1', 'ConfigMap', 'labels', 'c'));
    expect(code).toBe(404);
    expect(status).toMatchObject({
      reason: 'NotFound',
      message: 'configmaps "c" not found',
      details: { name: 'c', kind: 'configmaps' },
    });
  });
});

describe('Leases (coordination.k8s.io/v1), as leader election takes them', () => {
  const lease = (holder: string): k8s.V1Lease => ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'spillway-apply', namespace: 'default' },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 30,
      acquireTime: new Date(),
      renewTime: new Date(),
    },
  });
  let leases: k8s.CoordinationV1Api;
  beforeAll(() => {
    leases = kubeConfig(server).makeApiClient(k8s.CoordinationV1Api);
  });

  it('is in discovery, namespaced', async () => {
    const resources = await kubeConfig(server).makeApiClient(k8s.CoordinationV1Api).getAPIResources();
    expect(resources.groupVersion).toBe('coordination.k8s.io/v1');
    expect(resources.resources.find((r) => r.name === 'leases')).toMatchObject({
      kind: 'Lease',
      namespaced: true,
      verbs: expect.arrayContaining(['create', 'get', 'update', 'delete']),
    });
  });

  it('creates a Lease, refuses an update with a stale resourceVersion (409), takes one with the current', async () => {
    const created = await leases.createNamespacedLease({ namespace: 'default', body: lease('run-a') });
    expect(created.spec?.holderIdentity).toBe('run-a');
    const stale = created.metadata!.resourceVersion!;

    const renewed = await leases.replaceNamespacedLease({
      name: 'spillway-apply',
      namespace: 'default',
      body: { ...created, spec: { ...created.spec, renewTime: new Date() } },
    });
    expect(renewed.metadata?.resourceVersion).not.toBe(stale);

    const { code, status } = await failure(
      leases.replaceNamespacedLease({
        name: 'spillway-apply',
        namespace: 'default',
        body: { ...lease('run-b'), metadata: { ...lease('run-b').metadata, resourceVersion: stale } },
      }),
    );
    expect(code).toBe(409);
    expect(status).toMatchObject({
      reason: 'Conflict',
      details: { name: 'spillway-apply', group: 'coordination.k8s.io' },
    });
    const read = await leases.readNamespacedLease({ name: 'spillway-apply', namespace: 'default' });
    expect(read.spec?.holderIdentity).toBe('run-a');

    const taken = await leases.replaceNamespacedLease({
      name: 'spillway-apply',
      namespace: 'default',
      body: { ...read, spec: { ...read.spec, holderIdentity: 'run-b' } },
    });
    expect(taken.spec?.holderIdentity).toBe('run-b');
  });

  it('refuses a second create of the same Lease (409 AlreadyExists), deletes it, then answers 404', async () => {
    const { code, status } = await failure(
      leases.createNamespacedLease({ namespace: 'default', body: lease('run-c') }),
    );
    expect(code).toBe(409);
    expect(status.reason).toBe('AlreadyExists');
    await leases.deleteNamespacedLease({ name: 'spillway-apply', namespace: 'default' });
    const gone = await failure(leases.readNamespacedLease({ name: 'spillway-apply', namespace: 'default' }));
    expect(gone.code).toBe(404);
  });
});

(UPSTREAM_PRESENT ? describe : describe.skip)(
  `the upstream manifests the project applies${UPSTREAM_PRESENT ? '' : ` (SKIPPED: ${UPSTREAM_DIR} is absent)`}`,
  () => {
    const docs = (rel: string) =>
      parseAllDocuments(readFileSync(path.join(UPSTREAM_DIR, rel), 'utf8'))
        .map((d) => d.toJS())
        .filter((d) => d != null) as k8s.KubernetesObject[];

    it('accepts the custom metrics adapter (RBAC names with colons, APIServices) and re-applies it unchanged', async () => {
      const objects = docs('custom-metrics-stackdriver-adapter/adapter_new_resource_model.yaml');
      for (const o of objects) await apply(o);
      const before = server.store.resourceVersion;
      for (const o of objects) await apply(o);
      expect(server.store.resourceVersion).toBe(before);
      expect(
        server.store.get(
          'rbac.authorization.k8s.io/v1',
          'ClusterRoleBinding',
          undefined,
          'custom-metrics:system:auth-delegator',
        ),
      ).toBeDefined();
    }, 20_000);

    it('accepts the GAIE CRDs, then InferenceObjectives checked against the applied CRD', async () => {
      for (const crd of docs('gaie-v1.0.1/crd/inference.networking.x-k8s.io_inferenceobjectives.yaml'))
        await apply(crd);
      for (const o of docs('gaie-v1.0.1/manifests/inferenceobjective.yaml')) await apply(o);
      const names = server.store
        .list('inference.networking.x-k8s.io/v1alpha2', 'InferenceObjective', 'default')
        .map((o) => o.metadata.name);
      expect(names).toEqual(['base-model', 'base-model-cpu', 'food-review']);
      const bad = {
        ...docs('gaie-v1.0.1/manifests/inferenceobjective.yaml')[0]!,
        metadata: { name: 'bad', namespace: 'default' },
        spec: { poolRef: { name: 'p' }, unknownField: 1 },
      };
      const { code, status } = await failure(apply(bad));
      expect(code).toBe(422);
      expect(status.details.causes).toContainEqual(
        expect.objectContaining({ field: 'spec.unknownField', message: 'unknown field "spec.unknownField"' }),
      );
    }, 20_000);
  },
);

describe('auth, validation, faults', () => {
  it('answers 401 to a client without a bearer token', async () => {
    const anonymous = kubeConfig(server, null);
    // The typed API drops the body of a 401; the object API keeps the Status.
    expect((await failure(anonymous.makeApiClient(k8s.CoreV1Api).listNamespace())).code).toBe(401);
    const { code, status } = await failure(
      k8s.KubernetesObjectApi.makeApiClient(anonymous).list('v1', 'Namespace'),
    );
    expect(code).toBe(401);
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 });
  });

  (UPSTREAM_PRESENT ? it : it.skip)(
    `answers 422 for a Deployment the upstream schema rejects${UPSTREAM_PRESENT ? '' : ` (SKIPPED: ${UPSTREAM_DIR} is absent)`}`,
    async () => {
      const bad = deployment('no-name', 'default');
      delete (bad.spec.template.spec.containers[0] as { name?: string }).name;
      const { code, status } = await failure(apply(bad));
      expect(code).toBe(422);
      expect(status.reason).toBe('Invalid');
      expect(status.details.causes).toContainEqual({
        reason: 'FieldValueRequired',
        field: 'spec.template.spec.containers[0].name',
        message: 'Required value',
      });
      expect(server.store.get('apps/v1', 'Deployment', 'default', 'no-name')).toBeUndefined();
    },
    20_000,
  );

  it('passes an injected 503 to the client, once', async () => {
    faults.setPlan({
      rules: [{ api: 'kubernetes', method: 'apply deployments', errorRate: 1, status: 503, times: 1 }],
    });
    const { code, status } = await failure(apply(deployment('vllm', 'default', 5)));
    expect(code).toBe(503);
    expect(status).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect(faults.log.at(-1)).toEqual({ api: 'kubernetes', method: 'apply deployments', fault: 'error 503' });
    await expect(apply(deployment('vllm', 'default', 5))).resolves.toBeDefined();
  });

  it('drops connections while its region is dark, like an unreachable control plane', async () => {
    faults.setPlan({ darkRegions: [REGION] });
    const error = await core.listNamespace().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(k8s.ApiException);
    expect(String((error as Error).message)).toMatch(/socket|ECONNRESET|disconnected|hang up|TLS/i);
    faults.setPlan({});
    expect((await core.listNamespace()).items.length).toBeGreaterThanOrEqual(4);
  });
});
