/**
 * The objects of one cluster, in memory: what the API handlers serve and what the sandbox's
 * controllers read and write. Stamps uid, creationTimestamp, resourceVersion (one counter for the
 * cluster) and generation (bumped when anything but metadata and status changes); checks
 * resourceVersion preconditions and namespace existence; tells listeners about every change.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { trackUpdate, type ManagedFieldsEntry } from './apply.js';
import { crdProblems, crdStatus, splitApiVersion, type Registry, type ResourceInfo } from './discovery.js';
import { alreadyExists, conflict, invalid, KubeError, notFound } from './errors.js';
import { deepEqual } from './fieldpath.js';
import { mergePatch } from './patch.js';
import { fieldMatcher, labelMatcher } from './selectors.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  managedFields?: ManagedFieldsEntry[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: any;
}

export interface ChangeEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

export interface WriteOptions {
  /** Field manager of a create or update, recorded in managedFields (operation Update). */
  manager?: string;
  dryRun?: boolean;
  /** 'status': only status changes (the status subresource). */
  subresource?: '' | 'status';
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Admission (admission.ts): mutates the object in place, or throws the API server's refusal. */
export type AdmissionHook = (
  operation: 'CREATE' | 'UPDATE',
  info: ResourceInfo,
  object: KubeObject,
  oldObject?: KubeObject,
) => void;

export const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'gmp-system'];
const UNDELETABLE_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

const CRD = 'apiextensions.k8s.io/CustomResourceDefinition';
const NAMESPACE = '/Namespace';

export class ObjectStore {
  /** `group/Kind` → `namespace/name` → object (one copy whatever the version it is read at). */
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly listeners = new Set<(e: ChangeEvent) => void>();
  private revision = 0;
  /** Runs on every create and update but status ones, whoever writes: the API or a controller. */
  admission?: AdmissionHook;

