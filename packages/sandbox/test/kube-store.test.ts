/**
 * The in-process store the sandbox's controllers use, and the server-side apply rules on their
 * own (shared ownership, keyed lists, removal of fields a manager stops applying).
 */
import { describe, expect, it } from '@jest/globals';
import { Clock } from '../src/clock.js';
import { serverSideApply } from '../src/kube/apply.js';
import { KubeError, ObjectStore, Registry, type ChangeEvent, type KubeObject } from '../src/kube/index.js';

const newStore = () => new ObjectStore(new Registry(), new Clock(1));
const cm = (name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

describe('ObjectStore', () => {
  it('starts with the namespaces GKE has', () => {
    const names = newStore()
      .list('v1', 'Namespace')
      .map((n) => n.metadata.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system', 'kube-public', 'gmp-system']));
  });

  it('tells listeners about every change, and stops when asked', () => {
    const store = newStore();
    const events: string[] = [];
    const stop = store.onChange((e: ChangeEvent) =>
      events.push(
        `${e.type} ${e.object.kind} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`,
      ),
    );
    const created = store.create(cm('a', { x: '1' }));
    store.update({ ...created, data: { x: '2' } });
    store.delete('v1', 'ConfigMap', 'default', 'a');
    stop();
    store.create(cm('b', {}));
    const rv = Number(created.metadata.resourceVersion);
    expect(events).toEqual([
      `ADDED ConfigMap a ${rv}`,
      `MODIFIED ConfigMap a ${rv + 1}`,
      `DELETED ConfigMap a ${rv + 1}`,
    ]);
  });

  it('hands out copies: changing one does not change the store', () => {
    const store = newStore();
    store.create(cm('a', { x: '1' }));
    store.get('v1', 'ConfigMap', 'default', 'a')!.data.x = 'changed';
    expect(store.get('v1', 'ConfigMap', 'default', 'a')!.data).toEqual({ x: '1' });
  });

  it('patchStatus merges status, bumps resourceVersion, keeps generation', () => {
    const store = newStore();
    const d = store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', namespace: 'default' },
      spec: { replicas: 2 },
    });
    store.patchStatus('apps/v1', 'Deployment', 'default', 'd', { replicas: 2, readyReplicas: 0 });
    const after = store.patchStatus('apps/v1', 'Deployment', 'default', 'd', { readyReplicas: 2 });
    expect(after.status).toEqual({ replicas: 2, readyReplicas: 2 });
    expect(after.metadata.generation).toBe(1);
    expect(Number(after.metadata.resourceVersion)).toBe(Number(d.metadata.resourceVersion) + 2);
  });

  it('an update that changes nothing keeps the resourceVersion', () => {
    const store = newStore();
    const a = store.create(cm('a', { x: '1' }));
    expect(store.update(structuredClone(a)).metadata.resourceVersion).toBe(a.metadata.resourceVersion);
  });

  it('throws Kubernetes errors: 404 for a missing namespace, 409 for a stale resourceVersion', () => {
    const store = newStore();
    const missing = (() => {
      try {
        store.create({ ...cm('a', {}), metadata: { name: 'a', namespace: 'nowhere' } });
      } catch (e) {
        return e;
      }
    })() as KubeError;
    expect(missing).toBeInstanceOf(KubeError);
    expect([missing.code, missing.message]).toEqual([404, 'namespaces "nowhere" not found']);
    const a = store.create(cm('a', {}));
    store.update({ ...a, data: { x: '1' } });
    expect(() => store.update({ ...a, data: { x: '2' } })).toThrow(/the object has been modified/);
  });

  it('serves the kinds of a CRD created in the store', () => {
    const store = newStore();
    expect(() => store.list('example.com/v1', 'Gadget')).toThrow(KubeError);
    const crd = store.create({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    });
    expect(crd.status.acceptedNames).toMatchObject({ plural: 'gadgets', kind: 'Gadget', singular: 'gadget' });
    store.create({
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g', namespace: 'default' },
    });
    expect(store.list('example.com/v1', 'Gadget').map((g) => g.metadata.name)).toEqual(['g']);
  });
});

describe('server-side apply rules', () => {
  const scope = { subresource: '' as const, statusApart: true };
  const now = '2025-01-01T00:00:00Z';
  const dep = (
    containers: { name: string; image: string }[],
    labels?: Record<string, string>,
  ): KubeObject => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default', ...(labels ? { labels } : {}) },
    spec: { template: { spec: { containers } } },
  });
  const step = (live: KubeObject | undefined, applied: KubeObject, manager: string, force = false) =>
    serverSideApply({ live, applied, manager, force, scope, now }).object;

  it('merges keyed list items by name and removes only the items their manager dropped', () => {
    let live = step(undefined, dep([{ name: 'a', image: 'a:1' }]), 'one');
    live = step(live, dep([{ name: 'b', image: 'b:1' }]), 'two');
    expect(live.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['a', 'b']);
    live = step(live, dep([{ name: 'c', image: 'c:1' }]), 'one');
    expect(live.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['b', 'c']);
  });

  it('keeps a field two managers set to the same value until both stop applying it', () => {
    let live = step(undefined, dep([], { app: 'x', shared: 'yes' }), 'one');
    live = step(live, dep([], { shared: 'yes' }), 'two');
    live = step(live, dep([], { app: 'x' }), 'one');
    expect(live.metadata.labels).toEqual({ app: 'x', shared: 'yes' });
    live = step(live, dep([], { other: 'z' }), 'two');
    expect(live.metadata.labels).toEqual({ app: 'x', other: 'z' });
  });

  it('reports every conflicting field, and with force moves them all', () => {
    let live = step(undefined, dep([{ name: 'a', image: 'a:1' }], { app: 'x' }), 'one');
    const theirs = dep([{ name: 'a', image: 'a:2' }], { app: 'y' });
    let error: KubeError | undefined;
    try {
      step(live, theirs, 'two');
    } catch (e) {
      error = e as KubeError;
    }
    expect(error?.code).toBe(409);
    expect(error?.details?.causes?.map((c) => c.field).sort()).toEqual([
      '.metadata.labels.app',
      '.spec.template.spec.containers[name="a"].image',
    ]);
    live = step(live, theirs, 'two', true);
    expect(live.spec.template.spec.containers[0].image).toBe('a:2');
    const one = live.metadata.managedFields!.find((e) => e.manager === 'one')!.fieldsV1 as any;
    expect(
      one['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"a"}']['f:image'],
    ).toBeUndefined();
  });
});
