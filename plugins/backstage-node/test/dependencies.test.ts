import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const PACKAGES = [
  '@spillway/backstage-plugin-spillway',
  '@spillway/backstage-plugin-spillway-backend',
  '@spillway/backstage-plugin-spillway-common',
  '@spillway/backstage-plugin-spillway-node',
  '@spillway/backstage-plugin-scaffolder-backend-module-spillway',
];

interface Tree {
  version?: string;
  dependencies?: Record<string, Tree>;
}

/** Every version of each @backstage package in the tree. */
function backstageVersions(tree: Tree, found = new Map<string, Set<string>>()) {
  for (const [name, node] of Object.entries(tree.dependencies ?? {})) {
    if (name.startsWith('@backstage/') && node.version)
      found.set(name, (found.get(name) ?? new Set()).add(node.version));
    backstageVersions(node, found);
  }
  return found;
}

describe("the Backstage packages' runtime dependencies", () => {
  it('hold one version of each @backstage package: one release line (npm ls --omit=dev)', async () => {
    const args = ['ls', '--omit=dev', '--all', '--json', ...PACKAGES.flatMap((p) => ['-w', p])];
    // npm ls exits 1 for problems elsewhere in the tree (peer ranges); the JSON is what counts.
    const output = await promisify(execFile)('npm', args, { cwd: repo, maxBuffer: 64 << 20 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
    );
    const versions = backstageVersions(JSON.parse(output.stdout) as Tree);
    expect(versions.get('@backstage/backend-plugin-api')?.size).toBe(1);
    const twice = [...versions]
      .filter(([, found]) => found.size > 1)
      .map(([name, found]) => [name, [...found]]);
    expect(twice).toEqual([]);
  }, 60_000);
});
