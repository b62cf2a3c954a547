import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { PLATFORM, PLATFORM_TEXT } from '@spillway/backstage-testing';
import spillwayPlugin from '../src/index.js';

async function startupError(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the backend not to start');
}

describe('the plugin', () => {
  it('does not start with a platform named twice', async () => {
    const platformFile = join(await mkdtemp(join(tmpdir(), 'spillway-startup-')), 'inference-prod.yaml');
    await writeFile(platformFile, PLATFORM_TEXT);
    const message = await startupError(
      startTestBackend({
        features: [
          spillwayPlugin,
          catalogServiceMock.factory(),
          mockServices.rootConfig.factory({
            data: {
              spillway: {
                platforms: [
                  { ...PLATFORM, specFile: platformFile },
                  { ...PLATFORM, specFile: platformFile },
                ],
              },
            },
          }),
        ],
      }),
    );
    expect(message).toContain(
      'spillway.platforms[1].name: platform inference-prod is listed twice — list each platform once',
    );
  });
});
