import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import type { SpillwayActionsOptions } from './options.js';
import { fetchPlatformExamples } from './fetch-platform.examples.js';

/**
 * spillway:fetch:platform — writes a configured platform's spec into the workspace, so the new
 * repository's workflow can pass it read-only (`platform:` / `--platform`) beside its service.
 */
export function createFetchPlatformAction(options: SpillwayActionsOptions) {
  return createTemplateAction({
    id: 'spillway:fetch:platform',
    description:
      "Writes a configured platform's InferencePlatform spec (spillway.platforms[].specFile) into the workspace: the service repository's read-only copy of the platform it runs on.",
    examples: fetchPlatformExamples,
    supportsDryRun: true,
    schema: {
      input: {
        platform: (z) => z.string().describe('A configured platform (spillway.platforms[].name)'),
        targetPath: (z) =>
          z.string().optional().describe('Where to write it in the workspace (default ./platform.yaml)'),
      },
      output: {
        path: (z) => z.string().describe('The path written, relative to the workspace'),
        projectId: (z) => z.string().describe("The platform's Google Cloud project"),
        regions: (z) => z.array(z.string()).describe("The platform's regions, in its order"),
      },
    },
    async handler(ctx) {
      const configured = options.platforms.get(ctx.input.platform);
      if (!configured) {
        throw new InputError(
          `input platform: ${ctx.input.platform} is not a configured platform (configured: ${options.platforms.describe()}) — choose one of them`,
        );
      }
      const target = ctx.input.targetPath ?? './platform.yaml';
      const path = resolveSafeChildPath(ctx.workspacePath, target);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, configured.text.text);
      ctx.logger.info(
        `wrote platform ${configured.name} (project ${configured.projectId}) to ${target}, read-only for the service`,
      );
      ctx.output('path', target);
      ctx.output('projectId', configured.projectId);
      ctx.output(
        'regions',
        configured.platform.clusters.map((c) => c.region),
      );
    },
  });
}
