import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock } from '../src/clock.js';
import { percentile, runLoad } from '../src/dataplane/load.js';

describe('runLoad, the bounded load generator', () => {
  let server: Server;
  let url: string;
  let open = 0;
  let maxOpen = 0;
  let count = 0;
  const hung: ServerResponse[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/hang') return void hung.push(res);
      const n = ++count;
      open++;
      maxOpen = Math.max(maxOpen, open);
      req.resume();
      setTimeout(() => {
        open--;
        res.writeHead(n % 4 === 0 ? 500 : 200, { 'x-region': n % 2 ? 'odd' : 'even' }).end('{}');
      }, 5);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends exactly the requested number, never more than `concurrency` at once, and counts answers', async () => {
    count = 0;
    maxOpen = 0;
    const result = await runLoad({
      url: `${url}/x`,
      concurrency: 5,
      requests: 40,
      timeoutSeconds: 10,
      body: { a: 1 },
      countByHeader: 'x-region',
    });
    expect(count).toBe(40);
    expect(maxOpen).toBeLessThanOrEqual(5);
    expect(result).toMatchObject({ ok: 30, failed: 10, statuses: { '200': 30, '500': 10 }, timedOut: false });
    expect(result.latenciesMs).toHaveLength(30);
    expect(result.byHeader.odd).toBe(20);
    expect(result.byHeader.even).toBe(10);
  });

  it('stops at the deadline: open requests are aborted, the rest never sent, all counted as failed', async () => {
    const result = await runLoad({ url: `${url}/hang`, concurrency: 3, requests: 10, timeoutSeconds: 0.2 });
    expect(result).toMatchObject({
      ok: 0,
      failed: 10,
      timedOut: true,
      statuses: { aborted: 3, 'not sent': 7 },
    });
    expect(result.elapsedMs).toBeLessThan(5000);
    for (const res of hung.splice(0)) res.destroy();
  });

  it('given the sandbox clock, keeps its deadline in simulated seconds, a pause of the process not counted', async () => {
    const t0 = performance.now();
    const running = runLoad({
      url: `${url}/hang`,
      concurrency: 1,
      requests: 1,
      timeoutSeconds: 10, // 100 ms at 10 ms per simulated second
      clock: new Clock(10),
    });
    await new Promise((r) => setTimeout(r, 10));
    const until = performance.now() + 200;
    while (performance.now() < until); // the whole process stops for 200 ms
    const result = await running;
    expect(result).toMatchObject({ ok: 0, failed: 1, timedOut: true, statuses: { aborted: 1 } });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    for (const res of hung.splice(0)) res.destroy();
  });

  it('talks to loopback addresses only, within its limits', async () => {
    await expect(
      runLoad({ url: 'http://10.0.0.1/v1/completions', concurrency: 1, requests: 1, timeoutSeconds: 1 }),
    ).rejects.toThrow(/loopback addresses only/);
    await expect(
      runLoad({ url: 'https://127.0.0.1/', concurrency: 1, requests: 1, timeoutSeconds: 1 }),
    ).rejects.toThrow(/only http/);
    await expect(runLoad({ url, concurrency: 0, requests: 1, timeoutSeconds: 1 })).rejects.toThrow(
      /concurrency must be between 1 and 1000/,
    );
    await expect(runLoad({ url, concurrency: 1, requests: 1e9, timeoutSeconds: 1 })).rejects.toThrow(
      /requests must be between/,
    );
  });

  it('computes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 100)).toBe(5);
    expect(percentile([5, 1, 3, 2, 4], 0)).toBe(1);
    expect(percentile([], 99)).toBeNaN();
  });
});
