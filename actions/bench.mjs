// An action's bundle size and cold start, as the runner starts it (`node dist/index.js`), measured
// in this run against a bare `node` start, on this Node and on Node 24 (the runtime action.yml
// declares) when scripts/setup.sh has installed it. The action is given an invalid input so it
// stops right after loading and reading its inputs: what is timed is the load, not the work.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const RUNS = 7;
const name = process.argv[2];
const entry = fileURLToPath(new URL(`./${name}/dist/index.js`, import.meta.url));
const node24 = fileURLToPath(new URL('../.cache/node24/node_modules/.bin/node', import.meta.url));
const run = promisify(execFile);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(node, args, env) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run(node, args, { env: { PATH: process.env.PATH, ...env } }).catch(() => undefined);
    times.push(performance.now() - start);
  }
  return median(times);
}

const mb = statSync(entry).size / 1e6;
console.log(
  `actions/${name}: bundle ${mb.toFixed(1)} MB (dist/index.js, minified, every dependency inlined)`,
);
for (const node of [process.execPath, ...(existsSync(node24) ? [node24] : [])]) {
  const version = (await run(node, ['--version'])).stdout.trim();
  const bare = await timed(node, ['-e', '']);
  const cold = await timed(node, [entry], {
    INPUT_SPEC: 'missing.yaml',
    INPUT_COMMAND: 'bogus',
    INPUT_FROM: 'bogus',
  });
  console.log(
    `actions/${name}: cold start on Node ${version} ${cold.toFixed(0)} ms = ${(cold / bare).toFixed(1)}× a bare node start (${bare.toFixed(0)} ms); median of ${RUNS} runs of node dist/index.js up to its input check`,
  );
}
