// The dev harness's entry point: runs dev/serve.ts with the TypeScript hooks of dev/ts-hooks.mjs.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
await import('./serve.ts');
