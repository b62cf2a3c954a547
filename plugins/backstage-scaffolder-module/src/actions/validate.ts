import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { loadActionSpec, specInputs, type SpillwayActionsOptions } from './options.js';
import { validateExamples } from './validate.examples.js';

/** spillway:validate — checks the service spec against its configured platform; reads and writes nothing. */
export function createValidateAction(options: SpillwayActionsOptions) {
  return createTemplateAction({
    id: 'spillway:validate',
    description:
      'Checks a Spillway service spec against the platform it names (from spillway.platforms), offline: every problem with its file, line, field and what to do.',
    examples: validateExamples,
    supportsDryRun: true,
    schema: {
      input: specInputs,
      output: {
        services: (z) => z.array(z.string()).describe('The services in the spec, as NAMESPACE/NAME'),
        platform: (z) => z.string().describe('The configured platform the services run on'),
      },
    },
    async handler(ctx) {
      const loaded = await loadActionSpec(ctx.input, ctx.workspacePath, options);
      const services = loaded.spec.services.map((s) => `${s.namespace}/${s.name}`);
      ctx.logger.info(`the spec is valid: ${services.join(', ')} on platform ${loaded.platform.name}`);
      ctx.output('services', services);
      ctx.output('platform', loaded.platform.name);
    },
  });
}
