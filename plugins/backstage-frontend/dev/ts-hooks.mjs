// Node module hooks that let the dev harness run TypeScript sources directly: Spillway's own
// workspaces resolve to their src/ (no build needed first), `./x.js` finds `./x.ts(x)`, and
// .ts/.tsx files are compiled by esbuild. Every package resolves as Node resolves it.
import { transform } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = new URL('../../../', import.meta.url);
const sources = {
  '@spillway/shared': new URL('packages/shared/src/index.ts', repo).href,
  '@spillway/sandbox': new URL('packages/sandbox/src/index.ts', repo).href,
  '@spillway/backstage-plugin-spillway-backend': new URL('plugins/backstage-backend/src/index.ts', repo).href,
};

export async function resolve(specifier, context, nextResolve) {
  if (sources[specifier]) return { url: sources[specifier], shortCircuit: true, format: 'module' };
  if (/^\.{1,2}\//.test(specifier) && context.parentURL?.startsWith('file:')) {
    const target = new URL(specifier, context.parentURL);
    if (!existsSync(fileURLToPath(target))) {
      for (const ext of ['.ts', '.tsx']) {
        const candidate = pathToFileURL(fileURLToPath(target).replace(/\.js$/, ext));
        if (existsSync(fileURLToPath(candidate)))
          return { url: candidate.href, shortCircuit: true, format: 'module' };
      }
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!/\.tsx?$/.test(new URL(url).pathname)) return nextLoad(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { code } = await transform(source, {
    loader: url.endsWith('.tsx') ? 'tsx' : 'ts',
    format: 'esm',
    target: 'node20',
    jsx: 'automatic',
    sourcemap: 'inline',
    sourcefile: fileURLToPath(url),
  });
  return { format: 'module', source: code, shortCircuit: true };
}