  constructor(
    readonly registry: Registry,
    private readonly clock: Clock,
  ) {
    for (const name of INITIAL_NAMESPACES)
      this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** The last resourceVersion given out. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  now(): string {
    return this.clock
      .now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
  }

  onChange(listener: (e: ChangeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const info = this.info(apiVersion, kind);
    const found = this.bucket(info).get(this.key(info, namespace, name));
    return found && this.view(found, apiVersion);
  }

  /** Objects of a kind, in one namespace or (namespace undefined) all, sorted by namespace and name. */
  list(apiVersion: string, kind: string, namespace?: string, options: ListOptions = {}): KubeObject[] {
    const info = this.info(apiVersion, kind);
    const labels = labelMatcher(options.labelSelector);
    const fields = fieldMatcher(options.fieldSelector);
    // Selected before copied: controllers list often and want few of many objects.
    return [...this.bucket(info).entries()]
      .filter(
        ([, o]) =>
          (!info.namespaced || namespace === undefined || o.metadata.namespace === namespace) &&
          labels(o) &&
          fields(o),
      )
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => this.view(o, apiVersion));
  }

  create(input: KubeObject, options: WriteOptions = {}): KubeObject {
    const info = this.info(input.apiVersion, input.kind);
    const obj = structuredClone(input);
    const meta = obj.metadata ?? ({} as ObjectMeta);
    obj.metadata = meta;
    if (!meta.name && typeof meta.generateName === 'string')
      meta.name = meta.generateName + randomUUID().slice(0, 5);
    if (!meta.name)
      throw invalid(info.kind, info.group, '', [
        {
          reason: 'FieldValueRequired',
          field: 'metadata.name',
          message: 'Required value: name or generateName is required',
        },
      ]);
    if (info.namespaced) meta.namespace ||= 'default';
    else delete meta.namespace;
    if (info.namespaced && !this.namespaceExists(meta.namespace!))
      throw notFound('namespaces', '', meta.namespace!);
    this.admission?.('CREATE', info, obj);
    const bucket = this.bucket(info);
    const key = this.key(info, meta.namespace, meta.name);
    if (bucket.has(key)) throw alreadyExists(info.name, info.group, meta.name);

    const now = this.now();
    Object.assign(meta, { uid: randomUUID(), creationTimestamp: now, generation: 1 });
    for (const k of ['resourceVersion', 'deletionTimestamp', 'selfLink']) delete meta[k];
    this.normalize(info, obj, now);
    if (options.manager)
      meta.managedFields = trackUpdate(undefined, obj, options.manager, scopeOf(info, options), now);
    else if (!Array.isArray(meta.managedFields)) delete meta.managedFields;
    if (options.dryRun) return { ...obj, metadata: { ...meta, resourceVersion: this.resourceVersion } };

    meta.resourceVersion = String(++this.revision);
    bucket.set(key, obj);
    this.afterWrite(info, obj);
    this.emit('ADDED', obj);
    return structuredClone(obj);
  }

  update(input: KubeObject, options: WriteOptions = {}): KubeObject {
    const info = this.info(input.apiVersion, input.kind);
    const bucket = this.bucket(info);
    const key = this.key(info, input.metadata?.namespace, input.metadata?.name);
    const existing = bucket.get(key);
    if (!existing) throw notFound(info.name, info.group, input.metadata?.name ?? '');
    const precondition = input.metadata.resourceVersion;
    if (precondition && precondition !== existing.metadata.resourceVersion)
      throw conflict(info.name, info.group, existing.metadata.name);

    let next = structuredClone(input);
    if (options.subresource === 'status') {
      const managedFields = next.metadata?.managedFields;
      next = { ...structuredClone(existing), status: next.status };
      if (Array.isArray(managedFields)) next.metadata.managedFields = managedFields;
      else delete next.metadata.managedFields;
    } else if (info.status) {
      if (existing.status === undefined) delete next.status;
      else next.status = structuredClone(existing.status);
    }
    const now = this.now();
    const { uid, creationTimestamp, name, namespace, generation } = existing.metadata;
    next.metadata = {
      ...next.metadata,
      uid,
      creationTimestamp,
      name,
      ...(namespace ? { namespace } : {}),
      generation,
    };
    if (!info.namespaced) delete next.metadata.namespace;
    this.normalize(info, next, now);
    if (options.subresource !== 'status') this.admission?.('UPDATE', info, next, existing);
    if (!deepEqual(specOf(next), specOf(existing))) next.metadata.generation = (generation ?? 1) + 1;
    if (options.manager)
      next.metadata.managedFields = trackUpdate(existing, next, options.manager, scopeOf(info, options), now);
    else if (!Array.isArray(next.metadata.managedFields))
      next.metadata.managedFields = existing.metadata.managedFields;
    if (next.metadata.managedFields === undefined) delete next.metadata.managedFields;
    next.metadata.resourceVersion = existing.metadata.resourceVersion;
    if (deepEqual(next, existing)) return this.view(existing, input.apiVersion);
    if (options.dryRun) return next;

    next.metadata.resourceVersion = String(++this.revision);
    bucket.set(key, next);
    this.afterWrite(info, next);
    this.emit('MODIFIED', next);
    return this.view(next, input.apiVersion);
  }

  /** Merges `status` (JSON merge patch) into an object's status, as a controller does. */
  patchStatus(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    status: unknown,
    options: WriteOptions = {},
  ): KubeObject {
    const existing = this.get(apiVersion, kind, namespace, name);
    if (!existing) {
      const info = this.info(apiVersion, kind);
      throw notFound(info.name, info.group, name);
    }
    return this.update(
      { ...existing, status: mergePatch(existing.status, status) },
      { ...options, subresource: 'status' },
    );
  }

  delete(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    options: { dryRun?: boolean } = {},
  ): KubeObject {
    const info = this.info(apiVersion, kind);
    const bucket = this.bucket(info);
    const key = this.key(info, namespace, name);
    const existing = bucket.get(key);
    if (!existing) throw notFound(info.name, info.group, name);
    if (info.group === '' && info.kind === 'Namespace' && UNDELETABLE_NAMESPACES.has(name)) {
      throw new KubeError(
        403,
        'Forbidden',
        `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        { name, kind: 'namespaces' },
      );
    }
    if (options.dryRun) return this.view(existing, apiVersion);
    if (`${info.group}/${info.kind}` === NAMESPACE) {
      for (const [bucketKey, objects] of this.objects) {
        if (bucketKey === NAMESPACE) continue;
        for (const [k, o] of [...objects]) {
          if (o.metadata.namespace !== name) continue;
          objects.delete(k);
          this.emit('DELETED', o);
        }
      }
    }
    bucket.delete(key);
    this.revision++;
    if (`${info.group}/${info.kind}` === CRD) this.dropCrd(existing);
    this.emit('DELETED', existing);
    return this.view(existing, apiVersion);
  }

  private dropCrd(crd: KubeObject) {
    this.registry.removeCrd(crd.metadata.name);
    const { group, names } = crd.spec ?? {};
    if (this.registry.all().some((r) => r.group === group && r.kind === names?.kind)) return; // GKE still serves it
    const objects = this.objects.get(`${group}/${names?.kind}`);
    for (const o of objects?.values() ?? []) this.emit('DELETED', o);
    this.objects.delete(`${group}/${names?.kind}`);
  }

  /** Server-side defaults and conversions that clients see on read-back. */
  private normalize(info: ResourceInfo, obj: KubeObject, now: string) {
    const gk = `${info.group}/${info.kind}`;
    if (gk === NAMESPACE) {
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      obj.status = { phase: 'Active', ...obj.status };
    } else if (gk === '/Secret') {
      obj.type ??= 'Opaque';
      if (obj.stringData && typeof obj.stringData === 'object') {
        const encoded = Object.entries(obj.stringData as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(String(v)).toString('base64'),
        ]);
        obj.data = { ...obj.data, ...Object.fromEntries(encoded) };
        delete obj.stringData;
      }
    } else if (gk === CRD) {
      const problems = crdProblems(obj);
      if (problems.length)
        throw invalid(
          info.kind,
          info.group,
          obj.metadata.name,
          problems.map((p) => ({ reason: 'FieldValueInvalid', ...p })),
        );
      const previous = obj.status?.conditions as { type: string; lastTransitionTime: string }[] | undefined;
      const status = crdStatus(
        obj,
        previous?.find((c) => c.type === 'Established')?.lastTransitionTime ?? now,
      );
      obj.status = status;
    }
  }

  private afterWrite(info: ResourceInfo, obj: KubeObject) {
    if (`${info.group}/${info.kind}` === CRD) this.registry.setCrd(obj);
  }

  private namespaceExists(name: string): boolean {
    return this.objects.get(NAMESPACE)?.has(`/${name}`) ?? false;
  }

  private info(apiVersion: string, kind: string): ResourceInfo {
    const info = this.registry.byKind(apiVersion, kind);
    if (!info) {
      const { group } = splitApiVersion(apiVersion ?? '');
      throw new KubeError(
        404,
        'NotFound',
        `the server could not find the requested resource (${kind} in ${apiVersion})`,
        { group, kind },
      );
    }
    return info;
  }

  private bucket(info: ResourceInfo): Map<string, KubeObject> {
    const key = `${info.group}/${info.kind}`;
    let bucket = this.objects.get(key);
    if (!bucket) this.objects.set(key, (bucket = new Map()));
    return bucket;
  }

  private key(info: ResourceInfo, namespace: string | undefined, name: string): string {
    return `${info.namespaced ? (namespace ?? 'default') : ''}/${name}`;
  }

  /** A copy for the caller, at the apiVersion it asked for. */
  private view(obj: KubeObject, apiVersion: string): KubeObject {
    return { ...structuredClone(obj), apiVersion };
  }

  private emit(type: ChangeEvent['type'], object: KubeObject) {
    for (const listener of [...this.listeners]) {
      try {
        listener({ type, object: structuredClone(object) });
      } catch {
        // A listener's failure is its own; the write has happened.
      }
    }
  }
}

/** Everything but metadata and status, to tell a spec change (generation bump) from the rest. */
function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

export function scopeOf(info: ResourceInfo, options: { subresource?: string }) {
  return {
    subresource: options.subresource === 'status' ? ('status' as const) : ('' as const),
    statusApart: info.status,
  };
}
