import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { checkSpec, formatIssue, type Spec, type SpecIssue } from '../src/index.js';

export const EXAMPLE_FILE = fileURLToPath(new URL('../../../examples/food-review.yaml', import.meta.url));
export const EXAMPLE_TEXT = readFileSync(EXAMPLE_FILE, 'utf8');

/** The example spec, valid and resolved. */
export function exampleSpec(): Spec {
  const result = checkSpec([{ file: 'food-review.yaml', text: EXAMPLE_TEXT }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec;
}

type Edit = (docs: { platform: Record<string, any>; service: Record<string, any> }) => void;

/**
 * The example with one edit applied, re-serialised to YAML; returns its issues.
 * Edits work on plain objects, so a test reads like the mistake it makes.
 */
export function issuesAfter(edit: Edit): SpecIssue[] {
  const result = checkSpec([{ file: 'spec.yaml', text: editedExample(edit) }]);
  return result.ok ? [] : result.issues;
}

export function editedExample(edit: Edit): string {
  const { platform, service } = exampleDocuments();
  edit({ platform, service });
  return specText(platform, service);
}

/** Fresh plain-object copies of the example's two documents. */
export function exampleDocuments(): { platform: Record<string, any>; service: Record<string, any> } {
  const [platformText, serviceText] = EXAMPLE_TEXT.split(/^---$/m);
  return { platform: parse(platformText!), service: parse(serviceText!) };
}

/** Documents as one multi-document YAML text. */
export function specText(...documents: object[]): string {
  return documents.map((d) => stringify(d)).join('---\n');
}

/** The issues of one spec text; [] when the spec is valid. */
export function issuesIn(text: string, file = 'spec.yaml'): SpecIssue[] {
  const result = checkSpec([{ file, text }]);
  return result.ok ? [] : result.issues;
}

/** 1-based line and column where `needle` first occurs in `text` (after `after`, when given). */
export function positionOf(text: string, needle: string, after = ''): { line: number; column: number } {
  const start = after ? text.indexOf(after) : 0;
  if (start < 0) throw new Error(`${JSON.stringify(after)} is not in the text`);
  const offset = text.indexOf(needle, start);
  if (offset < 0) throw new Error(`${JSON.stringify(needle)} is not in the text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Issues as `PATH: message — hint` lines (without file positions) for compact assertions. */
export function summarise(issues: SpecIssue[]): string[] {
  return issues.map((i) => `${i.path}: ${i.message} — ${i.hint}`);
}

export { formatIssue };
