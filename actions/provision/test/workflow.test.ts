import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';
import { unpinnedUses } from './pinned-uses.js';

const workflow = fileURLToPath(new URL('../../../templates/workflows/spillway.yaml', import.meta.url));
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));

function errorsOf(name: string, content: string) {
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return result.context.errors.getErrors().map((e) => e.message);
}

describe('the example workflow for an application repository', () => {
  const content = readFileSync(workflow, 'utf8');

  it('is a valid GitHub Actions workflow', () => {
    expect(errorsOf('spillway.yaml', content)).toEqual([]);
  });

  it('is really checked: a broken copy is refused', () => {
    expect(
      errorsOf('broken.yaml', content.replace('runs-on: ubuntu-latest', 'runs-onn: ubuntu-latest')).length,
    ).toBeGreaterThan(0);
  });

  it('plans on pull requests, applies on main with the token secret, then verifies', () => {
    const jobs = parse(content).jobs;
    const uses = (job: string) => jobs[job].steps.map((s: { uses?: string }) => s.uses).filter(Boolean);
    expect(uses('plan')).toContain('spillway-dev/spillway/actions/provision@v1');
    expect(jobs.apply.steps.at(-1).with).toMatchObject({
      command: 'apply',
      hf_token: '${{ secrets.HF_TOKEN }}',
    });
    expect(jobs.verify.needs).toBe('apply');
    expect(uses('verify')).toContain('spillway-dev/spillway/actions/verify@v1');
  });

  it('is the one the README shows', () => {
    expect(readFileSync(readme, 'utf8')).toContain(content.trim());
  });
});

describe('the action metadata', () => {
  for (const name of ['provision', 'verify']) {
    it(`actions/${name}/action.yml runs the committed bundle on node24 and describes every input`, () => {
      const meta = parse(
        readFileSync(fileURLToPath(new URL(`../../${name}/action.yml`, import.meta.url)), 'utf8'),
      );
      expect(meta.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
      for (const [input, spec] of Object.entries(meta.inputs as Record<string, { description: string }>)) {
        expect([input, /^[a-z_]+$/.test(input), spec.description.length > 10]).toEqual([input, true, true]);
      }
    });
  }
});

describe("every workflow in the repository, and the README's", () => {
  /** Tracked workflow files (GitHub's .github/workflows, the templates' skeletons, templates/workflows) and the README's workflow blocks. */
  const workflows = (): [string, string][] => [
    ...execFileSync('git', ['ls-files', '*.yml', '*.yaml'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter((path) => /(^|\/)(\.github\/)?workflows\//.test(path))
      .map((path): [string, string] => [path, readFileSync(join(repo, path), 'utf8')]),
    ...[...readFileSync(readme, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
      .filter(([, block]) => /^jobs:/m.test(block!))
      .map(([, block], i): [string, string] => [`README.md yaml block ${i + 1}`, block!]),
  ];
  const usesIn = (node: unknown): string[] =>
    Array.isArray(node)
      ? node.flatMap(usesIn)
      : node && typeof node === 'object'
        ? Object.entries(node).flatMap(([k, v]) => (k === 'uses' ? [String(v)] : usesIn(v)))
        : [];

  it("are found: the templates' three and the README's example", () => {
    expect(workflows().map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'templates/workflows/spillway.yaml',
        'templates/create-inference-service/skeleton/.github/workflows/spillway.yaml',
        'templates/create-inference-platform/skeleton/.github/workflows/spillway.yaml',
        'README.md yaml block 1',
      ]),
    );
  });

  it('are valid GitHub Actions workflows', () => {
    for (const [name, text] of workflows()) expect([name, errorsOf(name, text)]).toEqual([name, []]);
  });

  it('pin every third-party action to a full commit SHA, with its version in a comment', () => {
    for (const [name, text] of workflows()) {
      expect([name, unpinnedUses(text)]).toEqual([name, []]);
      // Every uses: the YAML holds was looked at line by line (none hides in a flow mapping).
      const lines = text.split('\n').filter((l) => /^\s*(-\s+)?uses:/.test(l));
      expect([name, lines.length]).toEqual([name, usesIn(parse(text)).length]);
    }
  });

  it('pin one action to one commit everywhere', () => {
    const shas = new Map<string, Set<string>>();
    for (const [, text] of workflows())
      for (const [, action, sha] of text.matchAll(/uses:\s*([\w.-]+\/[\w./-]+)@([0-9a-f]{40})/g))
        shas.set(action!, new Set([...(shas.get(action!) ?? []), sha!]));
    expect([...shas].filter(([, set]) => set.size > 1)).toEqual([]);
    expect([...shas.keys()]).toEqual(
      expect.arrayContaining(['actions/checkout', 'google-github-actions/auth']),
    );
  });

  it('refuses a tag, a branch, a short or malformed SHA, and a SHA without its version', () => {
    const sha = '3d3c42e5aac5ba805825da76410c181273ba90b1';
    expect(unpinnedUses(`      - uses: actions/checkout@${sha} # v7.0.1`)).toEqual([]);
    expect(unpinnedUses('      - uses: ./actions/provision')).toEqual([]);
    expect(unpinnedUses('        uses: spillway-dev/spillway/actions/verify@v1')).toEqual([]);
    for (const ref of [
      'actions/checkout@v7',
      'actions/checkout@main',
      'actions/checkout@3d3c42e',
      `actions/checkout@${sha}0`,
      `actions/checkout@${sha.toUpperCase()}`,
      `actions/checkout@${sha.slice(0, 39)}g`,
      'spillway-dev/spillway/actions/verify@main',
      'docker://alpine:3',
    ])
      expect([ref, unpinnedUses(`      - uses: ${ref} # v7.0.1`)]).toEqual([
        ref,
        [`line 1: ${ref} is not pinned to a full 40-hex commit SHA`],
      ]);
    expect(unpinnedUses(`      - uses: actions/checkout@${sha}`)).toEqual([
      `line 1: actions/checkout@${sha} has no version comment (# vX.Y.Z)`,
    ]);
  });
});
