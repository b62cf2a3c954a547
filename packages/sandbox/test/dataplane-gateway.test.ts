import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Clock } from '../src/clock.js';
import { BACKEND_REGION_HEADER, startGateway, type Gateway } from '../src/dataplane/gateway.js';
import { runLoad } from '../src/dataplane/load.js';
import {
  startModelServer,
  type ModelServer,
  type ModelServerOptions,
} from '../src/dataplane/model-server.js';
import { check, completion, waitFor } from './dataplane-helpers.js';

// One simulated second is 10 ms. A request takes 5 s (50 ms); a replica holds 10 sequences, so
// at the 80% threshold a replica takes 8 requests before the gateway looks elsewhere.
const clock = new Clock(10);
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const US = 'us-east4';
const EU = 'europe-west3';
const CAPACITY = 10;
const slowTimeouts = { timeoutSeconds: 1000, queueTimeoutSeconds: 1000 }; // 10 s wall: never the reason a test fails

interface Replica {
  region: string;
  server: ModelServer;
}

async function startReplicas(perRegion: Record<string, number>): Promise<Replica[]> {
  const replicas: Replica[] = [];
  for (const [region, count] of Object.entries(perRegion)) {
    for (let i = 0; i < count; i++) {
      const server = await startModelServer({
        modelId: MODEL,
        loraAdapters: ['food-review-1'],
        kvCacheMetric: 'vllm:kv_cache_usage_perc',
        capacity: CAPACITY,
        secondsPerRequest: 5,
        clock,
      });
      replicas.push({ region, server });
    }
  }
  return replicas;
}

const listOf = (replicas: Replica[]) => () => replicas.map((r) => ({ region: r.region, url: r.server.url }));
const servedIn = (replicas: Replica[], region: string) =>
  replicas.filter((r) => r.region === region).reduce((n, r) => n + r.server.served(), 0);
const load = (url: string, concurrency: number, requests: number, extra: object = {}) =>
  runLoad({
    url: `${url}/v1/completions`,
    concurrency,
    requests,
    timeoutSeconds: 20,
    body: completion(),
    headers: { 'x-gateway-inference-objective': 'food-review' },
    countByHeader: BACKEND_REGION_HEADER,
    ...extra,
  });

