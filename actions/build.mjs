// Bundles an action into one committed file, actions/NAME/dist/index.js, as GitHub runs it
// (`runs.using: node24`, no node_modules). ESM, with require/__dirname restored for the CommonJS
// Google client libraries inside; deterministic, so a test can tell when dist is stale.
import { build } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BANNER =
  "import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path';" +
  ' const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);';

export function options(name, outfile) {
  return {
    entryPoints: [fileURLToPath(new URL(`./${name}/src/main.ts`, import.meta.url))],
    outfile: outfile ?? fileURLToPath(new URL(`./${name}/dist/index.js`, import.meta.url)),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    logLevel: 'warning',
  };
}

// Run as a script (`node build.mjs NAME`), not when a test imports the options.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await build(options(process.argv[2]));
