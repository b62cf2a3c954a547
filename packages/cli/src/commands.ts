import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  formatIssue,
  loadSpecFiles,
  renderDesiredState,
  renderFiles,
  type SpecIssue,
} from '@spillway/shared';
import { EXIT, type Io } from './io.js';
import { describeSpec, describeState, resourceSummary } from './summary.js';

export type Output = 'text' | 'json';

/** Marker listing the files a previous render wrote, so a re-render removes only its own. */
const RENDER_MARKER = '.spillway-render';

async function loadOrReport(files: string[], output: Output, io: Io, platformFiles: string[]) {
  const result = await loadSpecFiles(files, io.cwd, platformFiles);
  if (result.ok) return result.spec;
  reportIssues(result.issues, output, io);
  return undefined;
}

export function reportIssues(issues: SpecIssue[], output: Output, io: Io) {
  if (output === 'json') io.stdout(JSON.stringify({ ok: false, issues }, null, 2) + '\n');
  for (const issue of issues) io.stderr(`${formatIssue(issue)}\n`);
  io.stderr(
    `${issues.length} problem${issues.length === 1 ? '' : 's'} in the spec; nothing was read or written.\n`,
  );
}

/** What a valid spec should still change, on stderr: nothing is refused, the exit code stays 0. */
export function reportWarnings(warnings: SpecIssue[], io: Io) {
  for (const warning of warnings) io.stderr(`warning: ${formatIssue(warning)}\n`);
}

export async function validate(
  files: string[],
  output: Output,
  io: Io,
  platformFiles: string[] = [],
): Promise<number> {
  const result = await loadSpecFiles(files, io.cwd, platformFiles);
  if (!result.ok) {
    reportIssues(result.issues, output, io);
    return EXIT.invalid;
  }
  const { spec, warnings } = result;
  reportWarnings(warnings, io);
  if (output === 'json') {
    const summary = describeSpec(spec);
    io.stdout(JSON.stringify({ ok: true, issues: [], warnings, summary }, null, 2) + '\n');
  } else {
    io.stdout(`✓ ${files.join(', ')} is valid\n`);
    for (const line of describeSpec(spec)) io.stdout(`  ${line}\n`);
  }
  return EXIT.ok;
}

export async function render(
  files: string[],
  outDir: string,
  output: Output,
  io: Io,
  platformFiles: string[] = [],
): Promise<number> {
  const spec = await loadOrReport(files, output, io, platformFiles);
  if (!spec) return EXIT.invalid;
  const state = renderDesiredState(spec);
  const rendered = renderFiles(spec, state);
  const dir = resolve(io.cwd, outDir);
  await removePreviousRender(dir);
  for (const [path, content] of rendered) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, content, { mode: path.endsWith('.sh') ? 0o755 : 0o644 });
  }
  await writeFile(join(dir, RENDER_MARKER), [...rendered.keys()].join('\n') + '\n');
  if (output === 'json') {
    io.stdout(
      JSON.stringify(
        { files: [...rendered.keys()], resources: state.resources.map(resourceSummary) },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const line of describeState(state)) io.stdout(`${line}\n`);
    io.stdout(
      `wrote ${rendered.size} files to ${outDir} (run ${join(outDir, 'apply.sh')} to do it by hand)\n`,
    );
  }
  return EXIT.ok;
}

async function removePreviousRender(dir: string) {
  let listed: string;
  try {
    listed = await readFile(join(dir, RENDER_MARKER), 'utf8');
  } catch {
    return;
  }
  for (const path of listed.split('\n').filter(Boolean)) {
    if (path.includes('..')) continue;
    await rm(join(dir, path), { force: true });
  }
}
