// Bundles an action into one committed file, actions/NAME/dist/index.js, as GitHub runs it
// (`runs.using: node24`, no node_modules). `node build.mjs NAME --analyze` prints what is big in it.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze, bundleOptions } from '../scripts/bundle.mjs';

export function options(name, outfile) {
  return bundleOptions(
    fileURLToPath(new URL(`./${name}/src/main.ts`, import.meta.url)),
    outfile ?? fileURLToPath(new URL(`./${name}/dist/index.js`, import.meta.url)),
  );
}

// Run as a script (`node build.mjs NAME [--analyze]`), not when a test imports the options.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--analyze')) await analyze(options(process.argv[2]));
  else await build(options(process.argv[2]));
}
