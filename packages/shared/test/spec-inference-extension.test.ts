import { describe, expect, it } from '@jest/globals';
import { checkSpec, formatIssue } from '../src/index.js';
import { editedExample, EXAMPLE_TEXT, issuesAfter } from './helpers.js';

const check = (text: string) => checkSpec([{ file: 'spec.yaml', text }]);

describe('spec.pool.inferenceExtension', () => {
  it('is v1.5.0 in the example, which validates without warnings', () => {
    const result = check(EXAMPLE_TEXT);
    expect(result.ok && result.spec.services[0]!.pool.inferenceExtension).toBe('v1.5.0');
    expect(result.ok && result.warnings).toEqual([]);
  });

  it('keeps v1.0.1 when absent, and warns where the field belongs that Google’s guide installs v1.5.0', () => {
    const text = editedExample(({ service }) => delete service.spec.pool.inferenceExtension);
    const result = check(text);
    if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
    expect(result.spec.services[0]!.pool.inferenceExtension).toBe('v1.0.1');
    expect(result.warnings.map(formatIssue)).toEqual([
      expect.stringMatching(
        /^spec\.yaml:\d+:\d+ spec\.pool\.inferenceExtension: not set, so the pool is rendered as the inferencepool chart v1\.0\.1; Google’s multi-cluster guide now installs v1\.5\.0 — set spec\.pool\.inferenceExtension: v1\.5\.0/,
      ),
    ]);
    const line = text.split('\n')[result.warnings[0]!.line - 1]!;
    expect(line.trim()).toBe('pool:');
  });

  it('warns at spec when the service has no pool at all', () => {
    const text = editedExample(({ service }) => delete service.spec.pool);
    const result = check(text);
    expect(result.ok && result.warnings.map((w) => w.path)).toEqual(['spec.pool.inferenceExtension']);
  });

  it('does not warn for an explicit v1.0.1', () => {
    const result = check(editedExample(({ service }) => (service.spec.pool.inferenceExtension = 'v1.0.1')));
    expect(result.ok && result.warnings).toEqual([]);
    expect(result.ok && result.spec.services[0]!.pool.inferenceExtension).toBe('v1.0.1');
  });

  it('refuses a release Spillway does not render, naming the field and the nearest one', () => {
    const issues = issuesAfter(({ service }) => (service.spec.pool.inferenceExtension = 'v1.4.0'));
    expect(issues.map((i) => `${i.path}: ${i.message} — ${i.hint}`)).toEqual([
      expect.stringMatching(/^spec\.pool\.inferenceExtension: .*v1\.4\.0.* — .*v1\.5\.0/),
    ]);
    expect(issues[0]!.line).toBeGreaterThan(1);
  });
});
