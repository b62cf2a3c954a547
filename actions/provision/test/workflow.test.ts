import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parse } from 'yaml';

const workflow = fileURLToPath(new URL('../../../templates/workflows/spillway.yaml', import.meta.url));
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));

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
