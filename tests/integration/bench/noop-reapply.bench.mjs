// A no-op re-apply after a converged apply: the calls it makes (counted by the sandbox, which sees
// every call) and its wall time against one status read (readHealth), measured in this run.
// Prints counts and ratios; asserts nothing (timing is not a test).
import { readFileSync } from 'node:fs';
import { applySpec, checkSpec, cloudFromEnv, EMULATOR_TIMING, readHealth } from '@spillway/shared';
import { isMutatingCall, startSandbox } from '@spillway/sandbox';

const MS_PER_SECOND = 10;
const RUNS = 5;
const TIMING = { ...EMULATOR_TIMING, pollIntervalMs: 10, initialBackoffMs: 10, maxBackoffMs: 100 };

const example = readFileSync(new URL('../../../examples/food-review.yaml', import.meta.url), 'utf8');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function callCounts(sandbox) {
  let mutating = 0;
  let reads = 0;
  let claims = 0;
  for (const [key, count] of sandbox.faults.calls) {
    // The run's claim (a Lease taken, renewed, given back) is counted apart: it changes no resource.
    if (key.endsWith(' leases')) claims += count;
    else if (isMutatingCall(key)) mutating += count;
    else reads += count;
  }
  return { mutating, reads, claims };
}

async function timed(work) {
  const start = performance.now();
  const result = await work();
  return { ms: performance.now() - start, result };
}

const checked = checkSpec([{ file: 'food-review.yaml', text: example }]);
if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
const spec = checked.spec;
const sandbox = await startSandbox({ msPerSecond: MS_PER_SECOND });
const env = { ...sandbox.env, HF_TOKEN: 'hf_bench' };
const cloud = cloudFromEnv(env);
try {
  const first = await applySpec(spec, { cloud, env, timing: TIMING, allowReplace: false });
  if (!first.converged) throw new Error('the first apply did not converge');
  const resources = first.resources.length;

  const reapplyMs = [];
  const statusMs = [];
  let mutating = 0;
  let reads = 0;
  let claims = 0;
  for (let run = 0; run < RUNS; run++) {
    const before = callCounts(sandbox);
    const again = await timed(() => applySpec(spec, { cloud, env, timing: TIMING, allowReplace: false }));
    if (!again.result.converged) throw new Error('a no-op re-apply did not converge');
    const after = callCounts(sandbox);
    mutating += after.mutating - before.mutating;
    reads += after.reads - before.reads;
    claims += after.claims - before.claims;
    reapplyMs.push(again.ms);
    statusMs.push((await timed(() => readHealth(spec, { cloud, regionTimeoutMs: 30_000 }))).ms);
  }
  const reapply = median(reapplyMs);
  const status = median(statusMs);
  console.log(`no-op re-apply of the example after a converged apply (${RUNS} re-applies, one sandbox):`);
  console.log(
    `  mutating calls: ${mutating} in ${RUNS} re-applies (the sandbox counts every call; isMutatingCall classes it)`,
  );
  console.log(`  claim calls (the run's Lease: read, take, give back): ${claims / RUNS} per re-apply`);
  console.log(
    `  read calls per resource: ${(reads / RUNS / resources).toFixed(2)} (${reads / RUNS} reads per re-apply / ${resources} resources)`,
  );
  console.log(
    `  re-apply / one status read: ${(reapply / status).toFixed(1)}× (median re-apply ${reapply.toFixed(0)} ms / median readHealth ${status.toFixed(0)} ms)`,
  );
} finally {
  await cloud.close();
  await sandbox.close();
}
