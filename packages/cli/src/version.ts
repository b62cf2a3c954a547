import { readFileSync } from 'node:fs';

/** Set by the single-file bundle's build (esbuild `define`), where no package.json sits beside it. */
declare const SPILLWAY_CLI_VERSION: string | undefined;

/** The version of @spillway/cli, from its package.json. */
export function cliVersion(): string {
  if (typeof SPILLWAY_CLI_VERSION === 'string') return SPILLWAY_CLI_VERSION;
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}
