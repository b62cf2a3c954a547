/**
 * Server-side apply and metadata.managedFields. Each manager owns the fields it set: an Apply
 * entry holds exactly the fields of that manager's last applied configuration; an Update entry
 * (create, PUT, merge patch) the fields its writes changed. Applying a field another manager owns,
 * with another value, is a conflict unless forced; a field a manager stops applying is removed
 * unless someone else owns it.
 */
import { KubeError } from './errors.js';
import {
  decodeFields,
  deepEqual,
  describePath,
  encodeFields,
  fieldSet,
  getAt,
  isPlainObject,
  mergeInto,
  pathKey,
  removeAt,
  type Path,
} from './fieldpath.js';
import type { KubeObject } from './store.js';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Which part of an object a request writes: the resource (without status, if it has a status subresource) or its status. */
export interface Scope {
  subresource: '' | 'status';
  /** The kind serves status apart, so writes to the resource leave status alone. */
  statusApart: boolean;
}

const SERVER_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** The fields of an object that a write in this scope may own (never apiVersion, kind, name…). */
export function ownedPart(obj: KubeObject | Record<string, any>, scope: Scope): Record<string, any> {
  const { apiVersion: _a, kind: _k, metadata, status, ...rest } = structuredClone(obj) as Record<string, any>;
  if (scope.subresource === 'status') return status === undefined ? {} : { status };
  const out: Record<string, any> = rest;
  const meta = isPlainObject(metadata) ? metadata : {};
  for (const k of SERVER_METADATA) delete meta[k];
  if (Object.keys(meta).length) out.metadata = meta;
  if (!scope.statusApart && status !== undefined) out.status = status;
  return out;
}

interface Owned {
  entry: ManagedFieldsEntry;
  paths: Map<string, Path>;
}

const sameOwner = (e: ManagedFieldsEntry, manager: string, operation: string, scope: Scope) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === scope.subresource;

function owners(live: KubeObject | undefined): Owned[] {
  const entries = (live?.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.map((entry) => ({ entry, paths: decodeFields(entry.fieldsV1) }));
}

function toEntries(owned: Owned[]): ManagedFieldsEntry[] {
  return owned
    .filter((o) => o.paths.size > 0)
    .map((o) => ({ ...o.entry, fieldsV1: encodeFields(o.paths.values()) }));
}

function entry(
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  time: string,
  scope: Scope,
): ManagedFieldsEntry {
  return {
    manager,
    operation,
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: {},
    ...(scope.subresource ? { subresource: scope.subresource } : {}),
  };
}

export interface ApplyRequest {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  scope: Scope;
  now: string;
}

/**
 * The object after an apply, with its managedFields; `changed` is false when the apply changes
 * nothing (the caller then keeps the stored object and its resourceVersion).
 */
export function serverSideApply(req: ApplyRequest): { object: KubeObject; changed: boolean } {
  const { live, applied, manager, force, scope, now } = req;
  const body = ownedPart(applied, scope);
  const appliedSet = fieldSet(body);
  const all = owners(live);
  const mine = all.find((o) => sameOwner(o.entry, manager, 'Apply', scope));
  const others = all.filter((o) => o !== mine);
  const liveBody = live ? ownedPart(live, scope) : {};

  // Conflicts: a field another manager owns that this apply would change.
  const conflicts: { manager: string; apiVersion: string; operation: string; path: Path }[] = [];
  for (const [key, path] of appliedSet) {
    if (path[path.length - 1] === '.') continue;
    const before = getAt(liveBody, path);
    if (!before.found || deepEqual(before.value, getAt(body, path).value)) continue;
    for (const o of others) {
      if (!o.paths.has(key)) continue;
      if (force) o.paths.delete(key);
      else
        conflicts.push({
          manager: o.entry.manager,
          apiVersion: o.entry.apiVersion,
          operation: o.entry.operation,
          path,
        });
    }
  }
  if (conflicts.length) throw conflictError(applied, conflicts);

  const object = structuredClone(
    live ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: { name: applied.metadata.name } },
  ) as KubeObject;
  if (live === undefined && applied.metadata.namespace)
    object.metadata.namespace = applied.metadata.namespace;
  object.apiVersion = applied.apiVersion;
  mergeInto(object as Record<string, any>, body);

  // Fields this manager applied before and no longer does, unless another manager owns them.
  const ownedByOthers = (path: Path) => {
    const prefix = pathKey(path.filter((el) => el !== '.'));
    return others.some((o) =>
      [...o.paths.keys()].some((k) => k === prefix || k.startsWith(prefix + '\u0001')),
    );
  };
  for (const [key, path] of mine?.paths ?? []) {
    if (appliedSet.has(key)) continue;
    if (path[path.length - 1] === '.' ? ownedByOthers(path) : others.some((o) => o.paths.has(key))) continue;
    removeAt(object, path);
  }

  const next: Owned = { entry: entry(manager, 'Apply', applied.apiVersion, now, scope), paths: appliedSet };
  const owned = mine ? all.map((o) => (o === mine ? next : o)) : [...all, next];
  object.metadata.managedFields = toEntries(owned);

  const unchanged =
    live !== undefined &&
    deepEqual(withoutManagedFields(object), withoutManagedFields(live)) &&
    mine !== undefined &&
    mine.entry.apiVersion === applied.apiVersion &&
    deepEqual(encodeFields(mine.paths.values()), encodeFields(appliedSet.values())) &&
    others.every((o) => o.paths.size === decodeFields(o.entry.fieldsV1).size);
  return unchanged ? { object: live, changed: false } : { object, changed: true };
}

