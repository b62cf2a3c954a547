import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import {
  applySpec,
  cloudFromEnv,
  destroySpec,
  EMULATOR_TIMING,
  loadSpecFiles,
  planSpec,
  REAL_TIMING,
  PlatformInUseError,
  SecretUnavailableError,
  type ApplyResult,
  type PlanEntry,
  type Spec,
  planJson,
} from '@spillway/shared';
import { reportIssues, reportWarnings, type Output } from './commands.js';
import { alignColumns } from './columns.js';
import { EXIT, type Io } from './io.js';
import { formatDuration, progressFor } from './progress.js';
import { preflightWarnings } from './preflight-commands.js';

export interface EngineCommandOptions {
  file: string[];
  /** Reference platforms (--platform): read, never changed. */
  platform?: string[];
  output: Output;
  yes?: boolean;
  /** Override "still used by services outside this spec" (never implied by --yes). */
  allowInUse?: boolean;
  /** Seconds to wait for another run's claim on the platform or service (--lock-timeout). */
  lockTimeout?: number;
  /** The state directory of a sandbox started with `spillway sandbox up` (true: the default one). */
  sandbox?: string | boolean;
}

export const DEFAULT_SANDBOX_DIR = '.spillway/sandbox';

/** The environment to run with: the process's, plus a running sandbox's when --sandbox is given. */
async function environment(
  options: EngineCommandOptions,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<NodeJS.ProcessEnv | string> {
  if (!options.sandbox) return env;
  const dir = resolve(io.cwd, typeof options.sandbox === 'string' ? options.sandbox : DEFAULT_SANDBOX_DIR);
  let text: string;
  try {
    text = await readFile(join(dir, 'env'), 'utf8');
  } catch {
    return `no sandbox is running with its state in ${dir}: start one with \`spillway sandbox up\` (or give its --state-dir to --sandbox)`;
  }
  const values = Object.fromEntries(
    [...text.matchAll(/^(?:export )?(\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  return { ...env, ...values };
}

type Prepared =
  | { ok: false; code: number }
  | {
      ok: true;
      spec: Spec;
      cloud: ReturnType<typeof cloudFromEnv>;
      timing: typeof REAL_TIMING;
      progress: ReturnType<typeof progressFor>;
      env: NodeJS.ProcessEnv;
    };

export async function prepare(
  options: EngineCommandOptions,
  io: Io,
  env: NodeJS.ProcessEnv,
): Promise<Prepared> {
  const loaded = await loadSpecFiles(options.file, io.cwd, options.platform ?? []);
  if (!loaded.ok) {
    reportIssues(loaded.issues, options.output, io);
    return { ok: false, code: EXIT.invalid };
  }
  reportWarnings(loaded.warnings, io);
  const runEnv = await environment(options, io, env);
  if (typeof runEnv === 'string') {
    io.stderr(`spillway: ${runEnv}\n`);
    return { ok: false, code: EXIT.invalid };
  }
  const cloud = cloudFromEnv(runEnv);
  const base = cloud.emulated ? EMULATOR_TIMING : REAL_TIMING;
  const timing =
    options.lockTimeout !== undefined ? { ...base, lockTimeoutMs: options.lockTimeout * 1000 } : base;
  const progress = progressFor(process.stderr, io.stderr);
  return { ok: true, spec: loaded.spec, cloud, timing, progress, env: runEnv };
}

/** Runs an engine call, turning configuration problems into exit 2 and failures into exit 1. */
export async function guarded(io: Io, work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SecretUnavailableError || error instanceof PlatformInUseError) {
      io.stderr(`spillway: ${error.message}\n`);
      return EXIT.invalid;
    }
    io.stderr(`spillway: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}

export async function planCommand(options: EngineCommandOptions, io: Io, env = process.env): Promise<number> {
  const ready = await prepare(options, io, env);
  if (!ready.ok) return ready.code;
  const { spec, cloud, timing, progress } = ready;
  return guarded(io, async () => {
    try {
      const report = await planSpec(spec, { cloud, timing, env: ready.env, onEvent: progress.listener });
      progress.stop();
      preflightWarnings(report.preflight, io);
      if (options.output === 'json') {
        io.stdout(
          JSON.stringify(
            {
              ...planJson(report),
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        io.stdout(planTable(report.resources));
      }
      return EXIT.ok;
    } finally {
      progress.stop();
      await cloud.close();
    }
  });
}

const ORDER = ['create', 'update', 'replace', 'delete', 'noop'] as const;
const MARK: Record<string, string> = { create: '+', update: '~', replace: '-/+', delete: '-', noop: ' ' };

/** A table a person reads at a glance: changes first, then a one-line summary, as Terraform prints. */
export function planTable(entries: PlanEntry[]): string {
  const changes = entries
    .filter((e) => e.action !== 'noop')
    .sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action));
  const width = Math.min(70, Math.max(20, ...changes.map((e) => e.title.length)));
  const lines = changes.map(
    (e) => `${MARK[e.action]!.padStart(3)} ${e.action.padEnd(7)} ${e.title.padEnd(width)}  ${e.reason}`,
  );
  const count = (a: string) => entries.filter((e) => e.action === a).length;
  lines.push(
    '',
    `Plan: ${count('create')} to create, ${count('update')} to update, ${count('replace')} to replace, ${count('delete')} to delete, ${count('noop')} unchanged.`,
  );
  if (changes.length === 0) lines.unshift('No changes: the live state matches the spec.');
  return lines.join('\n') + '\n';
}

function resultSummary(result: ApplyResult, verb: string): string {
  const failed = result.resources.filter((r) => r.state === 'failed');
  const blocked = result.resources.filter((r) => r.state === 'blocked');
  const changed = result.resources.filter((r) => r.state === 'done' && r.action !== 'noop');
  const lines = failed.map((r) => `✖ ${r.title}: ${r.error}`);
  if (blocked.length) lines.push(`⊘ ${blocked.length} resource(s) not started because of the failures above`);
  const slowest = [...result.resources].sort((a, b) => b.elapsedMs - a.elapsedMs)[0];
  lines.push(
    `${verb}: ${changed.length} changed, ${result.resources.length - changed.length - failed.length - blocked.length} unchanged, ${failed.length} failed` +
      (slowest?.elapsedMs ? ` (slowest: ${slowest.title}, ${formatDuration(slowest.elapsedMs)})` : ''),
  );
  return lines.join('\n') + '\n';
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`${question} Type "yes" to go on: `)).trim() === 'yes';
  } finally {
    rl.close();
  }
}

export async function applyCommand(
  options: EngineCommandOptions,
  io: Io,
  env = process.env,
): Promise<number> {
  const ready = await prepare(options, io, env);
  if (!ready.ok) return ready.code;
  const { spec, cloud, timing, progress } = ready;
  return guarded(io, async () => {
    try {
      let report = await applySpec(spec, {
        cloud,
        timing,
        env: ready.env,
        allowReplace: !!options.yes,
        allowInUse: !!options.allowInUse,
        onEvent: progress.listener,
      });
      if (report.refused && !options.yes) {
        progress.stop();
        if (await confirm(report.refused.replace(' run again with --yes to replace them.', ''))) {
          report = await applySpec(spec, {
            cloud,
            timing,
            env: ready.env,
            allowReplace: true,
            allowInUse: !!options.allowInUse,
            onEvent: progress.listener,
          });
        }
      }
      progress.stop();
      preflightWarnings(report.preflight, io);
      if (options.output === 'json') {
        const { converged, resources, gateway } = report;
        io.stdout(
          JSON.stringify(
            { converged, ...(report.refused ? { refused: report.refused } : {}), resources, gateway },
            null,
            2,
          ) + '\n',
        );
      } else if (report.refused) {
        io.stderr(`spillway: ${report.refused}\n`);
      } else {
        io.stdout(resultSummary(report, 'Apply'));
        io.stdout(addressesText(spec, report.gateway.addresses));
      }
      return report.converged ? EXIT.ok : EXIT.failed;
    } finally {
      progress.stop();
      await cloud.close();
    }
  });
}

function addressesText(spec: Spec, addresses: Record<string, string>): string {
  if (Object.keys(addresses).length === 0) return '';
  const lines = spec.services.map(
    (s) => `Gateway ${s.namespace}/${s.gateway.name} (port ${s.gateway.port}):`,
  );
  const rows = Object.entries(addresses)
    .sort()
    .map(([region, address]) => {
      const preferred = spec.services.some((s) => s.balancing.preferredRegions.includes(region));
      return [region, `${address}${preferred ? '   (preferred)' : ''}`];
    });
  lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  return lines.join('\n') + '\n';
}

export async function destroyCommand(
  options: EngineCommandOptions,
  io: Io,
  env = process.env,
): Promise<number> {
  const ready = await prepare(options, io, env);
  if (!ready.ok) return ready.code;
  const { spec, cloud, timing, progress } = ready;
  const what = [
    ...spec.platforms.map((p) => `platform ${p.name}`),
    ...spec.services.map((s) => `service ${s.name}`),
  ].join(', ');
  if (!options.yes && !(await confirm(`This deletes what Spillway created for ${what}.`))) {
    io.stderr('spillway: destroy needs confirmation: run it in a terminal and type yes, or pass --yes.\n');
    await cloud.close();
    return EXIT.invalid;
  }
  return guarded(io, async () => {
    try {
      const report = await destroySpec(spec, {
        cloud,
        timing,
        env: ready.env,
        onEvent: progress.listener,
        allowInUse: !!options.allowInUse,
      });
      progress.stop();
      if (options.output === 'json') io.stdout(JSON.stringify(report, null, 2) + '\n');
      else io.stdout(resultSummary(report, 'Destroy'));
      return report.converged ? EXIT.ok : EXIT.failed;
    } finally {
      progress.stop();
      await cloud.close();
    }
  });
}
