import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { scaffolderActionsExtensionPoint, type TemplateAction } from '@backstage/plugin-scaffolder-node';
import spillwayScaffolderModule from '../src/index.js';
import type { JsonObject } from '@backstage/types';
import { PLATFORM, PLATFORM_TEXT } from '@spillway/backstage-testing';

let dir: string;
let platformFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spillway-module-'));
  platformFile = join(dir, 'inference-prod.yaml');
  await writeFile(platformFile, PLATFORM_TEXT);
});

const config = (platform: JsonObject): JsonObject => ({ spillway: { platforms: [platform] } });

async function startModule(data: JsonObject) {
  const added: TemplateAction<any, any>[] = [];
  const backend = await startTestBackend({
    extensionPoints: [
      [
        scaffolderActionsExtensionPoint,
        { addActions: (...a: TemplateAction<any, any>[]) => added.push(...a) },
      ],
    ],
    features: [spillwayScaffolderModule, mockServices.rootConfig.factory({ data })],
  });
  return { added, backend };
}

async function startupError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the backend not to start');
}

describe('the scaffolder module', () => {
  it('adds the six actions, dry run supported, for the configured platforms', async () => {
    const { added, backend } = await startModule(config({ ...PLATFORM, specFile: platformFile }));
    expect(added.map((a) => [a.id, a.supportsDryRun])).toEqual([
      ['spillway:validate:platform', true],
      ['spillway:fetch:platform', true],
      ['spillway:validate', true],
      ['spillway:plan', true],
      ['spillway:apply', true],
      ['spillway:verify', true],
    ]);
    // The zod callbacks became JSON schemas, as the scaffolder's template editor shows them.
    expect(added[2]!.schema?.input).toMatchObject({ properties: { spec: {}, platform: { type: 'string' } } });
    await backend.stop();
  });

  it('does not start when a platform spec file cannot be read, naming the config key', async () => {
    const message = await startupError(
      startModule(config({ ...PLATFORM, specFile: join(dir, 'missing.yaml') })),
    );
    expect(message).toContain(
      `spillway.platforms[0].specFile: cannot read ${join(dir, 'missing.yaml')} (ENOENT) — set it to the path of platform inference-prod's InferencePlatform spec`,
    );
  });

  it('does not start when the spec file is another project than configured, naming the key and both projects', async () => {
    const message = await startupError(
      startModule(config({ ...PLATFORM, projectId: 'other-project', specFile: platformFile })),
    );
    expect(message).toContain(
      `spillway.platforms[0].specFile: ${platformFile} is not platform inference-prod's spec:`,
    );
    expect(message).toContain(
      'platform inference-prod is in project my-project, not other-project — make the two agree',
    );
  });

  it('does not start when the spec file is not a valid platform, with each issue and its position', async () => {
    const broken = join(dir, 'broken.yaml');
    await writeFile(
      broken,
      PLATFORM_TEXT.replace('gkeVersion: 1.34.1-gke.1127000', 'gkeVersion: 1.20.0-gke.1'),
    );
    const message = await startupError(startModule(config({ ...PLATFORM, specFile: broken })));
    expect(message).toMatch(
      new RegExp(`${broken.replace(/[.]/g, '\\.')}:\\d+:\\d+ spec\\.gkeVersion: .+ — .+`),
    );
  });
});

describe('the package', () => {
  const here = createRequire(import.meta.url);
  /** Where `@backstage/plugin-scaffolder-node` resolves from a package's own folder. */
  const scaffolderNodeOf = (from: string) =>
    createRequire(here.resolve(`${from}/package.json`)).resolve('@backstage/plugin-scaffolder-node');

  it('adds its actions through the one scaffolder-node the scaffolder backend and the GitHub module use', () => {
    const ours = here.resolve('@backstage/plugin-scaffolder-node');
    expect(scaffolderNodeOf('@backstage/plugin-scaffolder-backend')).toBe(ours);
    expect(scaffolderNodeOf('@backstage/plugin-scaffolder-backend-module-github')).toBe(ours);
  });
});
