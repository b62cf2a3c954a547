import { closest, distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { formatPath, type Path, type SpecIssue } from './errors.js';
import { API_VERSION, schemaByKind, type SpecKind } from './schema.js';
import type { SourceDocument } from './source.js';

export type ShapeResult = { ok: true; kind: SpecKind; value: unknown } | { ok: false; issues: SpecIssue[] };

/** Checks one document's shape (fields, types, ranges) and fills in defaults. */
export function checkShape(doc: SourceDocument): ShapeResult {
  const raw = doc.value;
  const at = (path: Path, message: string, hint: string, key = false): SpecIssue => ({
    file: doc.file,
    ...doc.locate(path, { key }),
    path: formatPath(path),
    message,
    hint,
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return {
      ok: false,
      issues: [at([], 'a document must be a mapping', 'start it with apiVersion: and kind:')],
    };
  }
  const kind = (raw as Record<string, unknown>).kind;
  if (typeof kind !== 'string' || !(kind in schemaByKind)) {
    const kinds = Object.keys(schemaByKind);
    const hint =
      typeof kind === 'string' && kind.length > 0
        ? `did you mean ${closest(kind, kinds)}? (one of ${kinds.join(', ')})`
        : `set kind to one of ${kinds.join(', ')}`;
    const message = kind === undefined ? 'kind is missing' : `unknown kind ${JSON.stringify(kind)}`;
    return { ok: false, issues: [at(['kind'], message, hint)] };
  }
  const schema = schemaByKind[kind as SpecKind];
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, kind: kind as SpecKind, value: parsed.data };
  const issues = parsed.error.issues.flatMap((issue) => translate(issue, raw, schema, at));
  return { ok: false, issues };
}

type At = (path: Path, message: string, hint: string, key?: boolean) => SpecIssue;

function translate(issue: z.core.$ZodIssue, raw: unknown, schema: z.ZodType, at: At): SpecIssue[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownField([...path, key], schemaAt(schema, path), at));
    case 'invalid_type': {
      const actual = valueAt(raw, path);
      if (actual === undefined) return [at(path, 'is required', `add ${lastName(path)}`)];
      return [
        at(
          path,
          `must be ${article(issue.expected)}, not ${describe(actual)}`,
          `write ${article(issue.expected)}`,
        ),
      ];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      if (path.join('.') === 'apiVersion') {
        return [at(path, `must be ${API_VERSION}`, `set apiVersion: ${API_VERSION}`)];
      }
      const actual = valueAt(raw, path);
      const near = typeof actual === 'string' ? closest(actual, issue.values.map(String)) : undefined;
      return [
        at(
          path,
          `${JSON.stringify(actual)} is not allowed`,
          near ? `did you mean ${near}? (one of ${allowed.join(', ')})` : `use one of ${allowed.join(', ')}`,
        ),
      ];
    }
    case 'too_small':
    case 'too_big': {
      const small = issue.code === 'too_small';
      const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      if (issue.origin === 'array') {
        return [
          at(
            path,
            `needs ${small ? 'at least' : 'at most'} ${bound} item(s)`,
            small ? 'add one' : 'remove some',
          ),
        ];
      }
      if (issue.origin === 'string') {
        return [
          at(
            path,
            small ? 'must not be empty' : `is longer than ${bound} characters`,
            small ? `give ${lastName(path)} a value` : 'shorten it',
          ),
        ];
      }
      const exclusive = !issue.inclusive;
      return [
        at(
          path,
          `is ${JSON.stringify(valueAt(raw, path))}, ${small ? 'below' : 'above'} the ${small ? 'minimum' : 'maximum'} of ${bound}${exclusive ? ' (exclusive)' : ''}`,
          `use a value ${small ? 'of at least' : 'of at most'} ${bound}`,
        ),
      ];
    }
    case 'invalid_format':
      return [at(path, issue.message, 'fix the value')];
    default:
      return [at(path, issue.message, 'fix the value')];
  }
}

/** Field-specific advice for fields that exist elsewhere in the spec. */
const MISPLACED: Record<string, string> = {
  network: 'every cluster shares one VPC network: set spec.network once for the platform',
  projectId: 'every cluster is in one project: set spec.projectId once for the platform',
  gkeVersion: 'every cluster runs one GKE version: set spec.gkeVersion once for the platform',
};

function unknownField(path: Path, parent: z.ZodType | undefined, at: At): SpecIssue {
  const key = String(path[path.length - 1]);
  const known = parent ? shapeKeys(parent) : [];
  if (path.length > 2 && MISPLACED[key]) return at(path, `unknown field ${key}`, MISPLACED[key], true);
  const near = known.length ? closest(key, known) : undefined;
  // A close spelling, or a truncated name (seed 002 writes maxUtilization for maxUtilizationPercent).
  const similar =
    near !== undefined &&
    (distance(key, near) <= Math.max(2, Math.floor(key.length / 3)) ||
      (key.length >= 4 && near.startsWith(key)));
  const hint = similar
    ? `did you mean ${near}?`
    : known.length
      ? `remove it; the known fields here are ${known.join(', ')}`
      : 'remove it';
  return at(path, `unknown field ${key}`, hint, true);
}

/** The schema that validates the value at `path`, unwrapping defaults, optionals and arrays. */
function schemaAt(schema: z.ZodType, path: Path): z.ZodType | undefined {
  let current: z.ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (!current) return undefined;
    if (current instanceof z.ZodObject && typeof part === 'string') current = unwrap(current.shape[part]);
    else if (current instanceof z.ZodArray && typeof part === 'number')
      current = unwrap(current.element as z.ZodType);
    else return undefined;
  }
  return current;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

function shapeKeys(schema: z.ZodType): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function valueAt(raw: unknown, path: Path): unknown {
  let current = raw;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

function lastName(path: Path): string {
  const named = [...path].reverse().find((p) => typeof p === 'string');
  return named === undefined ? 'it' : String(named);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'mapping', array: 'list' };
  const word = names[type] ?? type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}
