#!/usr/bin/env node
// Committed, so npm links `spillway` at install time: npm links a workspace's bin only when the
// file exists, and dist/ exists only after the build.
let cli;
try {
  cli = await import('../dist/main.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/main.js')) throw error;
  process.stderr.write(
    'spillway: not built yet: run `npm run build` (or `npm run demo`) at the repository root\n',
  );
  process.exit(1);
}
process.exitCode = await cli.run(process.argv.slice(2));
