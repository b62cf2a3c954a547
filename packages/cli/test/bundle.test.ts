import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
// @ts-expect-error: the bundle script is plain JavaScript.
import { options } from '../bundle.mjs';

/** The single-file CLI an application repository fetches at a pinned commit and runs with node. */
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const committed = 'packages/cli/bundle/spillway.mjs';
const run = promisify(execFile);

describe('the single-file CLI (packages/cli/bundle/spillway.mjs)', () => {
  it('is committed, bundled and current: the committed file is what bundle.mjs makes now (npm run bundle -w @spillway/cli)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'cli-bundle-')), 'spillway.mjs');
    await build(options(out));
    const { stdout } = await run('git', ['show', `HEAD:${committed}`], {
      cwd: repo,
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(readFileSync(out).equals(stdout as unknown as Buffer)).toBe(true);
  }, 60_000);

  it('runs alone in a folder, nothing installed: --version, validate, and where the sandbox is', async () => {
    const alone = join(mkdtempSync(join(tmpdir(), 'app-repo-')), 'spillway.mjs');
    copyFileSync(join(repo, committed), alone);
    const { version } = JSON.parse(readFileSync(join(repo, 'packages/cli/package.json'), 'utf8'));
    expect((await run(process.execPath, [alone, '--version'])).stdout).toBe(`${version}\n`);
    const valid = await run(process.execPath, [
      alone,
      'validate',
      '-f',
      join(repo, 'examples/food-review.yaml'),
    ]);
    expect(valid.stdout).toContain('is valid');
    const sandbox = await run(process.execPath, [alone, 'sandbox', 'up']).catch((e) => e);
    expect([sandbox.code, sandbox.stderr]).toEqual([
      2,
      'spillway: the sandbox is not in the single-file CLI: run `npx spillway sandbox up` in a clone of https://github.com/spillway-dev/spillway\n',
    ]);
  }, 60_000);
});
