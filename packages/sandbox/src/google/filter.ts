/**
 * Compute list filters (the `filter` query parameter), the subset the sandbox understands:
 *   purpose = "GLOBAL_MANAGED_PROXY"          field = value, field != value (exact, quoted or bare)
 *   name eq "proxy-.*"   name ne "default"     eq / ne: RE2-style regular expression, whole value
 *   (purpose = "X") (role = "ACTIVE")          juxtaposition or AND: both; OR: either; NOT negates
 * Fields are dotted paths into the resource; values compare as strings (true, 42). A link field
 * (network, region) also matches its last path segment, as Compute compares partial URLs.
 */
import { ApiError } from '../rest.js';
import { getPath } from './common.js';

type Node =
  | { kind: 'cmp'; field: string; op: string; value: string }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; node: Node };

const TOKEN = /\s*(\(|\)|!=|=|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s()=!"']+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (TOKEN.lastIndex < text.length && (m = TOKEN.exec(text))) tokens.push(m[1]!);
  if (text.slice(TOKEN.lastIndex).trim()) throw invalid(text);
  return tokens;
}

function invalid(filter: string) {
  return new ApiError(
    400,
    `Invalid value for field 'filter': '${filter}'. Invalid list filter expression.`,
    'invalid',
  );
}

export function parseFilter(text: string): Node | undefined {
  const tokens = tokenize(text);
  if (!tokens.length) return undefined;
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const token = tokens[i++];
    if (token === undefined) throw invalid(text);
    return token;
  };
  const unquote = (v: string) => (/^["']/.test(v) ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v);

  function or(): Node {
    let left = and();
    while (peek() === 'OR') {
      i++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }
  function and(): Node {
    let left = factor();
    while (peek() !== undefined && peek() !== ')' && peek() !== 'OR') {
      if (peek() === 'AND') i++;
      left = { kind: 'and', left, right: factor() };
    }
    return left;
  }
  function factor(): Node {
    const token = next();
    if (token === 'NOT') return { kind: 'not', node: factor() };
    if (token === '(') {
      const node = or();
      if (next() !== ')') throw invalid(text);
      return node;
    }
    const op = next();
    if (!['=', '!=', 'eq', 'ne'].includes(op)) throw invalid(text);
    return { kind: 'cmp', field: token, op, value: unquote(next()) };
  }

  const node = or();
  if (i !== tokens.length) throw invalid(text);
  return node;
}

function regex(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    throw new ApiError(
      400,
      `Invalid value for field 'filter': invalid regular expression '${source}'.`,
      'invalid',
    );
  }
}

export function matches(node: Node | undefined, resource: unknown): boolean {
  if (!node) return true;
  switch (node.kind) {
    case 'and':
      return matches(node.left, resource) && matches(node.right, resource);
    case 'or':
      return matches(node.left, resource) || matches(node.right, resource);
    case 'not':
      return !matches(node.node, resource);
    case 'cmp': {
      const raw = getPath(resource, node.field);
      const value = raw === undefined || raw === null ? '' : String(raw);
      const candidates = value.includes('/') ? [value, value.split('/').pop()!] : [value];
      const hit =
        node.op === '=' || node.op === '!='
          ? candidates.includes(node.value)
          : candidates.some((c) => regex(node.value).test(c));
      return node.op === '=' || node.op === 'eq' ? hit : !hit;
    }
  }
}
