/**
 * Field paths and field sets in the `FieldsV1` format of metadata.managedFields:
 * `f:<field>` for a struct or map field, `k:{"name":"x"}` for an item of a keyed list, `.` for
 * the node itself (a map or list item). There is no schema here, so list kinds are guessed:
 * lists of objects with a unique `name` (or a port, mountPath, type…) are keyed, others atomic.
 */
export type Path = string[];

export const pathKey = (p: Path) => p.join('\u0001');

export const isPlainObject = (v: unknown): v is Record<string, any> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
    );
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
}

/** Maps (not structs) get a `.` entry, as the API server records them. */
const MAP_FIELDS = new Set([
  'labels',
  'annotations',
  'matchLabels',
  'nodeSelector',
  'data',
  'stringData',
  'binaryData',
  'limits',
  'requests',
]);
/** Keys of known keyed lists, by field name; other lists of objects are keyed by a unique `name`. */
const LIST_KEYS: Record<string, string[]> = {
  ports: ['containerPort', 'port', 'name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  conditions: ['type'],
};

/** The key field of a keyed list, or undefined for an atomic list. */
export function listKey(field: string, items: unknown[]): string | undefined {
  if (items.length === 0 || !items.every(isPlainObject)) return undefined;
  for (const key of LIST_KEYS[field] ?? ['name']) {
    const values = items.map((i) => (i as Record<string, unknown>)[key]);
    if (
      values.every((v) => typeof v === 'string' || typeof v === 'number') &&
      new Set(values).size === values.length
    )
      return key;
  }
  return undefined;
}

const itemElement = (key: string, item: Record<string, unknown>) =>
  `k:${JSON.stringify({ [key]: item[key] })}`;

/** Every leaf and `.` path of a value, keyed by pathKey. */
export function fieldSet(value: unknown): Map<string, Path> {
  const out = new Map<string, Path>();
  const add = (p: Path) => out.set(pathKey(p), p);
  const walkObject = (obj: Record<string, unknown>, path: Path) => {
    for (const [k, v] of Object.entries(obj)) walk(v, [...path, `f:${k}`], k);
  };
  const walk = (v: unknown, path: Path, field: string) => {
    if (isPlainObject(v)) {
      if (Object.keys(v).length === 0) return add(path);
      if (MAP_FIELDS.has(field)) add([...path, '.']);
      return walkObject(v, path);
    }
    const key = Array.isArray(v) ? listKey(field, v) : undefined;
    if (!key) return add(path); // scalar, null or atomic list
    for (const item of v as Record<string, unknown>[]) {
      const itemPath = [...path, itemElement(key, item)];
      add([...itemPath, '.']);
      walkObject(item, itemPath);
    }
  };
  if (isPlainObject(value)) walkObject(value, []);
  return out;
}

/** FieldsV1 JSON from a set of paths. */
export function encodeFields(paths: Iterable<Path>): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const p of paths) {
    let node = root;
    for (const el of p) node = node[el] ??= {};
  }
  return root;
}

/** Paths (leaves and `.`) of a FieldsV1 value. */
export function decodeFields(fields: unknown): Map<string, Path> {
  const out = new Map<string, Path>();
  const walk = (node: unknown, path: Path) => {
    if (!isPlainObject(node)) return;
    for (const [k, v] of Object.entries(node)) {
      const p = [...path, k];
      if (isPlainObject(v) && Object.keys(v).length > 0) walk(v, p);
      else out.set(pathKey(p), p);
    }
  };
  walk(fields, []);
  return out;
}

interface Located {
  found: boolean;
  value?: unknown;
}

function step(node: unknown, el: string): Located {
  if (el.startsWith('f:')) {
    const k = el.slice(2);
    return isPlainObject(node) && Object.hasOwn(node, k) ? { found: true, value: node[k] } : { found: false };
  }
  if (el.startsWith('k:') && Array.isArray(node)) {
    const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
    const item = node.find((i) => isPlainObject(i) && Object.entries(key).every(([k, v]) => i[k] === v));
    return item === undefined ? { found: false } : { found: true, value: item };
  }
  return { found: false };
}

export function getAt(obj: unknown, path: Path): Located {
  let cur: Located = { found: true, value: obj };
  for (const el of path) {
    if (el === '.') break;
    cur = step(cur.value, el);
    if (!cur.found) return cur;
  }
  return cur;
}

/** Removes the field or list item a path names (`.` names its parent node). */
export function removeAt(obj: unknown, path: Path) {
  const p = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  if (p.length === 0) return;
  const parent = getAt(obj, p.slice(0, -1));
  const last = p[p.length - 1]!;
  if (!parent.found) return;
  if (last.startsWith('f:') && isPlainObject(parent.value)) delete parent.value[last.slice(2)];
  if (last.startsWith('k:') && Array.isArray(parent.value)) {
    const item = step(parent.value, last);
    if (item.found) parent.value.splice(parent.value.indexOf(item.value), 1);
  }
}

/** `.spec.template.spec.containers[name="x"].image`, as conflict messages name fields. */
export function describePath(path: Path): string {
  return path
    .filter((el) => el !== '.')
    .map((el) => {
      if (el.startsWith('f:')) return `.${el.slice(2)}`;
      const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

/** Merges an applied value into a live one: maps field by field, keyed lists item by item. */
export function mergeInto(target: Record<string, any>, src: Record<string, any>) {
  for (const [k, v] of Object.entries(src)) {
    const cur = target[k];
    if (isPlainObject(v) && isPlainObject(cur)) {
      mergeInto(cur, v);
    } else if (Array.isArray(v) && Array.isArray(cur) && listKey(k, v) && listKey(k, v) === listKey(k, cur)) {
      const key = listKey(k, v)!;
      for (const item of v as Record<string, any>[]) {
        const existing = cur.find((i: Record<string, any>) => i[key] === item[key]);
        if (existing) mergeInto(existing, item);
        else cur.push(structuredClone(item));
      }
    } else {
      target[k] = structuredClone(v);
    }
  }
}
