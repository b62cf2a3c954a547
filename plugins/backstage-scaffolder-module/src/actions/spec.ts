import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { InputError } from '@backstage/errors';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import {
  checkSpec,
  formatIssue,
  MAX_SPEC_BYTES,
  type Spec,
  type SpecIssue,
  type SpecText,
} from '@spillway/shared';
import { isMap, LineCounter, parseAllDocuments, stringify, type Node } from 'yaml';
import type { ConfiguredPlatform, PlatformRegistry } from '@spillway/backstage-plugin-spillway-node';

/** The file name spec issues carry when the spec was given inline (as an object). */
export const INLINE_SPEC_FILE = 'input.spec';

/** `spec` as the actions take it: a path in the workspace, or the service document(s) themselves. */
export type SpecInput = string | Record<string, unknown> | Record<string, unknown>[];

export interface LoadedSpec {
  /** The service(s), resolved against the configured platform (read-only: never changed). */
  spec: Spec;
  platform: ConfiguredPlatform;
  /** Identifies the service text and the platform text: the apply checkpoint's key. */
  hash: string;
}

export interface LoadOptions {
  workspacePath: string;
  platforms: PlatformRegistry;
  /** The `platform` input: when given, the services must name this platform. */
  platform?: string;
  /** Environment variables a `fromEnv` token source may name (see readTokenVariables). */
  tokenVariables: string[];
}

/**
 * Reads and checks the service spec against the configured platform it names. Every problem is
 * reported at once, as an InputError whose message lists `FILE:LINE:COL PATH: what — what to do`.
 */
export async function loadServiceSpec(input: SpecInput, options: LoadOptions): Promise<LoadedSpec> {
  const text = await specText(input, options.workspacePath);
  if (options.platform !== undefined && !options.platforms.get(options.platform)) {
    throw new InputError(
      `input platform: ${options.platform} is not a configured platform (configured: ${options.platforms.describe()}) — choose one of them`,
    );
  }
  const { issues, platformNames } = preCheck(text, options);
  const chosen = [...new Set(platformNames)];
  if (chosen.length > 1) {
    rejectWith(text.file, [
      issueAt(
        text.file,
        1,
        1,
        'spec.platform',
        `the services name several platforms (${chosen.join(', ')})`,
        'give one platform per spec: run the action once per platform',
      ),
    ]);
  }
  const platform = chosen[0] !== undefined ? options.platforms.get(chosen[0]) : undefined;
  if (issues.length) rejectWith(text.file, issues);
  const checked = checkSpec(platform ? [platform.text, text] : [text]);
  if (!checked.ok) rejectWith(text.file, checked.issues);
  const spec = checked.spec;
  if (!platform || spec.services.length === 0) {
    rejectWith(text.file, [
      issueAt(
        text.file,
        1,
        1,
        '',
        'no InferenceService document',
        'give the service document(s): kind InferenceService, with spec.platform naming a configured platform',
      ),
    ]);
  }
  const tokenIssues = spec.services.flatMap((s): SpecIssue[] => {
    const variable = s.model.huggingFaceToken.fromEnv;
    if (!variable || options.tokenVariables.includes(variable)) return [];
    return [
      issueAt(
        s.source.file,
        s.source.line,
        1,
        'spec.model.huggingFaceToken.fromEnv',
        `${variable} is not a variable this Backstage passes to Spillway (spillway.tokenEnvironmentVariables: ${options.tokenVariables.join(', ') || 'none'})`,
        `use ${options.tokenVariables[0] ?? 'a listed variable'} or secretManager, or ask the Backstage operators to list ${variable}`,
      ),
    ];
  });
  if (tokenIssues.length) rejectWith(text.file, tokenIssues);
  const hash = createHash('sha256').update(platform.text.text).update('\0').update(text.text).digest('hex');
  return {
    spec: { platforms: spec.platforms.filter((p) => p.name === platform.name), services: spec.services },
    platform,
    hash,
  };
}

export async function specText(input: SpecInput, workspacePath: string): Promise<SpecText> {
  if (typeof input !== 'string') {
    const documents = Array.isArray(input) ? input : [input];
    return { file: INLINE_SPEC_FILE, text: documents.map((d) => stringify(d)).join('---\n') };
  }
  let path: string;
  try {
    path = resolveSafeChildPath(workspacePath, input);
  } catch {
    throw new InputError(
      `input spec: ${input} is outside the workspace — give a path relative to the workspace, e.g. ./spillway.yaml`,
    );
  }
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InputError(
      `input spec: cannot read ${input} in the workspace (${(error as NodeJS.ErrnoException).code ?? String(error)}) — fetch the spec into the workspace first (fetch:template), or pass the service document as an object`,
    );
  }
  try {
    const { size } = await handle.stat();
    if (size > MAX_SPEC_BYTES)
      throw new InputError(
        `input spec: ${input} is ${size} bytes, over the limit of ${MAX_SPEC_BYTES} — keep only the Spillway documents in it`,
      );
    return { file: input, text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}

/**
 * What checkSpec cannot know: the platform is the operator's (never a document of the template's
 * spec), and the platform a service names must be one of app-config's.
 */
function preCheck(text: SpecText, options: LoadOptions): { issues: SpecIssue[]; platformNames: string[] } {
  const lines = new LineCounter();
  const issues: SpecIssue[] = [];
  const platformNames: string[] = [];
  const at = (node: Node | null | undefined) => {
    const { line, col } = lines.linePos(node?.range?.[0] ?? 0);
    return { line, col };
  };
  for (const doc of parseAllDocuments(text.text, { lineCounter: lines })) {
    if (!('contents' in doc) || !isMap(doc.contents)) continue; // checkSpec reports it
    const kindNode = doc.contents.get('kind', true) as Node | undefined;
    const kind = (kindNode as { value?: unknown } | undefined)?.value;
    if (kind === 'InferencePlatform') {
      const { line, col } = at(kindNode);
      issues.push(
        issueAt(
          text.file,
          line,
          col,
          'kind',
          'the spec holds an InferencePlatform; platforms come from the Backstage configuration (spillway.platforms)',
          `remove this document and name the platform in the service's spec.platform (configured: ${options.platforms.describe()})`,
        ),
      );
      continue;
    }
    if (kind !== 'InferenceService') continue;
    const platformNode = doc.getIn(['spec', 'platform'], true) as Node | undefined;
    const name = (platformNode as { value?: unknown } | undefined)?.value;
    if (typeof name !== 'string') continue; // checkSpec reports the missing field
    const { line, col } = at(platformNode);
    if (!options.platforms.get(name)) {
      issues.push(
        issueAt(
          text.file,
          line,
          col,
          'spec.platform',
          `${name} is not a platform this Backstage is configured for (configured: ${options.platforms.describe()})`,
          'name one of the configured platforms, or ask the platform team to add yours to spillway.platforms',
        ),
      );
    } else if (options.platform !== undefined && name !== options.platform) {
      issues.push(
        issueAt(
          text.file,
          line,
          col,
          'spec.platform',
          `the service names platform ${name}, but the action's platform input is ${options.platform}`,
          'make spec.platform and the platform input agree',
        ),
      );
    } else platformNames.push(name);
  }
  if (options.platform !== undefined && platformNames.length === 0 && issues.length === 0)
    platformNames.push(options.platform);
  return { issues, platformNames };
}

function issueAt(file: string, line: number, column: number, path: string, message: string, hint: string) {
  return { file, line, column, path, message, hint };
}

export function rejectWith(file: string, issues: SpecIssue[]): never {
  throw new InputError(
    `the spec ${file} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
  );
}
