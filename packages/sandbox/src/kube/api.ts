/**
 * The REST verbs on one resource: get, list, create, update, patch (apply, merge, strategic
 * merge as merge, JSON patch), delete, deletecollection, and the status and scale subresources.
 * HTTP framing, auth, faults and watch live in server.ts.
 */
import { parse } from 'yaml';
import { serverSideApply } from './apply.js';
import { apiVersionOf, type ResourceInfo } from './discovery.js';
import { badRequest, conflict, KubeError, notFound } from './errors.js';
import { isPlainObject } from './fieldpath.js';
import { jsonPatch, mergePatch } from './patch.js';
import { scopeOf, type KubeObject, type ObjectStore } from './store.js';
import type { Validator } from './validate.js';

export interface ApiRequest {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'apply' | 'delete' | 'deletecollection';
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  /** The raw body (never logged: it may hold a Secret). */
  body: string;
  contentType: string;
  userAgent: string;
}

export interface ApiResponse {
  code: number;
  body: unknown;
}

export const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/json-patch+json',
];

export class KubeApi {
  constructor(
    private readonly store: ObjectStore,
    private readonly validator: Validator,
  ) {}

  handle(req: ApiRequest): ApiResponse {
    if (req.subresource && !this.servesSubresource(req.info, req.subresource)) {
      throw new KubeError(404, 'NotFound', `the server could not find the requested resource`, {
        kind: req.info.name,
      });
    }
    if (req.subresource === 'scale') return this.scale(req);
    switch (req.verb) {
      case 'get':
        return { code: 200, body: this.live(req) };
      case 'list':
        return { code: 200, body: this.list(req) };
      case 'create':
        return this.create(req);
      case 'update':
        return this.update(req);
      case 'apply':
        return this.apply(req);
      case 'patch':
        return this.patch(req);
      case 'delete':
        return this.delete(req);
      case 'deletecollection':
        return this.deleteCollection(req);
    }
  }

  private servesSubresource(info: ResourceInfo, sub: string) {
    return (sub === 'status' && info.status) || (sub === 'scale' && info.scale);
  }

  private apiVersion(req: ApiRequest) {
    return apiVersionOf(req.info);
  }

  private live(req: ApiRequest): KubeObject {
    const found = this.store.get(this.apiVersion(req), req.info.kind, req.namespace, req.name!);
    if (!found) throw notFound(req.info.name, req.info.group, req.name!);
    return found;
  }

  private list(req: ApiRequest) {
    const items = this.store.list(this.apiVersion(req), req.info.kind, req.namespace, {
      labelSelector: req.query.get('labelSelector') ?? undefined,
      fieldSelector: req.query.get('fieldSelector') ?? undefined,
    });
    return {
      kind: `${req.info.kind}List`,
      apiVersion: this.apiVersion(req),
      metadata: { resourceVersion: this.store.resourceVersion },
      items,
    };
  }

  /** The request body as an object of this resource, its namespace and name checked against the URL. */
  private object(req: ApiRequest, yaml = false): KubeObject {
    let body: unknown;
    try {
      body = yaml ? parseYamlOrJson(req.body) : JSON.parse(req.body);
    } catch {
      throw badRequest(`the request body is not valid ${yaml ? 'YAML' : 'JSON'}`);
    }
    if (!isPlainObject(body)) throw badRequest('the request body must be an object');
    const obj = body as KubeObject;
    obj.apiVersion ??= this.apiVersion(req);
    obj.kind ??= req.info.kind;
    if (obj.kind !== req.info.kind || obj.apiVersion !== this.apiVersion(req)) {
      throw badRequest(
        `the API version in the data (${obj.apiVersion}) does not match the expected API version (${this.apiVersion(req)}) or kind (${obj.kind} is not ${req.info.kind})`,
      );
    }
    obj.metadata = isPlainObject(obj.metadata) ? obj.metadata : ({} as KubeObject['metadata']);
    if (req.info.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== req.namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      obj.metadata.namespace = req.namespace;
    }
    if (req.name !== undefined) {
      if (obj.metadata.name && obj.metadata.name !== req.name) {
        throw badRequest(
          `the name of the object (${obj.metadata.name}) does not match the name on the URL (${req.name})`,
        );
      }
      obj.metadata.name = req.name;
    }
    return obj;
  }

  private options(req: ApiRequest) {
    const dryRun = req.query.getAll('dryRun');
    if (dryRun.some((d) => d !== 'All'))
      throw badRequest(`dryRun: Unsupported value: "${dryRun.join()}": supported values: "All"`);
    const manager = req.query.get('fieldManager') ?? (req.userAgent.split('/')[0] || 'unknown');
    return {
      dryRun: dryRun.length > 0,
      manager,
      subresource: req.subresource === 'status' ? ('status' as const) : ('' as const),
    };
  }

  private create(req: ApiRequest): ApiResponse {
    if (req.info.namespaced && !req.namespace)
      throw new KubeError(404, 'NotFound', 'the server could not find the requested resource');
    const obj = this.object(req);
    const options = this.options(req);
    if (req.info.status && req.info.kind !== 'Namespace') delete obj.status;
    if (!obj.metadata.name && typeof obj.metadata.generateName === 'string')
      obj.metadata.name = obj.metadata.generateName + suffix();
    this.validator.check(obj, req.info);
    return { code: 201, body: this.store.create(obj, options) };
  }

