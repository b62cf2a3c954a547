import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SpecIssue } from './errors.js';
import { SpecInvalidError } from './errors.js';
import { MAX_SPEC_BYTES, parseSpecText, type SourceDocument } from './source.js';
import { checkShape } from './shape.js';
import { checkRules, type Typed } from './rules.js';
import type { PlatformDoc, ServiceDoc } from './schema.js';
import { resolvePlatform, resolveService, type Spec } from './model.js';
import { specWarnings } from './warnings.js';
import { specGuardrailIssues } from '../render/guardrail-check.js';

export interface SpecText {
  file: string;
  text: string;
  /**
   * The file's platforms are references (`--platform FILE`): checked and used by the services,
   * but never created, changed or destroyed. Such a file holds InferencePlatform documents only.
   */
  reference?: boolean;
}

/** `warnings`: what a valid spec should still change (validate prints them; nothing else does). */
export type SpecResult = { ok: true; spec: Spec; warnings: SpecIssue[] } | { ok: false; issues: SpecIssue[] };

/** Checks spec texts all at once: every problem in every file, or the resolved spec. Pure. */
export function checkSpec(texts: SpecText[]): SpecResult {
  const issues: SpecIssue[] = [];
  const documents: SourceDocument[] = [];
  // Platforms that are in the files but invalid (their issues are reported): not "missing" for a service.
  const invalidPlatformNames: string[] = [];
  for (const { file, text } of texts) {
    const parsed = parseSpecText(text, file);
    issues.push(...parsed.issues);
    documents.push(...parsed.documents);
    for (const value of parsed.unreadable) {
      const name = platformNameOf(value);
      if (name !== undefined) invalidPlatformNames.push(name);
    }
  }
  if (documents.length === 0 && issues.length === 0) {
    issues.push({
      file: texts[0]?.file ?? '(no file)',
      line: 1,
      column: 1,
      path: '',
      message: 'no documents',
      hint: 'write an InferencePlatform and/or InferenceService document (see examples/food-review.yaml)',
    });
  }
  const platforms: Typed<PlatformDoc>[] = [];
  const services: Typed<ServiceDoc>[] = [];
  const referenceFiles = new Set(texts.filter((t) => t.reference).map((t) => t.file));
  for (const doc of documents) {
    if (
      referenceFiles.has(doc.file) &&
      (doc.value as { kind?: unknown } | null)?.kind === 'InferenceService'
    ) {
      issues.push({
        file: doc.file,
        line: doc.locate(['kind']).line,
        column: doc.locate(['kind']).column,
        path: 'kind',
        message: 'a platform file (--platform) holds an InferenceService',
        hint: 'keep services in the spec files given with -f; --platform files hold InferencePlatform documents only',
      });
      continue;
    }
    const shape = checkShape(doc);
    if (!shape.ok) {
      issues.push(...shape.issues);
      const name = platformNameOf(doc.value);
      if (name !== undefined) invalidPlatformNames.push(name);
    } else if (shape.kind === 'InferencePlatform') platforms.push({ doc, value: shape.value as PlatformDoc });
    else services.push({ doc, value: shape.value as ServiceDoc });
  }
  issues.push(...checkRules(platforms, services, invalidPlatformNames));
  if (issues.length > 0) return { ok: false, issues: sortIssues(issues) };

  const resolved = platforms.map((p) => ({
    ...resolvePlatform(p.value, p.doc),
    ...(referenceFiles.has(p.doc.file) ? { reference: true } : {}),
  }));
  const spec: Spec = {
    platforms: resolved,
    services: services.map((s) =>
      resolveService(
        s.value,
        s.doc,
        resolved.find((p) => p.name === s.value.spec.platform)!,
      ),
    ),
  };
  // The capacity-class guardrail's rules on the services' own rendered pod templates.
  const refused = specGuardrailIssues(
    spec,
    services.map((s) => s.doc),
  );
  if (refused.length > 0) return { ok: false, issues: sortIssues(refused) };
  return {
    ok: true,
    warnings: specWarnings(platforms, services),
    spec,
  };
}

/**
 * Reads spec files (refusing oversized ones before reading them) and checks them. Relative paths
 * are read from `cwd` and reported as given.
 */
export async function loadSpecFiles(
  files: string[],
  cwd = process.cwd(),
  platformFiles: string[] = [],
): Promise<SpecResult> {
  const texts: SpecText[] = [];
  const issues: SpecIssue[] = [];
  const all = [
    ...files.map((file) => ({ file, reference: false })),
    ...platformFiles.map((file) => ({ file, reference: true })),
  ];
  for (const { file, reference } of all) {
    const read = await readBounded(file, resolve(cwd, file));
    if (typeof read === 'string') texts.push({ file, text: read, ...(reference ? { reference } : {}) });
    else issues.push(read);
  }
  if (issues.length > 0) return { ok: false, issues };
  return checkSpec(texts);
}

/** Like loadSpecFiles, but throws SpecInvalidError. */
export async function loadSpecOrThrow(files: string[], platformFiles: string[] = []): Promise<Spec> {
  const result = await loadSpecFiles(files, process.cwd(), platformFiles);
  if (!result.ok) throw new SpecInvalidError(result.issues);
  return result.spec;
}

async function readBounded(file: string, path: string): Promise<string | SpecIssue> {
  const fail = (message: string, hint: string): SpecIssue => ({
    file,
    line: 1,
    column: 1,
    path: '',
    message,
    hint,
  });
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? fail('the file does not exist', 'check the path given with -f')
      : fail(`the file cannot be read (${code ?? String(error)})`, 'check the path and its permissions');
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return fail('is not a regular file', 'pass the path of a YAML file');
    if (stat.size > MAX_SPEC_BYTES) {
      return fail(
        `the file is ${stat.size} bytes, over the limit of ${MAX_SPEC_BYTES}`,
        'split it into smaller files or remove what is not a Spillway spec',
      );
    }
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** The metadata.name of a document that says it is an InferencePlatform, whatever else is wrong with it. */
function platformNameOf(value: unknown): string | undefined {
  const doc = value as { kind?: unknown; metadata?: { name?: unknown } } | null;
  if (typeof doc !== 'object' || doc === null || doc.kind !== 'InferencePlatform') return undefined;
  const name = doc.metadata?.name;
  return typeof name === 'string' ? name : undefined;
}

function sortIssues(issues: SpecIssue[]): SpecIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
