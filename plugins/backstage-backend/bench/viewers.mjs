// The viewers of the health route, in a thread of their own: their HTTP client's work (undici,
// parsing answers) runs beside the backend, not on its event loop, as browsers would. Each message
// from the bench is one job; each answer is its latencies in milliseconds.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';

const { url, headers } = workerData;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function view() {
  const start = performance.now();
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`the route answered ${res.status}: ${await res.text()}`);
  await res.json();
  return performance.now() - start;
}

/** `{ viewers }`: that many at once; `{ viewers, everyMs, forMs }`: each refreshing until the time is up. */
parentPort.on('message', async ({ viewers, everyMs, forMs }) => {
  try {
    if (!forMs) return parentPort.postMessage(await Promise.all(Array.from({ length: viewers }, view)));
    const until = performance.now() + forMs;
    const latencies = [];
    await Promise.all(
      Array.from({ length: viewers }, async () => {
        while (performance.now() < until) {
          latencies.push(await view());
          await sleep(everyMs);
        }
      }),
    );
    parentPort.postMessage(latencies);
  } catch (error) {
    parentPort.postMessage({ error: error.message });
  }
});
