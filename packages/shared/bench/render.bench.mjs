// Validate + render at scale: a 50-cluster platform with 10 services, against the 2-cluster example.
// Prints medians measured in this run and their ratio; no thresholds (timing is not a test).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { checkSpec, renderDesiredState, renderFiles } from '../dist/index.js';

const RUNS = 15;

function largeSpec(clusters, services) {
  const cluster = (i) => `
    - name: gke-${i}
      location: bench-region${i}-a
      ${i === 0 ? 'configCluster: true' : ''}
      proxySubnet: { cidr: 10.${(i * 2) % 256}.${Math.floor((i * 2) / 256) * 2}.0/23 }
      acceleratorPools:
        - name: h100
          accelerator: { type: nvidia-h100-80gb, count: 8 }
          machineType: a3-highgpu-8g
          nodes: { initial: 1, min: 0, max: 20 }`;
  const service = (j) => `---
apiVersion: spillway.dev/v1alpha1
kind: InferenceService
metadata: { name: svc-${j}, namespace: team-${j % 3} }
spec:
  platform: bench
  model:
    id: meta-llama/Llama-3.1-8B-Instruct
    huggingFaceToken: { fromEnv: HF_TOKEN, secretName: hf-token-${j} }
  pool: { name: pool-${j} }
  objectives: [{ name: objective-${j}, priority: 1 }]
  gateway: { name: gateway-${j} }
  balancing: { preferredRegions: [bench-region${j}] }
`;
  return `apiVersion: spillway.dev/v1alpha1
kind: InferencePlatform
metadata: { name: bench }
spec:
  projectId: bench-project
  clusters:${Array.from({ length: clusters }, (_, i) => cluster(i)).join('')}
${Array.from({ length: services }, (_, j) => service(j)).join('')}`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Medians of: checking the spec, rendering the desired state, and writing it out as files (YAML). */
function measure(text) {
  const check = [];
  const render = [];
  const files = [];
  let resources = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const result = checkSpec([{ file: 'bench.yaml', text }]);
    if (!result.ok) throw new Error(JSON.stringify(result.issues.slice(0, 3)));
    const t1 = performance.now();
    const state = renderDesiredState(result.spec);
    const t2 = performance.now();
    renderFiles(result.spec, state);
    const t3 = performance.now();
    check.push(t1 - t0);
    render.push(t2 - t1);
    files.push(t3 - t2);
    resources = state.resources.length;
  }
  const [c, r, f] = [median(check), median(render), median(files)];
  return { check: c, render: r, files: f, median: c + r, resources };
}

const example = readFileSync(new URL('../../../examples/food-review.yaml', import.meta.url), 'utf8');
const small = measure(example);
const large = measure(largeSpec(50, 10));
const row = (name, m) =>
  `  ${name.padEnd(34)} validate ${m.check.toFixed(1)} ms + render ${m.render.toFixed(1)} ms = ${m.median.toFixed(1)} ms` +
  ` (${m.resources} resources; writing them as YAML files: ${m.files.toFixed(1)} ms)`;
console.log(`validate + render, medians of ${RUNS} runs in one process:`);
console.log(row('example (2 clusters, 1 service)', small));
console.log(row('50 clusters, 10 services', large));
console.log(
  `  ratio large / example:                ${(large.median / small.median).toFixed(1)}x for ${(large.resources / small.resources).toFixed(1)}x the resources`,
);
console.log(
  `  per resource (large):                 ${((large.median * 1000) / large.resources).toFixed(1)} µs`,
);
