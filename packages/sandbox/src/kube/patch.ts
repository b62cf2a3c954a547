/**
 * JSON merge patch (RFC 7386; strategic merge patch is treated the same) and JSON patch (RFC 6902).
 */
import { badRequest, KubeError } from './errors.js';
import { deepEqual, isPlainObject } from './fieldpath.js';

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isPlainObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (
      k === '$patch' ||
      k.startsWith('$setElementOrder') ||
      k.startsWith('$retainKeys') ||
      k.startsWith('$deleteFromPrimitiveList')
    )
      continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

const unescape = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`invalid JSON pointer "${path}"`);
  return path.slice(1).split('/').map(unescape);
}

/** The container of the last token and that token (arrays accept an index or `-`). */
function locate(doc: unknown, tokens: string[]): { parent: any; token: string } {
  let node: any = doc;
  for (const t of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(t)] : isPlainObject(node) ? node[t] : undefined;
    if (node === undefined)
      throw new KubeError(422, 'Invalid', `jsonpatch: path "/${tokens.join('/')}" does not exist`);
  }
  return { parent: node, token: tokens[tokens.length - 1]! };
}

function read(doc: unknown, path: string): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return doc;
  const { parent, token } = locate(doc, tokens);
  const v = Array.isArray(parent) ? parent[Number(token)] : parent?.[token];
  if (v === undefined) throw new KubeError(422, 'Invalid', `jsonpatch: path "${path}" does not exist`);
  return v;
}

function remove(doc: unknown, path: string): unknown {
  const { parent, token } = locate(doc, pointer(path));
  const v = read(doc, path);
  if (Array.isArray(parent)) parent.splice(Number(token), 1);
  else delete parent[token];
  return v;
}

function add(doc: unknown, path: string, value: unknown): unknown {
  const tokens = pointer(path);
  if (tokens.length === 0) return structuredClone(value);
  const { parent, token } = locate(doc, tokens);
  if (Array.isArray(parent))
    parent.splice(token === '-' ? parent.length : Number(token), 0, structuredClone(value));
  else if (isPlainObject(parent)) parent[token] = structuredClone(value);
  else throw new KubeError(422, 'Invalid', `jsonpatch: cannot add at "${path}"`);
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest('a JSON patch must be a list of operations');
  let doc = structuredClone(target);
  for (const o of ops as Operation[]) {
    switch (o.op) {
      case 'add':
        doc = add(doc, o.path, o.value);
        break;
      case 'remove':
        remove(doc, o.path);
        break;
      case 'replace':
        remove(doc, o.path);
        doc = add(doc, o.path, o.value);
        break;
      case 'move':
        doc = add(doc, o.path, remove(doc, o.from ?? ''));
        break;
      case 'copy':
        doc = add(doc, o.path, read(doc, o.from ?? ''));
        break;
      case 'test':
        if (!deepEqual(read(doc, o.path), o.value))
          throw new KubeError(422, 'Invalid', `jsonpatch: test failed at "${o.path}"`);
        break;
      default:
        throw badRequest(`unsupported JSON patch operation "${String(o.op)}"`);
    }
  }
  return doc;
}
