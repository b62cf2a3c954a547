// The single-file CLI, packages/cli/bundle/spillway.mjs: `node spillway.mjs …` where nothing is
// installed (an application repository fetches it at a pinned commit, see docs/RELEASING.md).
// Committed and current, like the actions' bundles; `node bundle.mjs --analyze` prints what is big.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { analyze, bundleOptions } from '../../scripts/bundle.mjs';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** The sandbox (a gRPC server with protos read from node_modules, the upstream schemas) stays with a clone. */
const withoutSandbox = {
  name: 'without-sandbox',
  setup(b) {
    b.onResolve({ filter: /^\.\/sandbox-up\.js$/ }, () => ({
      path: 'sandbox-up',
      namespace: 'without-sandbox',
    }));
    b.onLoad({ filter: /.*/, namespace: 'without-sandbox' }, () => ({
      loader: 'js',
      contents: `export async function sandboxUp(_options, io) {
  io.stderr('spillway: the sandbox is not in the single-file CLI: run \`npx spillway sandbox up\` in a clone of https://github.com/spillway-dev/spillway\\n');
  return 2;
}`,
    }));
  },
};

export const options = (outfile = fileURLToPath(new URL('./bundle/spillway.mjs', import.meta.url))) =>
  bundleOptions(fileURLToPath(new URL('./src/main.ts', import.meta.url)), outfile, {
    plugins: [withoutSandbox],
    define: { SPILLWAY_CLI_VERSION: JSON.stringify(version) },
  });

// Run as a script (`node bundle.mjs [--analyze]`), not when a test imports the options.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (process.argv.includes('--analyze')) await analyze(options());
  else await build(options());
}
