import * as core from '@actions/core';
import {
  cloudFromEnv,
  EMULATOR_TIMING,
  REAL_TIMING,
  regionTimeoutFor,
  verifySpec,
  type HealthReport,
} from '@spillway/shared';
import { booleanInput, loadSpec } from '../../inputs.js';

/** actions/verify: every region's checks, a test completion, and optionally the load test and the failover drill. */
export async function run(): Promise<void> {
  try {
    const from = core.getInput('from') || 'cluster';
    if (from !== 'cluster' && from !== 'runner')
      throw new Error(`input from must be cluster or runner, not ${JSON.stringify(from)}`);
    const spec = await loadSpec(
      core.getInput('spec', { required: true }),
      core.getInput('working_directory') || '.',
      core.getInput('platform'),
    );
    const cloud = cloudFromEnv(process.env);
    try {
      const timing = cloud.emulated ? EMULATOR_TIMING : REAL_TIMING;
      const drift = { timing, env: process.env };
      const report = await core.group('Verify every region', async () => {
        const result = await verifySpec(spec, {
          cloud,
          regionTimeoutMs: regionTimeoutFor(cloud),
          from,
          drift,
          ...(booleanInput('load_test') ? { loadTest: {} } : {}),
          ...(booleanInput('failover_drill')
            ? { failoverDrill: { phaseTimeoutMs: cloud.emulated ? 30_000 : 15 * 60_000 } }
            : {}),
        });
        for (const r of result.regions)
          for (const c of r.checks) core.info(`${c.ok ? '✔' : '✖'} ${r.region} ${c.name}: ${c.detail}`);
        return result;
      });
      core.setOutput('ok', String(report.ok));
      core.setOutput('report', JSON.stringify(report));
      await summary(report);
      if (!report.ok) {
        const failed = report.regions.flatMap((r) =>
          r.checks.filter((c) => !c.ok).map((c) => `${r.region}: ${c.name}`),
        );
        const load = Object.values(report.loadTests ?? {}).flatMap((l) =>
          l.checks.filter((c) => !c.ok).map((c) => c.name),
        );
        throw new Error(`verification failed: ${[...failed, ...load].join('; ')}`);
      }
    } finally {
      await cloud.close();
    }
  } catch (error) {
    core.setFailed(`spillway verify failed with: ${(error as Error).message}`);
  }
}

async function summary(report: HealthReport) {
  core.summary.addHeading(`Spillway verify: ${report.ok ? 'passed' : 'failed'}`, 2);
  for (const r of report.regions) {
    const tags = [r.preferred ? 'preferred' : '', r.spilling ? 'spilling' : ''].filter(Boolean).join(', ');
    core.summary.addHeading(
      `${r.service} in ${r.region} (${r.cluster}): ${r.state}${tags ? ` — ${tags}` : ''}`,
      3,
    );
    core.summary.addTable([
      [
        { data: 'Check', header: true },
        { data: 'Result', header: true },
        { data: 'Detail', header: true },
      ],
      ...r.checks.map((c) => [c.name, c.ok ? '✅' : '❌', c.detail]),
    ]);
  }
  for (const [service, load] of Object.entries(report.loadTests ?? {})) {
    core.summary.addHeading(`Load test of ${service}`, 3).addRaw(`\n${load.mermaid}\n`, true);
    core.summary.addList(load.checks.map((c) => `${c.ok ? '✅' : '❌'} ${c.name}: ${c.detail}`));
  }
  for (const [service, checks] of Object.entries(report.failoverDrills ?? {})) {
    core.summary
      .addHeading(`Failover drill of ${service}`, 3)
      .addList(checks.map((c) => `${c.ok ? '✅' : '❌'} ${c.name}: ${c.detail}`));
  }
  await core.summary.write();
}

await run();
