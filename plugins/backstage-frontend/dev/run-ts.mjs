// `node dev/run-ts.mjs FILE.ts [args]`: runs a TypeScript entry with dev/ts-hooks.mjs.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

register('./ts-hooks.mjs', import.meta.url);
const [entry] = process.argv.splice(2, 1);
if (!entry) throw new Error('usage: node dev/run-ts.mjs FILE.ts [args]');
await import(pathToFileURL(resolve(entry)).href);