const withoutManagedFields = (o: KubeObject) => ({
  ...o,
  metadata: { ...o.metadata, managedFields: undefined },
});

function conflictError(
  applied: KubeObject,
  conflicts: { manager: string; apiVersion: string; operation: string; path: Path }[],
): KubeError {
  const causes = conflicts.map((c) => {
    const field = describePath(c.path);
    const who = c.operation === 'Update' ? `"${c.manager}" using ${c.apiVersion}` : `"${c.manager}"`;
    return { reason: 'FieldManagerConflict', message: `conflict with ${who}`, field };
  });
  const list = causes.map((c) => `${c.message}: ${c.field}`).join('\n- ');
  const message =
    conflicts.length === 1
      ? `Apply failed with 1 conflict: ${causes[0]!.message}: ${causes[0]!.field}`
      : `Apply failed with ${conflicts.length} conflicts: conflicts with other managers:\n- ${list}`;
  return new KubeError(409, 'Conflict', message, { name: applied.metadata.name, causes });
}

/**
 * managedFields after a write that is not an apply (create, update, patch) by `manager`: it takes
 * the fields whose values it changed; fields that no longer exist leave every set.
 */
export function trackUpdate(
  live: KubeObject | undefined,
  next: KubeObject,
  manager: string,
  scope: Scope,
  now: string,
): ManagedFieldsEntry[] {
  const nextBody = ownedPart(next, scope);
  const liveBody = live ? ownedPart(live, scope) : {};
  const changed = [...fieldSet(nextBody)].filter(([, p]) => {
    const before = getAt(liveBody, p);
    return !before.found || (p[p.length - 1] !== '.' && !deepEqual(before.value, getAt(nextBody, p).value));
  });
  const all = owners(live);
  for (const o of all) {
    for (const [key, p] of o.paths) {
      // Only paths in this scope move; a status write leaves spec ownership alone and vice versa.
      const inScope =
        scope.subresource === 'status' ? p[0] === 'f:status' : !(scope.statusApart && p[0] === 'f:status');
      if (inScope && (!getAt(nextBody, p).found || changed.some(([k]) => k === key))) o.paths.delete(key);
    }
  }
  let mine = all.find((o) => sameOwner(o.entry, manager, 'Update', scope));
  if (!mine && changed.length)
    all.push((mine = { entry: entry(manager, 'Update', next.apiVersion, now, scope), paths: new Map() }));
  if (mine && changed.length) {
    mine.entry = { ...mine.entry, time: now, apiVersion: next.apiVersion };
    for (const [k, p] of changed) mine.paths.set(k, p);
  }
  return toEntries(all);
}