describe('gateway, CUSTOM_METRICS, us-east4 preferred, spill at 80%', () => {
  let replicas: Replica[] = [];
  let gateway: Gateway;
  let us: Replica[];

  beforeAll(async () => {
    replicas = await startReplicas({ [US]: 2, [EU]: 2 });
    us = replicas.filter((r) => r.region === US);
    gateway = await startGateway({
      regions: [{ region: EU }, { region: US }],
      policy: { mode: 'CUSTOM_METRICS', maxUtilizationPercent: 80, preferredRegions: [US] },
      backends: listOf(replicas),
      healthCheckIntervalSeconds: 1,
      metricsIntervalSeconds: 2,
      ...slowTimeouts,
      clock,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all(replicas.map((r) => r.server.close()));
  });
  beforeEach(() => {
    gateway.resetStats();
    replicas.forEach((r) => r.server.resetStats());
  });

  it('keeps every request in us-east4 under a load below its threshold (10 concurrent < 2 x 8)', async () => {
    const result = await load(gateway.addresses()[US]!, 10, 100);
    expect(result).toMatchObject({ ok: 100, failed: 0, byHeader: { [US]: 100 } });
    expect(gateway.stats()).toMatchObject({
      byRegion: { [US]: { served: 100, inFlight: 0 }, [EU]: { served: 0, inFlight: 0 } },
      rejected: 0,
    });
    expect(servedIn(replicas, US)).toBe(100);
    expect(servedIn(replicas, EU)).toBe(0);
    // both preferred replicas share the load
    for (const r of us) expect(r.server.served()).toBeGreaterThanOrEqual(20);
  });

  it('spills to europe-west3 under a load well above the threshold (30 concurrent), after filling us-east4', async () => {
    const result = await load(gateway.addresses()[US]!, 30, 300, { rampSeconds: 0.3 });
    const { byRegion, rejected } = gateway.stats();
    const usServed = byRegion[US]!.served;
    const euServed = byRegion[EU]!.served;
    const counts = `us-east4 served ${usServed}, europe-west3 served ${euServed}, us-east4 peaks ${us.map((r) => r.server.peakInFlight())}`;
    expect(result.ok).toBe(300);
    expect(rejected).toBe(0);
    expect(usServed + euServed).toBe(300);
    // us-east4 holds about 16 of the 30 in flight, europe-west3 the other 14
    check(euServed >= 0.25 * 300, `spillover too small: ${counts}`);
    check(usServed >= 0.4 * 300, `preferred region under-used: ${counts}`);
    // each us-east4 replica was filled up to the threshold (8 sequences) but its KV cache never overflowed
    for (const r of us)
      check(
        r.server.peakInFlight() >= 7 && r.server.peakInFlight() <= CAPACITY,
        `us-east4 replica peak out of [7, ${CAPACITY}]: ${counts}`,
      );
    expect(result.byHeader).toEqual({ [US]: usServed, [EU]: euServed });
  });

  it('routes the same from every region address', async () => {
    for (const [region, url] of Object.entries(gateway.addresses())) {
      gateway.resetStats();
      const result = await load(url, 4, 20);
      expect({ region, ok: result.ok, stats: gateway.stats() }).toMatchObject({
        region,
        ok: 20,
        stats: { byRegion: { [US]: { served: 20 }, [EU]: { served: 0 } }, byListener: { [region]: 20 } },
      });
    }
    expect(Object.keys(gateway.addresses()).sort()).toEqual([EU, US]);
  });

  it('takes an unhealthy preferred backend out, sends its traffic elsewhere, and brings it back when it recovers', async () => {
    const [sick, well] = us as [Replica, Replica];
    const status = (r: Replica) => gateway.backendStatus().find((b) => b.url === r.server.url)!;

    sick.server.setHealthy(false);
    await waitFor('the gateway to take the sick replica out', () => !status(sick).healthy);
    sick.server.resetStats();
    gateway.resetStats();
    const one = await load(gateway.addresses()[EU]!, 4, 40);
    expect(one.ok).toBe(40);
    expect(sick.server.served()).toBe(0);
    expect(well.server.served()).toBe(40);

    // the whole preferred region down: everything goes to europe-west3
    well.server.setHealthy(false);
    await waitFor('the gateway to take both us-east4 replicas out', () => !status(well).healthy);
    gateway.resetStats();
    const none = await load(gateway.addresses()[US]!, 4, 40);
    expect({ ok: none.ok, byRegion: gateway.stats().byRegion }).toMatchObject({
      ok: 40,
      byRegion: { [US]: { served: 0 }, [EU]: { served: 40 } },
    });

    sick.server.setHealthy(true);
    well.server.setHealthy(true);
    await waitFor('the gateway to bring both back', () => status(sick).healthy && status(well).healthy);
    replicas.forEach((r) => r.server.resetStats());
    gateway.resetStats();
    const back = await load(gateway.addresses()[US]!, 4, 40);
    expect(back.ok).toBe(40);
    expect(servedIn(replicas, US)).toBe(40);
    expect(sick.server.served()).toBeGreaterThan(0);
  });
});

describe('gateway, IN_FLIGHT, 3 requests per endpoint, us-east4 preferred', () => {
  let replicas: Replica[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    replicas = await startReplicas({ [US]: 2, [EU]: 2 });
    gateway = await startGateway({
      regions: [{ region: US }, { region: EU }],
      policy: { mode: 'IN_FLIGHT', maxInFlightRequestsPerEndpoint: 3, preferredRegions: [US] },
      backends: listOf(replicas),
      healthCheckIntervalSeconds: 1,
      ...slowTimeouts,
      clock,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await Promise.all(replicas.map((r) => r.server.close()));
  });
  beforeEach(() => {
    gateway.resetStats();
    replicas.forEach((r) => r.server.resetStats());
  });

  it('keeps a load within the preferred endpoints’ limits (4 concurrent < 2 x 3) in us-east4', async () => {
    const result = await load(gateway.addresses()[EU]!, 4, 40);
    expect(result.ok).toBe(40);
    expect(gateway.stats().byRegion).toMatchObject({ [US]: { served: 40 }, [EU]: { served: 0 } });
  });

  it('never has more than 3 requests on an endpoint, fills us-east4 first and spills the rest (20 concurrent)', async () => {
    const result = await load(gateway.addresses()[US]!, 20, 200);
    const peaks = replicas.map((r) => `${r.region}:${r.server.peakInFlight()}`).join(' ');
    const { byRegion, rejected } = gateway.stats();
    const counts = `us-east4 ${byRegion[US]!.served}, europe-west3 ${byRegion[EU]!.served}, peaks ${peaks}`;
    expect(result.ok).toBe(200);
    expect(rejected).toBe(0);
    for (const r of replicas)
      check(r.server.peakInFlight() <= 3, `an endpoint went over its limit: ${counts}`);
    for (const r of replicas.filter((r) => r.region === US))
      check(r.server.peakInFlight() === 3, `us-east4 not filled: ${counts}`);
    // 12 slots for 20 clients: each region holds 6, so each serves about half
    check(
      byRegion[EU]!.served >= 0.3 * 200 && byRegion[US]!.served >= 0.3 * 200,
      `unexpected split: ${counts}`,
    );
  });
});

describe('gateway, forwarding and failures', () => {
  let echo: Server;
  let echoUrl: string;
  let seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string } = {
    headers: {},
    body: '',
  };
  let replica: ModelServer;
  let gone: ModelServer;
  const backends: { region: string; url: string }[] = [];
  let gateway: Gateway;
  let empty: Gateway;

  beforeAll(async () => {
    echo = createServer((req, res) => {
      if (req.url === '/health') return void res.end('ok');
      if (req.url === '/metrics') return void res.end('vllm:kv_cache_usage_perc 0\n');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = {
          method: req.method,
          url: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        res.writeHead(201, { 'x-echo': 'yes', 'content-type': 'application/json' }).end('{"echoed":true}');
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const options: ModelServerOptions = {
      modelId: MODEL,
      loraAdapters: ['food-review-1'],
      kvCacheMetric: 'vllm:kv_cache_usage_perc',
      secondsPerRequest: 1,
      clock,
    };
    replica = await startModelServer(options);
    gone = await startModelServer(options);
    gateway = await startGateway({
      regions: [{ region: US }],
      policy: { mode: 'CUSTOM_METRICS', maxUtilizationPercent: 80, preferredRegions: [US] },
      backends: () => backends,
      healthCheckIntervalSeconds: 1000, // only passive health in these tests
      ...slowTimeouts,
      clock,
    });
    empty = await startGateway({
      regions: [{ region: US }],
      policy: { mode: 'IN_FLIGHT', maxInFlightRequestsPerEndpoint: 1, preferredRegions: [] },
      backends: () => [],
      clock,
    });
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), empty?.close(), replica?.close(), gone?.close()]);
    await new Promise((r) => echo?.close(r));
  });

  it('forwards method, path, query, headers (x-gateway-inference-objective) and body, and pipes the answer back', async () => {
    backends.splice(0, backends.length, { region: EU, url: echoUrl });
    const body = JSON.stringify(completion());
    const res = await fetch(`${gateway.addresses()[US]}/v1/completions?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gateway-inference-objective': 'food-review' },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(res.headers.get(BACKEND_REGION_HEADER)).toBe(EU);
    expect(await res.json()).toEqual({ echoed: true });
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/v1/completions?x=1',
      body,
      headers: { 'x-gateway-inference-objective': 'food-review', 'content-type': 'application/json' },
    });
  });

  it('re-reads the backends on each request: a new replica serves, a vanished one is skipped', async () => {
    backends.splice(0, backends.length, { region: US, url: replica.url });
    const first = await load(gateway.addresses()[US]!, 2, 10);
    expect(first.ok).toBe(10);
    expect(replica.served()).toBe(10);

    // a replica listed but no longer listening: the gateway retries elsewhere and takes it out
    const goneUrl = gone.url;
    await gone.close();
    backends.splice(0, backends.length, { region: US, url: goneUrl }, { region: US, url: replica.url });
    const second = await load(gateway.addresses()[US]!, 1, 10);
    expect(second.ok).toBe(10);
    expect(replica.served()).toBe(20);
    expect(gateway.backendStatus().find((b) => b.url === goneUrl)?.healthy).toBe(false);
  });

  it('answers 503 in JSON when there is no backend', async () => {
    const res = await fetch(`${empty.addresses()[US]}/v1/completions`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      error: { code: 503, status: 'UNAVAILABLE', message: 'no healthy upstream' },
    });
    expect(empty.stats().rejected).toBe(1);
  });
});

describe('gateway, timeouts in simulated time, and no region header (as GKE)', () => {
  // A 10 s GCPBackendPolicy timeout is 100 ms here; a request takes 5 s (50 ms), a slow one 30 s.
  let quick: ModelServer;
  let slow: ModelServer;
  const backends: { region: string; url: string }[] = [];
  let gateway: Gateway;

  beforeAll(async () => {
    const options: ModelServerOptions = {
      modelId: MODEL,
      loraAdapters: ['food-review-1'],
      kvCacheMetric: 'vllm:kv_cache_usage_perc',
      secondsPerRequest: 5,
      clock,
    };
    quick = await startModelServer(options);
    slow = await startModelServer({ ...options, secondsPerRequest: 30 });
    gateway = await startGateway({
      regions: [{ region: US }],
      policy: { mode: 'CUSTOM_METRICS', maxUtilizationPercent: 80, preferredRegions: [US] },
      backends: () => backends,
      healthCheckIntervalSeconds: 1000,
      timeoutSeconds: 10,
      regionHeader: false,
      clock,
    });
  });
  afterAll(async () => {
    await Promise.all([gateway?.close(), quick?.close(), slow?.close()]);
  });

  const send = () =>
    fetch(`${gateway.addresses()[US]}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(completion()),
    });

  it('names no region in its answers', async () => {
    backends.splice(0, backends.length, { region: US, url: quick.url });
    const res = await send();
    await res.arrayBuffer();
    expect([res.status, res.headers.get(BACKEND_REGION_HEADER), res.headers.get('via')]).toEqual([
      200,
      null,
      '1.1 google',
    ]);
  });

  it('does not time out a request because the process was paused (300 ms: 30 simulated seconds)', async () => {
    backends.splice(0, backends.length, { region: US, url: quick.url });
    const answer = send();
    await waitFor('the request to reach the model server', () => quick.inFlight() > 0);
    const until = performance.now() + 300;
    while (performance.now() < until);
    const res = await answer;
    await res.arrayBuffer();
    expect(res.status).toBe(200);
  });

  it('still times out a backend slower than the policy, with a 504', async () => {
    backends.splice(0, backends.length, { region: US, url: slow.url });
    const res = await send();
    expect(res.status).toBe(504);
    expect(await res.json()).toEqual({
      error: { code: 504, status: 'DEADLINE_EXCEEDED', message: 'upstream request timeout' },
    });
  });
});
