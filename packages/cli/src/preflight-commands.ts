import {
  nothingRead,
  preflight,
  preflightJson,
  type PreflightCheck,
  type PreflightReport,
  type Verdict,
} from '@spillway/shared';
import { alignColumns } from './columns.js';
import { guarded, prepare, type EngineCommandOptions } from './engine-commands.js';
import { EXIT, type Io } from './io.js';

/** `spillway preflight` (CONTRACT.md §1b): reads only; exit 1 on a certain failure, 0 otherwise. */
export async function preflightCommand(
  options: EngineCommandOptions,
  io: Io,
  env = process.env,
): Promise<number> {
  const ready = await prepare(options, io, env);
  if (!ready.ok) return ready.code;
  const { spec, cloud, timing, progress } = ready;
  return guarded(io, async () => {
    try {
      const report = await preflight(spec, {
        cloud,
        timing,
        onRetry: (what, error, attempt) =>
          io.stderr(`preflight: retrying ${what} (attempt ${attempt}): ${error}\n`),
      });
      progress.stop();
      if (nothingRead(report)) {
        const first = report.regions.flatMap((r) => r.checks)[0]!;
        throw new Error(
          `preflight could not read anything: ${first.found.replace(/^could not be read: /, '')}`,
        );
      }
      if (options.output === 'json') io.stdout(JSON.stringify(preflightJson(report), null, 2) + '\n');
      else io.stdout(preflightTable(report));
      return report.ok ? EXIT.ok : EXIT.failed;
    } finally {
      progress.stop();
      await cloud.close();
    }
  });
}

const MARK: Record<Verdict, string> = { ok: '✔ ok', warning: '! warning', failure: '✖ failure' };

/** Per region a table: check, what was found, verdict, what to do; then one summary line. */
export function preflightTable(report: PreflightReport): string {
  const lines: string[] = [];
  for (const region of report.regions) {
    if (lines.length) lines.push('');
    lines.push(`${region.platform} · ${region.region}`);
    const rows = [['CHECK', 'FOUND', 'VERDICT', 'WHAT TO DO']];
    for (const c of region.checks) rows.push([c.name, c.found, MARK[c.verdict], c.todo ?? '']);
    lines.push(...alignColumns(rows).map((row) => `  ${row}`));
  }
  const all = report.regions.flatMap((r) => r.checks);
  const count = (v: Verdict) => all.filter((c) => c.verdict === v).length;
  lines.push(
    '',
    report.ok
      ? `Preflight passed: ${count('ok')} ok, ${count('warning')} warning(s).`
      : `Preflight failed: ${count('failure')} problem(s) would stop an apply, ${count('warning')} warning(s).`,
  );
  return lines.join('\n') + '\n';
}

/** Preflight's warnings before a plan or apply, one line each on stderr. */
export function preflightWarnings(warnings: PreflightCheck[] | undefined, io: Io) {
  for (const w of warnings ?? [])
    io.stderr(`warning: preflight ${w.name}: ${w.found}${w.todo ? ` — ${w.todo}` : ''}\n`);
}
