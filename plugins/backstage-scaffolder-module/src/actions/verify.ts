import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { regionTimeoutFor, verifySpec, type HealthReport } from '@spillway/shared';
import {
  loadActionSpec,
  redactTokens,
  serviceNames,
  specInputs,
  tokenEnv,
  withCloud,
  type SpillwayActionsOptions,
} from './options.js';
import { verifyExamples } from './verify.examples.js';

/**
 * spillway:verify — every region's checks and a test completion. Sets `ok` and `report`, then
 * fails the step when a check failed, naming each one.
 */
export function createVerifyAction(options: SpillwayActionsOptions) {
  const env = options.env ?? process.env;
  return createTemplateAction({
    id: 'spillway:verify',
    description:
      'Checks every region of a Spillway service end to end and sends a test completion; fails when a check fails. In a dry run it only validates.',
    examples: verifyExamples,
    supportsDryRun: true,
    schema: {
      input: {
        ...specInputs,
        from: (z) =>
          z
            .enum(['cluster', 'runner'])
            .optional()
            .describe(
              'Where the test completion is sent from: cluster (a Job in the config cluster; the gateway is internal; default) or runner (this backend)',
            ),
      },
      output: {
        ok: (z) => z.boolean().describe('Every check in every region passed'),
        report: (z) =>
          z
            .record(z.string(), z.unknown())
            .describe(
              'The health report: { regions: [{ region, cluster, state, checks: [{ name, ok, detail }] }], ok, checkedAt }',
            ),
      },
    },
    async handler(ctx) {
      const loaded = await loadActionSpec(ctx.input, ctx.workspacePath, options);
      const names = serviceNames(loaded);
      if (ctx.isDryRun) {
        ctx.logger.info(
          `dry run: would verify ${names} on platform ${loaded.platform.name}; nothing is read`,
        );
        return;
      }
      const redact = redactTokens(env, options.tokenVariables);
      const report: HealthReport = await withCloud(env, (cloud, timing) =>
        verifySpec(loaded.spec, {
          cloud,
          regionTimeoutMs: regionTimeoutFor(cloud),
          from: ctx.input.from ?? 'cluster',
          drift: { timing, env: tokenEnv(env, options.tokenVariables) },
        }),
      );
      for (const r of report.regions)
        for (const c of r.checks) {
          const line = redact(`${c.ok ? '✔' : '✖'} ${r.service} ${r.region} ${c.name}: ${c.detail}`);
          if (c.ok) ctx.logger.info(line);
          else ctx.logger.warn(line);
        }
      ctx.output('ok', report.ok);
      ctx.output('report', JSON.parse(redact(JSON.stringify(report))));
      if (!report.ok) {
        const failed = report.regions.flatMap((r) =>
          r.checks.filter((c) => !c.ok).map((c) => `${r.region}: ${c.name}`),
        );
        throw new Error(`verification failed: ${failed.join('; ')} — see the checks above for what to do`);
      }
    },
  });
}
