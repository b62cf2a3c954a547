import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * Node 24, the runtime action.yml declares (`runs.using: node24`). scripts/setup.sh installs it in
 * a prefix of its own, so its `node` never replaces the project's Node 20 on PATH.
 */
export const NODE24 = fileURLToPath(new URL('../.cache/node24/node_modules/.bin/node', import.meta.url));

/** For tests: runs a bundled action as the runner does, `node dist/index.js` with INPUT_* variables, on Node 24. */
export async function runAction(
  entry: string,
  inputs: Record<string, string>,
  env: NodeJS.ProcessEnv,
  node = NODE24,
) {
  if (!existsSync(node))
    throw new Error(`no Node at ${node}: run bash scripts/setup.sh (it installs Node 24)`);
  const dir = mkdtempSync(join(tmpdir(), 'action-'));
  const output = join(dir, 'output');
  const summary = join(dir, 'summary');
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    ...env,
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  let code = 0;
  let stdout = '';
  let stderr = '';
  try {
    ({ stdout, stderr } = await promisify(execFile)(node, [entry], {
      env: childEnv,
      timeout: 120_000,
      maxBuffer: 32 * 1024 * 1024,
    }));
  } catch (error: any) {
    code = error.code;
    stdout = String(error.stdout);
    stderr = String(error.stderr);
  }
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(output, 'utf8')),
    summary: readFileSync(summary, 'utf8'),
  };
}

/** GITHUB_OUTPUT's multi-line format: name<<DELIMITER, value lines, DELIMITER. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    out[m[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return out;
}

/** The committed copy of a file (the build step rewrites the work tree's). */
export async function committed(repo: string, path: string): Promise<Buffer> {
  const { stdout } = await promisify(execFile)('git', ['show', `HEAD:${path}`], {
    cwd: repo,
    maxBuffer: 64 * 1024 * 1024,
    encoding: 'buffer',
  });
  return stdout as unknown as Buffer;
}