  private update(req: ApiRequest): ApiResponse {
    const obj = this.object(req);
    const options = this.options(req);
    this.live(req);
    this.validator.check(obj, req.info);
    return { code: 200, body: this.store.update(obj, options) };
  }

  private apply(req: ApiRequest): ApiResponse {
    const manager = req.query.get('fieldManager');
    if (!manager)
      throw new KubeError(
        400,
        'BadRequest',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    const force = req.query.get('force') === 'true';
    const options = this.options(req);
    const applied = this.object(req, true);
    const live = this.store.get(this.apiVersion(req), req.info.kind, req.namespace, req.name!);
    if (!live && req.subresource) throw notFound(req.info.name, req.info.group, req.name!);
    const wanted = applied.metadata.resourceVersion;
    if (live && wanted && wanted !== live.metadata.resourceVersion)
      throw conflict(req.info.name, req.info.group, req.name!);
    const scope = scopeOf(req.info, options);
    const { object, changed } = serverSideApply({
      live,
      applied,
      manager,
      force,
      scope,
      now: this.store.now(),
    });
    if (!changed) return { code: 200, body: live };
    this.validator.check(object, req.info);
    if (!live) return { code: 201, body: this.store.create(object, { dryRun: options.dryRun }) };
    return {
      code: 200,
      body: this.store.update(object, { dryRun: options.dryRun, subresource: options.subresource }),
    };
  }

  private patch(req: ApiRequest): ApiResponse {
    const options = this.options(req);
    const live = this.live(req);
    const patched = this.patched(req, live);
    this.validator.check(patched, req.info);
    return { code: 200, body: this.store.update(patched, options) };
  }

  private patched(req: ApiRequest, live: KubeObject): KubeObject {
    let patch: unknown;
    try {
      patch = JSON.parse(req.body);
    } catch {
      throw badRequest('the patch is not valid JSON');
    }
    const out = (
      req.contentType === 'application/json-patch+json' ? jsonPatch(live, patch) : mergePatch(live, patch)
    ) as KubeObject;
    if (!isPlainObject(out) || !isPlainObject(out.metadata))
      throw badRequest('the patched object is not an object');
    // Identity does not change by patch; a resourceVersion in the patch is a precondition.
    out.apiVersion = live.apiVersion;
    out.kind = live.kind;
    out.metadata.name = live.metadata.name;
    if (live.metadata.namespace) out.metadata.namespace = live.metadata.namespace;
    return out;
  }

  private delete(req: ApiRequest): ApiResponse {
    const { dryRun } = this.options(req);
    const gone = this.store.delete(this.apiVersion(req), req.info.kind, req.namespace, req.name!, { dryRun });
    return { code: 200, body: deleted(req.info, gone) };
  }

  private deleteCollection(req: ApiRequest): ApiResponse {
    const { dryRun } = this.options(req);
    const { items } = this.list(req);
    for (const o of items)
      this.store.delete(this.apiVersion(req), req.info.kind, o.metadata.namespace, o.metadata.name, {
        dryRun,
      });
    return {
      code: 200,
      body: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { group: req.info.group, kind: req.info.name },
      },
    };
  }

  /** deployments/scale: a Scale object over spec.replicas. */
  private scale(req: ApiRequest): ApiResponse {
    const live = this.live(req);
    const view = scaleOf(live);
    if (req.verb === 'get') return { code: 200, body: view };
    if (req.verb !== 'update' && req.verb !== 'patch' && req.verb !== 'apply')
      throw new KubeError(405, 'MethodNotAllowed', `${req.verb} is not supported on scale`);
    let next: any;
    try {
      const body = req.verb === 'apply' ? parseYamlOrJson(req.body) : JSON.parse(req.body);
      next =
        req.verb === 'update'
          ? body
          : req.contentType === 'application/json-patch+json'
            ? jsonPatch(view, body)
            : mergePatch(view, body);
    } catch (e) {
      if (e instanceof KubeError) throw e;
      throw badRequest('the request body is not valid');
    }
    const replicas = next?.spec?.replicas;
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new KubeError(
        422,
        'Invalid',
        `Scale.autoscaling "${live.metadata.name}" is invalid: spec.replicas: Invalid value: must be a non-negative integer`,
      );
    }
    const { manager, dryRun } = this.options(req);
    const updated = this.store.update({ ...live, spec: { ...live.spec, replicas } }, { manager, dryRun });
    return { code: 200, body: scaleOf(updated) };
  }
}

function parseYamlOrJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parse(text);
  }
}

const suffix = () =>
  Array.from({ length: 5 }, () => 'bcdfghjklmnpqrstvwxz2456789'[Math.floor(Math.random() * 27)]).join('');

function deleted(info: ResourceInfo, obj: KubeObject) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: obj.metadata.name, group: info.group, kind: info.name, uid: obj.metadata.uid },
  };
}

function scaleOf(d: KubeObject) {
  const labels = (d.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: d.metadata.name,
      namespace: d.metadata.namespace,
      uid: d.metadata.uid,
      resourceVersion: d.metadata.resourceVersion,
      creationTimestamp: d.metadata.creationTimestamp,
    },
    spec: { replicas: d.spec?.replicas ?? 1 },
    status: {
      replicas: d.status?.replicas ?? 0,
      selector: Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}
