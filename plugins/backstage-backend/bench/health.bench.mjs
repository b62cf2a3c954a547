// The health route under viewers: a real Backstage backend (startTestBackend) with Spillway's
// plugin reading a sandbox fleet (the example applied, 1 ms per simulated second). Latency at 1
// and at 100 concurrent viewers of one entity, and upstream reads per cache period. Prints what
// this run measured; no thresholds (timing is not a test). The sandbox runs in a process of its
// own and the viewers in a thread of their own, so neither the simulated fleet nor the viewers'
// HTTP client shares the backend's event loop; the backend is what is timed.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createServiceFactory } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { applySpec, checkSpec, cloudFromEnv, EMULATOR_TIMING } from '@spillway/shared';
import spillwayBackend, { cloudHealthReader, healthReaderServiceRef } from '../dist/index.js';
import { fork } from 'node:child_process';
import { once } from 'node:events';

const TTL_SECONDS = 5;
const VIEWERS = 100;
const example = readFileSync(new URL('../../../examples/food-review.yaml', import.meta.url), 'utf8');
const [platformText] = example.split(/^---\n/m);
const entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'food-review',
    namespace: 'default',
    annotations: { 'spillway.dev/service': 'default/food-review', 'spillway.dev/platform': 'inference-prod' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'group:default/ml' },
};

// The sandbox's simulated fleet keeps a core busy; it is paused (SIGSTOP) while the warm-cache
// bursts run, which read nothing upstream (counted below), so the route is what is timed.
const sandbox = fork(new URL('./sandbox-child.mjs', import.meta.url), [JSON.stringify({ msPerSecond: 1 })]);
const [sandboxEnv] = await once(sandbox, 'message');
const pauseSandbox = () => sandbox.kill('SIGSTOP');
const resumeSandbox = () => sandbox.kill('SIGCONT');
const env = { ...sandboxEnv, HF_TOKEN: 'hf_bench_token' };
const cloud = cloudFromEnv(env);
const checked = checkSpec([{ file: 'food-review.yaml', text: example }]);
if (!checked.ok) throw new Error('the example is invalid');
const timing = { ...EMULATOR_TIMING, pollIntervalMs: 10, initialBackoffMs: 10, maxBackoffMs: 100 };
const applied = await applySpec(checked.spec, { cloud, timing, env, allowReplace: false });
if (!applied.converged) throw new Error('the example did not converge on the sandbox');
const platformFile = join(await mkdtemp(join(tmpdir(), 'spillway-bench-')), 'platform.yaml');
await writeFile(platformFile, platformText);

let upstreamReads = 0;
const realReader = cloudHealthReader(env);
const backend = await startTestBackend({
  features: [
    spillwayBackend,
    catalogServiceMock.factory({ entities: [entity] }),
    mockServices.rootConfig.factory({
      data: {
        spillway: {
          platforms: [{ name: 'inference-prod', projectId: 'my-project', specFile: platformFile }],
          cache: { ttlSeconds: TTL_SECONDS },
        },
      },
    }),
    createServiceFactory({
      service: healthReaderServiceRef,
      deps: {},
      factory:
        () =>
        (...args) => {
          upstreamReads++;
          return realReader(...args);
        },
    }),
  ],
});
const url = `http://127.0.0.1:${backend.server.port()}/api/spillway/health/default/component/food-review`;
const headers = { authorization: mockCredentials.user.header() };

const viewers = new Worker(new URL('./viewers.mjs', import.meta.url), { workerData: { url, headers } });
/** Latencies of `viewers` requests at once, or of each refreshing every `everyMs` for `forMs`. */
function views(job) {
  return new Promise((resolve, reject) => {
    viewers.once('message', (answer) => (answer.error ? reject(new Error(answer.error)) : resolve(answer)));
    viewers.postMessage(job);
  });
}
const view = async () => (await views({ viewers: 1 }))[0];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const expire = () => sleep(TTL_SECONDS * 1000 + 100);

// A long-running backend has compiled its hot paths: 10 bursts first, not counted.
await view(); // the one read these bursts are served from
pauseSandbox();
for (let i = 0; i < 10; i++) await views({ viewers: VIEWERS });
resumeSandbox();

// One viewer: a cold read (cache expired) and a cached one, several times each.
const cold1 = [];
const warm1 = [];
for (let i = 0; i < 5; i++) {
  await expire();
  cold1.push(await view());
  for (let j = 0; j < 10; j++) warm1.push(await view());
}
// 100 viewers arriving at once on an expired cache, then again on a warm one.
const cold100 = [];
const warm100 = [];
let burstReads = 0;
for (let i = 0; i < 3; i++) {
  await expire();
  const before = upstreamReads;
  cold100.push(...(await views({ viewers: VIEWERS })));
  burstReads += upstreamReads - before;
  const beforeWarm = upstreamReads;
  pauseSandbox();
  for (let j = 0; j < 5; j++) warm100.push(...(await views({ viewers: VIEWERS })));
  resumeSandbox();
  if (upstreamReads !== beforeWarm)
    throw new Error('a warm-cache burst read upstream: the cache expired mid-burst');
}
// 100 viewers each refreshing every 100 ms for 5 cache periods.
await expire();
const before = upstreamReads;
const periods = 5;
const views100 = (await views({ viewers: VIEWERS, everyMs: 100, forMs: periods * TTL_SECONDS * 1000 }))
  .length;
const sustainedReads = upstreamReads - before;

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(
  `health route, 1 viewer: ${ms(median(cold1))} uncached, ${ms(median(warm1))} cached (median of ${cold1.length} and ${warm1.length} requests); cached/uncached = ${(median(warm1) / median(cold1)).toFixed(3)}`,
);
console.log(
  `health route, ${VIEWERS} concurrent viewers on an expired cache: median ${ms(median(cold100))}, p95 ${ms(p95(cold100))} = ${(median(cold100) / median(cold1)).toFixed(2)}× one uncached viewer; upstream reads per burst: ${(burstReads / 3).toFixed(1)} (3 bursts)`,
);
console.log(
  `health route, ${VIEWERS} concurrent viewers on a warm cache: median ${ms(median(warm100))}, p95 ${ms(p95(warm100))} = ${(median(warm100) / median(warm1)).toFixed(1)}× one cached viewer`,
);
console.log(
  `health route, ${VIEWERS} viewers refreshing every 100 ms for ${periods} cache periods of ${TTL_SECONDS} s: ${views100} requests, ${sustainedReads} upstream reads = ${(sustainedReads / periods).toFixed(1)} per cache period (target 1)`,
);

await viewers.terminate();
await backend.stop();
await cloud.close();
sandbox.disconnect();
