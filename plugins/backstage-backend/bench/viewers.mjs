// The viewers of the health route, in a thread of their own: their HTTP client's work (undici,
// parsing answers) runs beside the backend, not on its event loop, as browsers would. Each message
// from the bench is one job; each answer is its latencies in milliseconds. node:http with a
// keep-alive agent rather than fetch: undici's per-request work cost more CPU than the route's.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Buffer } from 'node:buffer';
import { Agent, get } from 'node:http';

const { url, headers } = workerData;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const agent = new Agent({ keepAlive: true, maxSockets: 200 });

function view() {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`the route answered ${res.statusCode}: ${text}`));
        JSON.parse(text);
        resolve(performance.now() - start);
      });
      res.on('error', reject);
    }).on('error', reject);
  });
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
