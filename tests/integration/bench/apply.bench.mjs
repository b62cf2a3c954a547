// Apply's wall time against the critical path of its graph, and the seeds' manual order (one step
// after another) against Spillway's apply, all measured in this run on the sandbox with
// time-scaled operation latencies. Prints ratios; asserts nothing (timing is not a test).
import { readFileSync } from 'node:fs';
import { applySpec, checkSpec, cloudFromEnv, EMULATOR_TIMING, renderDesiredState } from '@spillway/shared';
import { DEFAULT_GKE_DURATIONS } from '@spillway/sandbox';
import { sandboxProcess } from './sandbox-process.mjs';

const MS_PER_SECOND = 10;
/** Simulated seconds each kind of change takes in the sandbox (its defaults). */
const SECONDS = {
  'serviceusage.service': 5,
  'container.cluster': DEFAULT_GKE_DURATIONS.clusterCreate,
  'container.nodePool': DEFAULT_GKE_DURATIONS.nodePoolCreate,
  'gkehub.membership': 30,
  'gkehub.feature': 30,
  'compute.subnetwork': 10,
  'iam.binding': 0,
  'kubernetes.object': 0,
};
// Polls every simulated second (10 ms), as the first version of this bench did, so figures compare.
const TIMING = { ...EMULATOR_TIMING, pollIntervalMs: 10, initialBackoffMs: 10, maxBackoffMs: 100 };

const example = readFileSync(new URL('../../../examples/food-review.yaml', import.meta.url), 'utf8');

function specWithRegions(n) {
  if (n === 2) return example;
  const regions = Array.from({ length: n }, (_, i) => `bench-region${i + 1}`);
  const clusters = regions
    .map(
      (region, i) => `
    - name: gke-${i + 1}
      location: ${region}-a
      ${i === 0 ? 'configCluster: true' : ''}
      proxySubnet: { cidr: 10.${i * 2}.0.0/23 }
      acceleratorPools:
        - name: h100
          accelerator: { type: nvidia-h100-80gb, count: 2 }
          machineType: a3-highgpu-2g
          nodes: { initial: 1, min: 1, max: 10 }`,
    )
    .join('');
  const service = example
    .split(/^---$/m)[1]
    .replace('regions: [us-east4, europe-west3]', '')
    .replace('preferredRegions: [us-east4]', 'preferredRegions: [bench-region1]');
  return `apiVersion: spillway.dev/v1alpha1
kind: InferencePlatform
metadata: { name: inference-prod }
spec:
  projectId: my-project
  clusters:${clusters}
---${service}`;
}

/**
 * The longest chain of dependent operation times in the graph (wall ms at the sandbox's scale), and
 * every chain that long (one per region: they tie).
 */
function criticalPath(state) {
  const finish = new Map();
  const via = new Map();
  for (const r of state.resources) {
    const before = r.dependsOn.reduce(
      (a, d) => ((finish.get(d) ?? 0) > (finish.get(a) ?? -1) ? d : a),
      undefined,
    );
    via.set(r.id, before);
    finish.set(r.id, (before ? finish.get(before) : 0) + SECONDS[r.type] * MS_PER_SECOND);
  }
  const ms = Math.max(...finish.values());
  const byId = new Map(state.resources.map((r) => [r.id, r]));
  const chains = [...finish]
    .filter(([, f]) => f === ms)
    .map(([last]) => {
      const chain = [];
      for (let id = last; id; id = via.get(id)) chain.unshift(byId.get(id));
      return chain;
    });
  return { ms, chains };
}

/**
 * Where the wall time over the critical path went, from the run's own events: before the first
 * change (claims, reads, the search for what the spec dropped), along the chain (a node started
 * after its dependency was done: scheduling; an operation seen done after its simulated duration:
 * polling and the sandbox's own latency), and after the last node (giving the claims back).
 */
