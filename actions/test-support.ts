import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** For tests: runs a bundled action as the runner does, `node dist/index.js` with INPUT_* variables. */
export async function runAction(entry: string, inputs: Record<string, string>, env: NodeJS.ProcessEnv) {
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
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [entry], {
      env: childEnv,
      timeout: 120_000,
      maxBuffer: 32 * 1024 * 1024,
    }));
  } catch (error: any) {
    code = error.code;
    stdout = String(error.stdout);
  }
  return {
    code,
    stdout,
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
