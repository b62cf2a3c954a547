// The broken-spec corpus through the real CLI (`spillway plan -f FILE`) with the sandbox's
// environment: each must exit 2, name the field (or position) that is wrong, and reach no API
// (the sandbox counts every call it serves).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '@spillway/sandbox';
import { generatedCases } from './corpus/generated.mjs';

const corpus = fileURLToPath(new URL('./corpus/', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(repo, 'packages/cli/dist/main.js');
export const REFERENCE_PLATFORM = '_platform.yaml';

/** The committed cases and the generated ones (written to a temporary directory). */
export function corpusCases(generatedDir) {
  const committed = JSON.parse(readFileSync(join(corpus, 'cases.json'), 'utf8')).map((c) => ({
    ...c,
    dir: corpus,
  }));
  const generated = generatedCases().map(({ text, ...c }) => {
    writeFileSync(join(generatedDir, c.file), text, c.file.endsWith('.bin') ? 'latin1' : 'utf8');
    return { ...c, dir: generatedDir, platform: false };
  });
  return [...committed, ...generated];
}

function run(args, cwd, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `FILE:LINE:COL PATH: message` with the case's path and a part of its message, as the CLI prints it. */
function namesTheField(stderr, c) {
  const path = c.path ? ` ${escape(c.path)}` : '';
  return new RegExp(`^${escape(c.file)}:\\d+:\\d+${path}: .*${escape(c.message)}`, 'm').test(stderr);
}

const totalCalls = (sandbox) => [...sandbox.faults.calls.values()].reduce((a, b) => a + b, 0);

/** Runs every case; returns one result per case and whether a long-lived process survives them. */
export async function badInput(onResult = () => undefined) {
  const generatedDir = mkdtempSync(join(tmpdir(), 'spillway-chaos-'));
  const sandbox = await startSandbox({ msPerSecond: 1 });
  const env = { ...process.env, ...sandbox.env, HF_TOKEN: 'hf_chaos' };
  const results = [];
  try {
    for (const c of corpusCases(generatedDir)) {
      const before = totalCalls(sandbox);
      const args = [
        'plan',
        '-f',
        c.file,
        ...(c.platform ? ['--platform', join(corpus, REFERENCE_PLATFORM)] : []),
      ];
      const out = await run(args, c.dir, env);
      const calls = totalCalls(sandbox) - before;
      const named = namesTheField(out.stderr, c);
      const result = {
        file: c.file,
        ok: out.code === 2 && named && calls === 0,
        code: out.code ?? out.signal,
        named,
        calls,
        firstLine: out.stderr.split('\n')[0].slice(0, 160),
      };
      results.push(result);
      onResult(result);
    }
  } finally {
    await sandbox.close();
    rmSync(generatedDir, { recursive: true, force: true });
  }
  return results;
}

/**
 * A long-lived process (a Backstage backend, a test runner) checks hostile specs one after the
 * other: it must reject each and stay up. Run in a child so a crash is a result, not ours.
 */
export async function longLivedProcess() {
  const script = `
    import { checkSpec } from '@spillway/shared';
    import { generatedCases } from ${JSON.stringify(new URL('./corpus/generated.mjs', import.meta.url).href)};
    for (const c of generatedCases()) for (let i = 0; i < 2; i++) {
      const r = checkSpec([{ file: c.file, text: c.text }]);
      if (r.ok) throw new Error(c.file + ' accepted');
    }
    console.log('survived');`;
  const out = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.stderr.on('data', (c) => (text += c));
    child.on('exit', (code, signal) => resolve({ code, signal, text }));
  });
  const fatal = /FATAL ERROR: .*/.exec(out.text)?.[0];
  return {
    ok: out.code === 0 && out.text.includes('survived'),
    outcome:
      out.code === 0
        ? 'every generated case rejected twice in one process; it stays up'
        : `the process died (${out.signal ?? `exit ${out.code}`}${fatal ? `: ${fatal}` : ''})`,
  };
}