function overhead(chains, marks, totalMs) {
  // The chain that finished last is the one the run waited for.
  const chain = chains.reduce((a, b) => (marks.get(b.at(-1).id).done > marks.get(a.at(-1).id).done ? b : a));
  const firstChange = Math.min(...[...marks.values()].map((m) => m.start ?? Infinity));
  let scheduling = 0;
  let detection = 0;
  let previousDone = firstChange;
  for (const r of chain) {
    const m = marks.get(r.id);
    scheduling += Math.max(0, m.start - previousDone);
    detection += m.done - m.start - SECONDS[r.type] * MS_PER_SECOND;
    previousDone = m.done;
  }
  const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
  return `before the first change ${f(firstChange)}, scheduling on the chain ${f(scheduling)}, operations seen done after their duration ${f(detection)} (${chain.length} on the chain), after the last ${f(totalMs - previousDone)}`;
}

async function timedApply(spec, concurrency, warm = true) {
  const sandbox = await sandboxProcess({ msPerSecond: MS_PER_SECOND });
  const env = { ...sandbox.env, HF_TOKEN: 'hf_bench' };
  const cloud = cloudFromEnv(env);
  try {
    // The GKE client's start (loading its protos, ~0.2 s of CPU) is the process's, not the
    // graph's: a long-lived process (Backstage, the dev harness) pays it once.
    if (warm) await cloud.container().initialize();
    const marks = new Map();
    const start = performance.now();
    const onEvent = (event) => {
      const m = marks.get(event.id) ?? {};
      const at = performance.now() - start;
      if (m.start === undefined && ['creating', 'updating', 'deleting'].includes(event.state)) m.start = at;
      if (event.state === 'done') m.done = at;
      marks.set(event.id, m);
    };
    const report = await applySpec(spec, {
      onEvent,
      cloud,
      env,
      timing: { ...TIMING, concurrency, kubeConcurrency: concurrency === 1 ? 1 : TIMING.kubeConcurrency },
      allowReplace: false,
    });
    const ms = performance.now() - start;
    if (!report.converged)
      throw new Error(
        report.resources
          .filter((r) => r.error)
          .map((r) => r.error)
          .join('; '),
      );
    return { ms, marks };
  } finally {
    await cloud.close();
    await sandbox.close();
  }
}

console.log(
  `apply on the sandbox in its own process (1 simulated second = ${MS_PER_SECOND} ms; cluster ${SECONDS['container.cluster']} s, node pool ${SECONDS['container.nodePool']} s; polls every ${TIMING.pollIntervalMs} ms):`,
);
// A fresh process, as the CLI runs: its first apply loads the clients and compiles the engine's code.
{
  const result = checkSpec([{ file: 'bench-2.yaml', text: specWithRegions(2) }]);
  const state = renderDesiredState(result.spec);
  const { ms: critical } = criticalPath(state);
  const { ms: first } = await timedApply(result.spec, EMULATOR_TIMING.concurrency, false);
  console.log(
    `   2 regions, the first apply of a fresh process (as the CLI runs it): ${(first / 1000).toFixed(2)} s / critical path ${(critical / 1000).toFixed(2)} s = ${(first / critical).toFixed(2)}; then, in the same process:`,
  );
}
for (const n of [2, 5, 10]) {
  const result = checkSpec([{ file: `bench-${n}.yaml`, text: specWithRegions(n) }]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const state = renderDesiredState(result.spec);
  const { ms: critical, chains } = criticalPath(state);
  const { ms: spillway, marks } = await timedApply(result.spec, EMULATOR_TIMING.concurrency);
  let line = `  ${String(n).padStart(2)} regions, ${String(state.resources.length).padStart(4)} resources: apply ${(spillway / 1000).toFixed(2)} s / critical path ${(critical / 1000).toFixed(2)} s = ${(spillway / critical).toFixed(2)}`;
  if (n <= 5) {
    const { ms: manual } = await timedApply(result.spec, 1);
    line += `; the manual order (one step after another) ${(manual / 1000).toFixed(2)} s = ${(manual / spillway).toFixed(1)}× Spillway`;
  }
  console.log(line);
  console.log(`      over the critical path: ${overhead(chains, marks, spillway)}`);
}

// The no-op re-apply, in the same `npm run bench`.
await import('./noop-reapply.bench.mjs');
