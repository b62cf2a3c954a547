// One file with every dependency inlined, as the actions and the single-file CLI are committed:
// ESM, with require/__dirname restored for the CommonJS Google client libraries inside, and
// deterministic, so a test can tell when a committed bundle is stale.
import { build } from 'esbuild';

export const BANNER =
  "import { createRequire as __cr } from 'module'; import { fileURLToPath as __fu } from 'url'; import { dirname as __dn } from 'path';" +
  ' const require = __cr(import.meta.url); const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);';

/**
 * Modules a bundle leaves out because nothing Spillway runs uses them, and they are large and
 * evaluated at start (see `analyze`). Each is replaced by a module that fails loudly if it is
 * ever used after all.
 */
export const LEFT_OUT = [
  {
    // google-gax's compiled IAM, Locations and long-running-operations protos (478 kB), exported for
    // the clients with those mixins; GKE's ClusterManager has none and loads its own protos JSON.
    filter: /google-gax[\\/]build[\\/]protos[\\/](iam_service|locations|operations)\.js$/,
    contents: 'module.exports = {};',
  },
  {
    // whatwg-url (and tr46's 260 kB table, which requires Node's deprecated punycode), under
    // client-node's node-fetch 2, which takes it only where Node has no URL: `Url.URL || whatwgUrl.URL`.
    filter: /whatwg-url[\\/]lib[\\/]public-api\.js$/,
    contents: 'module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };',
  },
  {
    // Web streams for Node before 16.5, under gaxios' node-fetch 3 (fetch-blob): Node 20 has them.
    filter: /web-streams-polyfill[\\/]dist[\\/]ponyfill\.es2018\.js$/,
    contents: "throw new Error('web-streams-polyfill is not in this bundle: Node 20 has web streams');",
  },
  {
    // @actions/core's OIDC client (core.getIDToken), which alone brings @actions/http-client and
    // undici (440 kB): credentials come from google-github-actions/auth, never from the action.
    filter: /@actions[\\/]core[\\/]lib[\\/]oidc-utils\.js$/,
    contents:
      "export class OidcClient { static async getIDToken() { throw new Error('core.getIDToken is not in this bundle (scripts/bundle.mjs LEFT_OUT)'); } }",
  },
];

const leaveOut = {
  name: 'leave-out',
  setup(b) {
    for (const { filter, contents } of LEFT_OUT) b.onLoad({ filter }, () => ({ contents, loader: 'js' }));
  },
};

/** esbuild options for one entry point bundled into `outfile`; `plugins` and `define` add to them. */
export function bundleOptions(entry, outfile, { plugins = [], define } = {}) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    banner: { js: BANNER },
    plugins: [leaveOut, ...plugins],
    ...(define ? { define } : {}),
    logLevel: 'warning',
  };
}

/** Prints a bundle's largest inputs by package, from esbuild's metafile. */
export async function analyze(options) {
  const { metafile } = await build({ ...options, write: false, metafile: true });
  const byPackage = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(Object.values(metafile.outputs)[0].inputs)) {
    const packages = file.match(/node_modules\/(@[^/]+\/)?[^/]+/g);
    const key = packages ? packages.at(-1).slice('node_modules/'.length) : file;
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  for (const [key, bytes] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`${(bytes / 1e3).toFixed(0).padStart(6)} kB  ${key}`);
}
