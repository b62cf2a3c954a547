import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { planJson, planSpec } from '@spillway/shared';
import {
  loadActionSpec,
  progressToLog,
  redactTokens,
  specInputs,
  tokenEnv,
  withCloud,
  type SpillwayActionsOptions,
} from './options.js';
import { planExamples } from './plan.examples.js';

/** spillway:plan — reads live state and says, per resource, what apply would do. Changes nothing. */
export function createPlanAction(options: SpillwayActionsOptions) {
  const env = options.env ?? process.env;
  return createTemplateAction({
    id: 'spillway:plan',
    description:
      'Reads the live state of a Spillway service on its configured platform and returns what apply would do per resource (create, update, replace, delete, noop). Changes nothing; in a dry run it only validates.',
    examples: planExamples,
    supportsDryRun: true,
    schema: {
      input: specInputs,
      output: {
        plan: (z) =>
          z
            .object({
              resources: z.array(
                z.object({ id: z.string(), kind: z.string(), action: z.string(), reason: z.string() }),
              ),
            })
            .describe('The plan, as `spillway plan --output json` prints it'),
        changes: (z) => z.number().describe('How many resources apply would change'),
      },
    },
    async handler(ctx) {
      const loaded = await loadActionSpec(ctx.input, ctx.workspacePath, options);
      if (ctx.isDryRun) {
        ctx.logger.info(`dry run: the spec is valid; the plan against ${loaded.platform.name} is not read`);
        ctx.output('plan', { resources: [] });
        ctx.output('changes', 0);
        return;
      }
      const redact = redactTokens(env, options.tokenVariables);
      const report = await withCloud(env, (cloud, timing) =>
        planSpec(loaded.spec, {
          cloud,
          timing,
          env: tokenEnv(env, options.tokenVariables),
          secrets: 'ifAvailable',
          onEvent: progressToLog(ctx.logger, redact),
        }),
      );
      const { resources } = planJson(report);
      const changes = resources.filter((r) => r.action !== 'noop');
      for (const r of changes) ctx.logger.info(redact(`${r.action.padEnd(7)} ${r.id} — ${r.reason}`));
      ctx.logger.info(`${changes.length} change(s), ${resources.length - changes.length} unchanged`);
      ctx.output('plan', { resources });
      ctx.output('changes', changes.length);
    },
  });
}
