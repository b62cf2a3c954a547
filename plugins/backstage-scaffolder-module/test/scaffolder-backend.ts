import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendFeature } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import * as scaffolderBackend from '@backstage/plugin-scaffolder-backend';
import spillwayScaffolderModule from '../src/index.js';
import { appConfig, featureOf, PLATFORM_TEXT } from '@spillway/backstage-testing';

/**
 * The real scaffolder backend with Spillway's module and the example's platform configured, for
 * dry runs. Tests using it run under jest.scaffolder.config.cjs with --forceExit: the scaffolder
 * leaves database timers behind after backend.stop() under the test backend.
 */
export async function startScaffolder(extra: BackendFeature[] = []) {
  const dir = await mkdtemp(join(tmpdir(), 'spillway-scaffolder-'));
  const platformFile = join(dir, 'inference-prod.yaml');
  await writeFile(platformFile, PLATFORM_TEXT);
  return startTestBackend({
    features: [
      featureOf(scaffolderBackend),
      spillwayScaffolderModule,
      ...extra,
      catalogServiceMock.factory(),
      mockServices.rootConfig.factory({
        // No task workers: a dry run does not need them, and their polling would keep jest alive.
        data: {
          ...appConfig(platformFile),
          backend: { workingDirectory: dir },
          scaffolder: { concurrentTasksLimit: 0 },
        },
      }),
    ],
  });
}
