import {
  LineCounter,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Document,
  type Node,
} from 'yaml';
import type { Path, SpecIssue } from './errors.js';
import { formatPath } from './errors.js';

/** Larger files are refused before parsing: no spec needs a megabyte. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Aliases beyond this count are refused (billion-laughs style expansion). */
export const MAX_ALIAS_COUNT = 100;
/** Flow collections ([ and {) nested deeper than this are refused before parsing: the parser recurses. */
export const MAX_FLOW_NESTING = 64;

/** One YAML document of a spec file, with what is needed to point at its fields. */
export interface SourceDocument {
  file: string;
  index: number;
  value: unknown;
  /** 1-based line and column of the value at `path`, or of its nearest present ancestor. */
  locate(path: Path, opts?: { key?: boolean }): { line: number; column: number };
}

export interface ParsedSource {
  documents: SourceDocument[];
  issues: SpecIssue[];
  /**
   * Documents with YAML errors (already in issues), read as far as possible, or undefined.
   * Used only to avoid follow-on issues, e.g. a service whose platform has a duplicate key.
   */
  unreadable: unknown[];
}

/** Parses spec text into documents that remember where every field is. Reads nothing itself. */
export function parseSpecText(text: string, file: string): ParsedSource {
  const issues: SpecIssue[] = [];
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_SPEC_BYTES) {
    issues.push({
      file,
      line: 1,
      column: 1,
      path: '',
      message: `the file is ${bytes} bytes, over the limit of ${MAX_SPEC_BYTES}`,
      hint: 'split it into smaller files or remove what is not a Spillway spec',
    });
    return { documents: [], issues, unreadable: [] };
  }
  const lineCounter = new LineCounter();
  const position = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const deep = tooDeepAt(text);
  if (deep !== undefined) {
    const lines = text.slice(0, deep).split('\n');
    issues.push({
      file,
      line: lines.length,
      column: lines.at(-1)!.length + 1,
      path: '',
      message: `[ and { are nested more than ${MAX_FLOW_NESTING} deep`,
      hint: 'write the spec as plain YAML mappings and lists (see examples/food-review.yaml)',
    });
    return { documents: [], issues, unreadable: [] };
  }
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) {
    // A stream with only comments or directives: no documents at all.
    return { documents: [], issues, unreadable: [] };
  }
  const documents: SourceDocument[] = [];
  const unreadable: unknown[] = [];
  docs.forEach((doc, index) => {
    for (const error of doc.errors) {
      const at = position(error.pos[0]);
      const duplicate = error.code === 'DUPLICATE_KEY' ? duplicateKeyAt(doc, error.pos[0]) : undefined;
      issues.push(
        duplicate
          ? {
              file,
              ...at,
              path: formatPath(duplicate.path),
              message: `the key ${duplicate.key} appears twice in this mapping, at line ${position(duplicate.firstOffset).line} and at line ${at.line}`,
              hint: 'keep one of them',
            }
          : {
              file,
              ...at,
              path: '',
              message: `YAML syntax: ${firstLine(error.message)}`,
              hint: 'fix the YAML at this position',
            },
      );
    }
    if (doc.errors.length > 0) {
      unreadable.push(bestEffort(doc));
      return;
    }
    if (isEmptyDocument(doc)) return; // an empty document (e.g. a trailing ---)
    let value: unknown;
    try {
      // yaml counts the anchored node itself as one use, so N aliases need a limit of N + 1.
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT + 1 });
    } catch (error) {
      issues.push({
        file,
        ...position(doc.range[0]),
        path: '',
        message: `the document expands too many aliases (${firstLine(String((error as Error).message))})`,
        hint: `write the values out; a spec may use at most ${MAX_ALIAS_COUNT} aliases`,
      });
      return;
    }
    documents.push({
      file,
      index,
      value,
      locate: (path, opts) => position(offsetOf(doc, path, opts?.key ?? false)),
    });
  });
  return { documents, issues, unreadable };
}

/** The duplicated key whose later occurrence starts at `offset`: its name, path and first occurrence. */
function duplicateKeyAt(
  doc: Document,
  offset: number,
): { key: string; path: Path; firstOffset: number } | undefined {
  const keyOf = (node: unknown) => String(isScalar(node) ? node.value : node);
  const search = (node: unknown, path: Path): ReturnType<typeof duplicateKeyAt> => {
    const children = isMap(node)
      ? node.items.filter(isPair).map((p) => [keyOf(p.key), p.value] as const)
      : isSeq(node)
        ? node.items.map((item, i) => [i, item] as const)
        : [];
    if (isMap(node)) {
      const pairs = node.items.filter(isPair);
      const again = pairs.find((p) => rangeStart(p.key as Node) === offset);
      const first = again && pairs.find((p) => keyOf(p.key) === keyOf(again.key));
      if (again && first && first !== again)
        return {
          key: keyOf(again.key),
          path: [...path, keyOf(again.key)],
          firstOffset: rangeStart(first.key as Node)!,
        };
    }
    for (const [part, child] of children) {
      const found = search(child, [...path, part]);
      if (found) return found;
    }
    return undefined;
  };
  return search(doc.contents, []);
}

function bestEffort(doc: Document): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT + 1 });
  } catch {
    return undefined;
  }
}

/** Nothing between two `---` (or after the last): yaml gives an untagged, empty null scalar. */
function isEmptyDocument(doc: Document): boolean {
  const contents = doc.contents;
  if (contents === null) return true;
  return isScalar(contents) && contents.value === null && contents.source === '' && !contents.tag;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Offset of the node at `path`, falling back to the deepest ancestor that exists. */
function offsetOf(doc: Document, path: Path, key: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const part = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (!pair) return offset;
      if (last && key) return rangeStart(pair.key as Node) ?? offset;
      node = pair.value;
      offset = rangeStart(node) ?? rangeStart(pair.key as Node) ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (item === undefined) return offset;
      node = item;
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

export { formatPath };

/**
 * Where flow collections first nest deeper than MAX_FLOW_NESTING, or undefined. A scan, not a
 * parse: brackets inside quotes and comments are skipped, so a valid spec is never refused.
 */
function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      else if (c === '\n') quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_FLOW_NESTING) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return undefined;
}
