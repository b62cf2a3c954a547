import {
  CAPACITY_TIERS,
  capacityTierOf,
  inferenceExtensionOf,
  readHealth,
  regionTimeoutFor,
  verifySpec,
  type HealthReport,
  type RegionHealth,
} from '@spillway/shared';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { alignColumns } from './columns.js';
import { EXIT, type Io } from './io.js';
import { guarded, prepare, type EngineCommandOptions } from './engine-commands.js';

/** `spillway status` and `spillway verify`: the health model, as a table or as JSON (CONTRACT.md §5). */
export interface HealthCommandOptions extends EngineCommandOptions {
  from?: 'cluster' | 'runner';
  loadTest?: boolean;
  failoverDrill?: boolean;
  /** Where the load test's SVG chart is written. */
  reportDir?: string;
}

const STATE: Record<RegionHealth['state'], string> = {
  healthy: '✔ healthy',
  degraded: '! degraded',
  down: '✖ down',
  unknown: '? unknown',
};

export function healthTable(report: HealthReport, allChecks: boolean): string {
  // CAPACITY only when a region's servers run on a ComputeClass: other specs keep their table.
  const classes = report.regions.some((r) => r.capacity);
  const rows = [
    [
      'SERVICE',
      'REGION',
      'CLUSTER',
      'STATE',
      'SERVERS',
      ...(classes ? ['CAPACITY'] : []),
      'EXTENSION',
      'KV-CACHE',
      'ADDRESS',
    ],
  ];
  for (const r of report.regions) {
    const kv =
      r.utilization === undefined
        ? '–'
        : `${Math.round(r.utilization * 100)}%${r.threshold !== undefined ? ` / ${Math.round(r.threshold * 100)}%` : ''}`;
    const tags = [r.preferred ? 'preferred' : '', r.spilling ? 'SPILLING' : ''].filter(Boolean).join(', ');
    rows.push([
      r.service,
      r.region,
      r.cluster,
      STATE[r.state],
      r.modelServers ? `${r.modelServers.ready}/${r.modelServers.desired}` : '–',
      ...(classes ? [capacityText(r)] : []),
      inferenceExtensionOf(r) ?? '–',
      kv,
      `${r.gatewayAddress ?? '–'}${tags ? `  (${tags})` : ''}`,
    ]);
  }
  const lines = alignColumns(rows);
  for (const r of report.regions) {
    const shown = allChecks ? r.checks : r.checks.filter((c) => !c.ok);
    if (shown.length === 0) continue;
    lines.push('', `${r.service} in ${r.region}:`);
    for (const c of shown) lines.push(`  ${c.ok ? '✔' : '✖'} ${c.name}: ${c.detail}`);
  }
  for (const [service, last] of Object.entries(report.lastVerified ?? {})) {
    lines.push(
      '',
      `${service}: last verified ${last.checkedAt} — ${last.ok ? 'passed' : `failed (${last.failed.length} check(s))`}`,
    );
  }
  lines.push(
    '',
    report.ok
      ? 'All regions healthy.'
      : `${report.regions.filter((r) => r.state !== 'healthy').length} region(s) need attention.`,
  );
  return lines.join('\n') + '\n';
}

/** The tier a region's servers run on, and the tiers found unavailable: `on-demand (reservation unavailable)`. */
function capacityText(r: RegionHealth): string {
  const tier = capacityTierOf(r);
  const unavailable = CAPACITY_TIERS.filter((t) => r.capacity?.unavailable.some((u) => u.tier === t));
  if (!tier) return '–';
  return unavailable.length ? `${tier} (${unavailable.join(', ')} unavailable)` : tier;
}

async function run(
  name: 'status' | 'verify',
  options: HealthCommandOptions,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const ready = await prepare(options, io, env);
  if (!ready.ok) return ready.code;
  const { spec, cloud, progress } = ready;
  progress.stop();
  const regionTimeoutMs = regionTimeoutFor(cloud);
  return guarded(io, async () => {
    try {
      const drift = { timing: ready.timing, env: ready.env };
      const report =
        name === 'verify'
          ? await verifySpec(spec, {
              cloud,
              regionTimeoutMs,
              from: options.from ?? 'cluster',
              drift,
              ...(options.loadTest ? { loadTest: {} } : {}),
              ...(options.failoverDrill
                ? { failoverDrill: { phaseTimeoutMs: cloud.emulated ? 30_000 : 15 * 60_000 } }
                : {}),
            })
          : await readHealth(spec, { cloud, regionTimeoutMs, drift });
      const charts = await writeCharts(report, resolve(io.cwd, options.reportDir ?? '.spillway/verify'));
      if (options.output === 'json') io.stdout(JSON.stringify(report, null, 2) + '\n');
      else io.stdout(healthTable(report, name === 'verify') + loadText(report, charts) + drillText(report));
      return name === 'verify' && !report.ok ? EXIT.failed : EXIT.ok;
    } finally {
      await cloud.close();
    }
  });
}

export const statusCommand = (options: HealthCommandOptions, io: Io, env = process.env) =>
  run('status', options, io, env);
export const verifyCommand = (options: HealthCommandOptions, io: Io, env = process.env) =>
  run('verify', options, io, env);

async function writeCharts(report: HealthReport, dir: string): Promise<Record<string, string>> {
  const written: Record<string, string> = {};
  for (const [service, load] of Object.entries(report.loadTests ?? {})) {
    await mkdir(dir, { recursive: true });
    written[service] = join(dir, `${service}-load-test.svg`);
    await writeFile(written[service], load.svg);
  }
  return written;
}

function loadText(report: HealthReport, charts: Record<string, string>): string {
  const lines: string[] = [];
  for (const [service, load] of Object.entries(report.loadTests ?? {})) {
    lines.push('', `Load test of ${service} (requests served per region at each step):`);
    for (const step of load.steps) {
      const served = Object.entries(step.byRegion)
        .map(([region, n]) => `${region} ${n}`)
        .join(', ');
      const kv = Object.entries(step.peakUtilization)
        .map(([region, u]) => `${region} ${Math.round(u * 100)}%`)
        .join(', ');
      lines.push(
        `  ${String(step.concurrency).padStart(3)} concurrent: ${served || 'none'}${step.failed ? `, ${step.failed} failed` : ''}  (peak KV cache: ${kv || '–'})`,
      );
    }
    for (const c of load.checks) lines.push(`  ${c.ok ? '✔' : '✖'} ${c.name}: ${c.detail}`);
    if (charts[service]) lines.push(`  chart: ${charts[service]}`);
    lines.push('', load.mermaid.trimEnd());
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function drillText(report: HealthReport): string {
  const lines: string[] = [];
  for (const [service, checks] of Object.entries(report.failoverDrills ?? {})) {
    lines.push(
      '',
      `Failover drill of ${service}:`,
      ...checks.map((c) => `  ${c.ok ? '✔' : '✖'} ${c.name}: ${c.detail}`),
    );
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
