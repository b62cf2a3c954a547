import * as core from '@actions/core';
import { resolve } from 'node:path';
import { loadSpecFiles, type Spec, type SpecIssue } from '@spillway/shared';

/** Shared by both actions: inputs, spec errors as annotations, progress in the log. */
export function booleanInput(name: string): boolean {
  const value = core.getInput(name).trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new Error(`input ${name} must be 'true' or 'false', not ${JSON.stringify(value)}`);
}

/**
 * Every spec issue as an annotation on the spec file, at its line and column, so a pull request
 * shows it there: errors refuse the run, warnings (what a valid spec should still change) do not.
 */
export function annotate(
  issues: SpecIssue[],
  workingDirectory: string,
  level: 'error' | 'warning' = 'error',
) {
  for (const issue of issues) {
    core[level](`${issue.path ? `${issue.path}: ` : ''}${issue.message} — ${issue.hint}`, {
      title: 'Spillway spec',
      file: resolve(workingDirectory, issue.file),
      startLine: issue.line,
      startColumn: issue.column,
    });
  }
}

export class SpecRejected extends Error {}

/** `platform`: a platform's spec, read-only (the service uses it; nothing of it is changed). */
export async function loadSpec(specPath: string, workingDirectory: string, platformPath = ''): Promise<Spec> {
  const loaded = await core.group('Validate the spec', async () => {
    const result = await loadSpecFiles(
      [specPath],
      resolve(workingDirectory),
      platformPath ? [platformPath] : [],
    );
    if (result.ok) {
      annotate(result.warnings, workingDirectory, 'warning');
      core.info(
        `${specPath} is valid: ${result.spec.platforms.length} platform(s)${platformPath ? ` (${platformPath} read-only)` : ''}, ${result.spec.services.length} service(s)`,
      );
    }
    return result;
  });
  if (!loaded.ok) {
    annotate(loaded.issues, workingDirectory);
    throw new SpecRejected(
      `the spec ${specPath} has ${loaded.issues.length} problem(s); each is annotated on the file`,
    );
  }
  return loaded.spec;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
