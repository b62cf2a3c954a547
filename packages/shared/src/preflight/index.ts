import type { Cloud } from '../cloud/clients.js';
import type { Timing } from '../engine/types.js';
import type { Spec } from '../spec/model.js';
import { acceleratorChecks, poolQuotaChecks } from './checks-capacity.js';
import { classChecks, reservationChecks } from './checks-classes.js';
import { apisCheck, gpusAllRegionsCheck, networkCheck, versionChecks } from './checks-project.js';
import { permissionsCheck } from './permissions.js';
import { readPlatform, type Observed, type OnRetry } from './reads.js';
import {
  failuresOf,
  warningsOf,
  type PreflightCheck,
  type PreflightRegion,
  type PreflightReport,
} from './report.js';

/**
 * `spillway preflight` (CONTRACT.md §1b): reads only, and says per region what would stop an
 * apply before it starts. Platforms given read-only (--platform) are not checked: nothing of
 * them is created from here.
 */
export interface PreflightOptions {
  cloud: Cloud;
  timing: Timing;
  onRetry?: OnRetry;
}

export async function preflight(spec: Spec, options: PreflightOptions): Promise<PreflightReport> {
  return (await observeAndJudge(spec, options)).report;
}

async function observeAndJudge(spec: Spec, options: PreflightOptions) {
  const owned = spec.platforms.filter((p) => !p.reference);
  const observed = await Promise.all(
    owned.map((p) => readPlatform(p, options.cloud, options.timing, options.onRetry)),
  );
  const regions = observed.flatMap(judge);
  const report = { ok: regions.every((r) => r.checks.every((c) => c.verdict !== 'failure')), regions };
  return { report, observed };
}

function judge(o: Observed): PreflightRegion[] {
  const platform = o.platform.name;
  const global: PreflightCheck[] = [networkCheck(o), apisCheck(o), permissionsCheck(o)];
  const gpus = gpusAllRegionsCheck(o);
  if (gpus) global.push(gpus);
  const regions = [...new Set(o.platform.clusters.map((c) => c.region))];
  return [
    { platform, region: 'global', checks: global },
    ...regions.map((region) => ({
      platform,
      region,
      checks: [
        ...versionChecks(o, region),
        ...acceleratorChecks(o, region),
        ...poolQuotaChecks(o, region),
        ...reservationChecks(o, region),
        ...classChecks(o, region),
      ],
    })),
  ];
}

/** A certain failure found before plan or apply: nothing was changed. */
export class PreflightFailedError extends Error {
  constructor(readonly report: PreflightReport) {
    const failures = failuresOf(report);
    super(
      `preflight found ${failures.length} problem${failures.length === 1 ? '' : 's'} that would stop the run; nothing was changed:\n` +
        failures.map((f) => `  ${f.region}: ${f.name}: ${f.found} — ${f.todo ?? ''}`).join('\n'),
    );
  }
}

/**
 * What plan and apply run first: a certain failure throws (before any mutating call); the
 * warnings are returned for the face to show. Unreadable checks are warnings: the run's own
 * reads say what is wrong with access.
 */
export async function preflightGate(spec: Spec, options: PreflightOptions): Promise<PreflightCheck[]> {
  const { report, observed } = await observeAndJudge(spec, options);
  // The run's first read is this same list: where it failed (unreachable, no credentials), the run
  // would fail on it too, after a second read deadline. Say so now, in the run's own words.
  for (const o of observed)
    if (!o.clusters.ok)
      throw new Error(`cannot list the GKE clusters of project ${o.platform.projectId}: ${o.clusters.error}`);
  if (!report.ok) throw new PreflightFailedError(report);
  return warningsOf(report).map((w) => ({ ...w, name: `${w.region}: ${w.name}` }));
}

/** True when not one check could read what it needed (no credentials, every API unreachable). */
export function nothingRead(report: PreflightReport): boolean {
  const checks = report.regions.flatMap((r) => r.checks);
  return checks.length > 0 && checks.every((c) => c.found.startsWith('could not be read'));
}

export { preflightJson, failuresOf, warningsOf } from './report.js';
export type { PreflightCheck, PreflightRegion, PreflightReport, Verdict } from './report.js';
export { gpuQuotaMetrics, tpuQuotaMetrics, tpuChips } from './metrics.js';
