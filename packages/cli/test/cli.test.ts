import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { run } from '../src/main.js';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const example = join(repo, 'examples/food-review.yaml');

async function spillway(args: string[], cwd = repo) {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd });
  return { code, stdout, stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'spillway-cli-'));

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

describe('spillway validate', () => {
  it('accepts the example and describes it, exit 0', async () => {
    const { code, stdout } = await spillway(['validate', '-f', 'examples/food-review.yaml']);
    expect(code).toBe(0);
    expect(stdout).toContain('examples/food-review.yaml is valid');
    expect(stdout).toContain('gke-west (europe-west3-c, config cluster)');
    expect(stdout).toContain('prefers us-east4, spills over at 80% KV-cache');
  });

  it('warns, exit 0, when a service leaves pool.inferenceExtension out (it keeps v1.0.1)', async () => {
    const dir = tmp();
    const text = readFileSync(example, 'utf8').replace(/^ +inferenceExtension: v1\.5\.0.*\n/m, '');
    writeFileSync(join(dir, 'seed.yaml'), text);
    const { code, stdout, stderr } = await spillway(['validate', '-f', 'seed.yaml'], dir);
    expect(code).toBe(0);
    expect(stdout).toContain('seed.yaml is valid');
    const poolLine = text.split('\n').findIndex((l) => l.trim() === 'pool:') + 1;
    expect(stderr).toMatch(
      new RegExp(
        `^warning: seed\\.yaml:${poolLine}:\\d+ spec\\.pool\\.inferenceExtension: not set, so the pool is rendered as the inferencepool chart v1\\.0\\.1; .* installs v1\\.5\\.0 — set spec\\.pool\\.inferenceExtension: v1\\.5\\.0`,
      ),
    );
    const json = await spillway(['validate', '-f', 'seed.yaml', '--output', 'json'], dir);
    expect(JSON.parse(json.stdout).warnings).toEqual([
      expect.objectContaining({ path: 'spec.pool.inferenceExtension', line: poolLine }),
    ]);
    expect((await spillway(['validate', '-f', example])).stderr).toBe('');
  });

  it('checks a service against a platform given read-only with --platform', async () => {
    const dir = tmp();
    const [platform, service] = readFileSync(example, 'utf8').split(/^---\n/m) as [string, string];
    writeFileSync(join(dir, 'platform.yaml'), platform);
    writeFileSync(join(dir, 'spillway.yaml'), service);
    const alone = await spillway(['validate', '-f', 'spillway.yaml'], dir);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('pass its spec read-only with --platform FILE');
    const { code, stdout } = await spillway(
      ['validate', '-f', 'spillway.yaml', '--platform', 'platform.yaml'],
      dir,
    );
    expect(code).toBe(0);
    expect(stdout).toContain('platform inference-prod (read-only: --platform) in project my-project');
    expect(stdout).toContain('service default/food-review on inference-prod');
  });

  it('reports every mistake with file, line, column and path, exit 2', async () => {
    const dir = tmp();
    const text = readFileSync(example, 'utf8')
      .replace('location: us-east4-a', 'location: europe-west3-b')
      .replace('targetUtilization: 0.5', 'targetUtilization: 0.9');
    writeFileSync(join(dir, 'bad.yaml'), text);
    const { code, stdout, stderr } = await spillway(['validate', '-f', 'bad.yaml'], dir);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    const locationLine = text.split('\n').findIndex((l) => l.includes('europe-west3-b')) + 1;
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^bad\\.yaml:${locationLine}:\\d+ spec\\.clusters\\[1\\]\\.location: region europe-west3 already has cluster gke-west`,
        ),
      ),
      expect.stringMatching(
        /^bad\.yaml:\d+:\d+ spec\.regions\[0\]: platform inference-prod has no cluster in us-east4 — use regions of the platform: europe-west3$/,
      ),
      expect.stringMatching(
        /^bad\.yaml:\d+:\d+ spec\.autoscaling\.targetUtilization: 0\.9 is not below the load balancer's threshold of 0\.8/,
      ),
      '3 problems in the spec; nothing was read or written.',
    ]);
  });

  it('prints issues as JSON on stdout with --output json', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'bad.yaml'),
      readFileSync(example, 'utf8').replace('name: gke-east', 'nmae: gke-east'),
    );
    const { code, stdout } = await spillway(['validate', '-f', 'bad.yaml', '--output', 'json'], dir);
    expect(code).toBe(2);
    const report = JSON.parse(stdout);
    expect(report.ok).toBe(false);
    expect(report.issues).toContainEqual(
      expect.objectContaining({
        file: 'bad.yaml',
        path: 'spec.clusters[1].nmae',
        message: 'unknown field nmae',
        hint: 'did you mean name?',
      }),
    );
  });

  it('exits 2 on bad arguments', async () => {
    expect((await spillway(['validate'])).code).toBe(2);
    expect((await spillway(['frobnicate', '-f', 'x'])).code).toBe(2);
    expect((await spillway(['validate', '-f', example, '--output', 'xml'])).code).toBe(2);
  });

  it('exits 2 for a file that does not exist', async () => {
    const { code, stderr } = await spillway(['validate', '-f', 'nope.yaml']);
    expect(code).toBe(2);
    expect(stderr).toContain('nope.yaml:1:1: the file does not exist — check the path given with -f');
  });
});

describe('spillway render', () => {
  it('writes manifests per cluster, the Google Cloud requests and the script', async () => {
    const out = join(tmp(), 'out');
    const { code, stdout } = await spillway(['render', '-f', example, '--out', out]);
    expect(code).toBe(0);
    expect(listFiles(out).sort()).toEqual([
      '.spillway-render',
      'apply.sh',
      'google-cloud.yaml',
      'kubernetes/gke-east/crds.yaml',
      'kubernetes/gke-east/platform.yaml',
      'kubernetes/gke-east/service-food-review.yaml',
      'kubernetes/gke-west/crds.yaml',
      'kubernetes/gke-west/gateway-food-review.yaml',
      'kubernetes/gke-west/platform.yaml',
      'kubernetes/gke-west/service-food-review.yaml',
    ]);
    expect(stdout).toContain('+ GKE cluster gke-west (europe-west3-c)');
    expect(stdout).toMatch(
      /\+ gke-west: \d+ objects \(crds 1, platform \d+, service-food-review \d+, gateway-food-review 5\)/,
    );
  });

  it('gives byte-identical files for the same spec', async () => {
    const [a, b] = [join(tmp(), 'a'), join(tmp(), 'b')];
    await spillway(['render', '-f', example, '--out', a]);
    await spillway(['render', '-f', example, '--out', b]);
    for (const file of listFiles(a))
      expect([file, readFileSync(join(a, file))]).toEqual([file, readFileSync(join(b, file))]);
  });

  it('writes nothing when the spec is invalid', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'bad.yaml'),
      readFileSync(example, 'utf8').replace('configCluster: true', 'configCluster: false'),
    );
    const { code, stderr } = await spillway(['render', '-f', 'bad.yaml', '--out', 'out'], dir);
    expect(code).toBe(2);
    expect(stderr).toContain('no cluster is the config cluster');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('removes the files of its previous render, and only those', async () => {
    const out = join(tmp(), 'out');
    await spillway(['render', '-f', example, '--out', out]);
    writeFileSync(join(out, 'NOTES.md'), 'mine');
    const dir = tmp();
    writeFileSync(
      join(dir, 'ns.yaml'),
      readFileSync(example, 'utf8').replace(
        'name: food-review\n  namespace: default',
        'name: chat\n  namespace: default',
      ),
    );
    await spillway(['render', '-f', join(dir, 'ns.yaml'), '--out', out]);
    const files = listFiles(out);
    expect(files).toContain('NOTES.md');
    expect(files).toContain('kubernetes/gke-west/service-chat.yaml');
    expect(files).not.toContain('kubernetes/gke-west/service-food-review.yaml');
  });
});

describe('the built binary', () => {
  it('runs as `spillway` with the contract exit codes', async () => {
    const bin = join(repo, 'packages/cli/dist/main.js');
    const ok = await promisify(execFile)(process.execPath, [bin, 'validate', '-f', example]);
    expect(ok.stdout).toContain('is valid');
    const failed = await promisify(execFile)(process.execPath, [
      bin,
      'validate',
      '-f',
      '/nonexistent.yaml',
    ]).catch((e) => e);
    expect(failed.code).toBe(2);
  }, 60_000); // two CLI starts; a busy machine must not fail them

  it('is linked by npm at install time: the bin is a committed launcher of dist/main.js', async () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'packages/cli/package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ spillway: 'bin/spillway.js' });
    const { stdout: tracked } = await promisify(execFile)(
      'git',
      ['ls-files', 'packages/cli/bin/spillway.js'],
      {
        cwd: repo,
      },
    );
    expect(tracked.trim()).toBe('packages/cli/bin/spillway.js');
    const launched = await promisify(execFile)(process.execPath, [
      join(repo, 'packages/cli', pkg.bin.spillway),
      'validate',
      '-f',
      example,
    ]);
    expect(launched.stdout).toContain('is valid');
  });

  it('prints its version from package.json with --version', async () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'packages/cli/package.json'), 'utf8'));
    const launched = await promisify(execFile)(process.execPath, [
      join(repo, 'packages/cli/bin/spillway.js'),
      '--version',
    ]);
    expect(launched.stdout).toBe(`${version}\n`);
    expect(await spillway(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
