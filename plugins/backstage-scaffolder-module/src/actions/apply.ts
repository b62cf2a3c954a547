import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { applySpec } from '@spillway/shared';
import {
  loadActionSpec,
  progressToLog,
  serviceNames,
  redactTokens,
  specInputs,
  tokenEnv,
  withCloud,
  type SpillwayActionsOptions,
} from './options.js';
import { applyExamples } from './apply.examples.js';

/** What a finished apply leaves in the task's checkpoint (and its outputs). */
type Applied = {
  converged: boolean;
  gatewayAddresses: Record<string, string>;
  changed: number;
};

/**
 * spillway:apply — converges the service on its configured platform (the platform itself is never
 * changed). The result is checkpointed by the spec's hash, so a retried task does not apply again.
 */
export function createApplyAction(options: SpillwayActionsOptions) {
  const env = options.env ?? process.env;
  return createTemplateAction({
    id: 'spillway:apply',
    description:
      "Converges a Spillway service on its configured platform; idempotent. The Hugging Face token comes from the backend's environment (the spec's fromEnv) or Secret Manager, never from the template. In a dry run it only validates.",
    examples: applyExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...specInputs,
        allowReplace: (z) =>
          z
            .boolean()
            .optional()
            .describe(
              'Allow replacing resources whose immutable fields changed (default false: such a plan is refused)',
            ),
        allowInUse: (z) =>
          z
            .boolean()
            .optional()
            .describe(
              "Allow deleting a platform's clusters although services outside this spec still run there (default false; never implied by allowReplace)",
            ),
      },
      output: {
        converged: (z) => z.boolean().describe('Every resource reached its desired state'),
        gatewayAddresses: (z) =>
          z.record(z.string(), z.string()).describe("The gateway's address per region: { REGION: IP }"),
      },
    },
    async handler(ctx) {
      const loaded = await loadActionSpec(ctx.input, ctx.workspacePath, options);
      const names = serviceNames(loaded);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `dry run: would apply ${names} to platform ${loaded.platform.name}; nothing is read or changed`,
        );
        return;
      }
      const redact = redactTokens(env, options.tokenVariables);
      const applied = await ctx.checkpoint<Applied>({
        key: `spillway.apply.${loaded.hash}`,
        fn: async () => {
          ctx.logger.info(`applying ${names} to platform ${loaded.platform.name}`);
          try {
            const report = await withCloud(env, (cloud, timing) =>
              applySpec(loaded.spec, {
                cloud,
                timing,
                env: tokenEnv(env, options.tokenVariables),
                allowReplace: ctx.input.allowReplace ?? false,
                allowInUse: ctx.input.allowInUse ?? false,
                onEvent: progressToLog(ctx.logger, redact),
              }),
            );
            if (report.refused)
              throw new Error(report.refused.replace('run again with --yes', 'set allowReplace: true'));
            if (!report.converged) {
              const failed = report.resources.filter((r) => r.state === 'failed');
              throw new Error(
                `${failed.length} resource(s) failed: ${failed.map((r) => `${r.title}: ${r.error}`).join('; ')} — fix the cause and retry the task`,
              );
            }
            const changed = report.resources.filter((r) => r.state === 'done' && r.action !== 'noop').length;
            return { converged: true, gatewayAddresses: report.gateway.addresses, changed };
          } catch (error) {
            // The core redacts its own messages; this is the last line of defence for the task log.
            throw new Error(`spillway:apply failed: ${redact((error as Error).message)}`);
          }
        },
      });
      ctx.logger.info(
        `converged: ${applied.changed} resource(s) changed; gateway ${Object.entries(applied.gatewayAddresses)
          .map(([region, ip]) => `${region} ${ip}`)
          .join(', ')}`,
      );
      ctx.output('converged', applied.converged);
      ctx.output('gatewayAddresses', applied.gatewayAddresses);
    },
  });
}
