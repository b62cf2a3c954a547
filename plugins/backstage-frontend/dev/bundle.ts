import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export interface PageBundle {
  js: Uint8Array;
  css?: Uint8Array;
}

/** Bundles dev/page.tsx (the card in Backstage's test app) for the browser, in memory. */
export async function bundlePage(): Promise<PageBundle> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./page.tsx', import.meta.url))],
    outdir: '/page',
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    loader: { '.svg': 'dataurl', '.png': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl' },
    logLevel: 'error',
  });
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.contents;
  const js = file('.js');
  if (!js) throw new Error('esbuild produced no JavaScript for dev/page.tsx');
  const css = file('.css');
  return css ? { js, css } : { js };
}
