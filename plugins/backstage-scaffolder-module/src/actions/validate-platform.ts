import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { checkSpec } from '@spillway/shared';
import { rejectWith, specText } from './spec.js';
import { validatePlatformExamples } from './validate-platform.examples.js';

/**
 * spillway:validate:platform — checks a platform team's InferencePlatform spec, offline, before its
 * repository is created. (Services are checked by spillway:validate, against configured platforms.)
 */
export function createValidatePlatformAction() {
  return createTemplateAction({
    id: 'spillway:validate:platform',
    description:
      'Checks an InferencePlatform spec offline: every problem with its file, line, field and what to do. Reads and writes nothing else.',
    examples: validatePlatformExamples,
    supportsDryRun: true,
    schema: {
      input: {
        spec: (z) =>
          z
            .union([z.string(), z.record(z.string(), z.unknown())])
            .describe('The platform spec: a path in the workspace (e.g. ./platform.yaml) or the document'),
      },
      output: {
        platform: (z) => z.string().describe("The platform's name"),
        projectId: (z) => z.string().describe('Its Google Cloud project'),
        regions: (z) => z.array(z.string()).describe('Its regions, in order'),
        configCluster: (z) => z.string().describe('The multi-cluster ingress config cluster'),
      },
    },
    async handler(ctx) {
      const text = await specText(ctx.input.spec, ctx.workspacePath);
      const checked = checkSpec([text]);
      if (!checked.ok) rejectWith(text.file, checked.issues);
      const [platform, ...others] = checked.spec.platforms;
      if (!platform || others.length || checked.spec.services.length) {
        throw new InputError(
          `input spec: ${text.file} must hold exactly one InferencePlatform and no services — keep each platform in its own repository; services use it through spillway:validate`,
        );
      }
      const regions = platform.clusters.map((c) => c.region);
      ctx.logger.info(
        `platform ${platform.name} is valid: project ${platform.projectId}, ${regions.join(', ')}, config cluster ${platform.configCluster.name}`,
      );
      ctx.output('platform', platform.name);
      ctx.output('projectId', platform.projectId);
      ctx.output('regions', regions);
      ctx.output('configCluster', platform.configCluster.name);
    },
  });
}
