import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Clock } from '../src/clock.js';
import { startModelServer, type ModelServer } from '../src/dataplane/model-server.js';
import { parsePrometheus } from '../src/dataplane/metrics.js';
import { completion, metricsOf, waitFor } from './dataplane-helpers.js';

const BASE = 'meta-llama/Llama-3.1-8B-Instruct';
const post = (url: string, body: object, signal?: AbortSignal) =>
  fetch(`${url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

describe('simulated vLLM model server', () => {
  const clock = new Clock(10);
  let fast: ModelServer; // short requests
  let slow: ModelServer; // requests long enough to observe while they run (1 s wall)
  let old: ModelServer; // a vLLM before v0.10.2

  beforeAll(async () => {
    fast = await startModelServer({
      modelId: BASE,
      loraAdapters: ['food-review-1'],
      kvCacheMetric: 'vllm:kv_cache_usage_perc',
      secondsPerRequest: 1,
      clock,
    });
    slow = await startModelServer({
      modelId: BASE,
      kvCacheMetric: 'vllm:kv_cache_usage_perc',
      capacity: 4,
      secondsPerRequest: 100,
      clock,
    });
    old = await startModelServer({ modelId: BASE, kvCacheMetric: 'vllm:gpu_cache_usage_perc', clock });
  });
  afterAll(async () => {
    await Promise.all([fast?.close(), slow?.close(), old?.close()]);
  });

  it('answers a completion in the OpenAI text_completion shape, for a LoRA adapter and the base model', async () => {
    const res = await post(fast.url, completion('food-review-1', 100));
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      object: 'text_completion',
      model: 'food-review-1',
      choices: [{ index: 0, logprobs: null, finish_reason: 'length' }],
      usage: { completion_tokens: 100 },
    });
    expect(body.id).toMatch(/^cmpl-[0-9a-f]+$/);
    expect(typeof body.created).toBe('number');
    expect(typeof body.choices[0].text).toBe('string');
    expect(body.choices[0].text.length).toBeGreaterThan(0);
    expect(body.usage.prompt_tokens).toBeGreaterThan(0);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 100);

    const base = (await (await post(fast.url, completion(BASE, 5))).json()) as any;
    expect(base.model).toBe(BASE);
    expect(base.usage.completion_tokens).toBe(5);
    expect(fast.served()).toBe(2);
  });

  it('answers 404 in the OpenAI error shape for a model it does not serve', async () => {
    const res = await post(fast.url, completion('food-review-2'));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        message: 'The model `food-review-2` does not exist.',
        type: 'NotFoundError',
        param: 'model',
        code: 404,
      },
    });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await fetch(`${fast.url}/v1/completions`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.type).toBe('BadRequestError');
  });

  it('lists its models', async () => {
    const body = (await (await fetch(`${fast.url}/v1/models`)).json()) as any;
    expect(body.data.map((m: any) => m.id)).toEqual([BASE, 'food-review-1']);
  });

  it('serves Prometheus text whose KV-cache gauge follows the requests in flight, and queues beyond capacity', async () => {
    const idle = await metricsOf(slow.url);
    expect(idle).toMatchObject({
      'vllm:kv_cache_usage_perc': 0,
      'vllm:num_requests_running': 0,
      'vllm:num_requests_waiting': 0,
    });
    expect(idle['vllm:gpu_cache_usage_perc']).toBeUndefined();

    const first = [post(slow.url, completion(BASE)), post(slow.url, completion(BASE))];
    await waitFor('2 requests in flight', () => slow.inFlight() === 2);
    expect(await metricsOf(slow.url)).toMatchObject({
      'vllm:kv_cache_usage_perc': 0.5,
      'vllm:num_requests_running': 2,
      'vllm:num_requests_waiting': 0,
    });
    expect(slow.utilization()).toBe(0.5);

    const more = [1, 2, 3].map(() => post(slow.url, completion(BASE)));
    await waitFor('5 requests in flight', () => slow.inFlight() === 5);
    // capacity 4: the gauge is capped at 1 and the fifth request waits
    expect(await metricsOf(slow.url)).toMatchObject({
      'vllm:kv_cache_usage_perc': 1,
      'vllm:num_requests_running': 4,
      'vllm:num_requests_waiting': 1,
    });

    const statuses = (await Promise.all([...first, ...more])).map((r) => r.status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(await metricsOf(slow.url)).toMatchObject({
      'vllm:kv_cache_usage_perc': 0,
      'vllm:num_requests_running': 0,
      'vllm:num_requests_waiting': 0,
    });
    expect(slow.served()).toBe(5);
    expect(slow.peakInFlight()).toBe(5);
  });

  it('frees the KV cache when a client goes away', async () => {
    const abort = new AbortController();
    const pending = post(slow.url, completion(BASE), abort.signal).catch(() => 'aborted');
    await waitFor('1 request in flight', () => slow.inFlight() === 1);
    abort.abort();
    expect(await pending).toBe('aborted');
    await waitFor('the aborted request to leave', () => slow.inFlight() === 0);
    expect(slow.utilization()).toBe(0);
  });

  it('writes every sample with HELP and TYPE lines', async () => {
    const text = await (await fetch(`${fast.url}/metrics`)).text();
    expect(text).toContain('# TYPE vllm:kv_cache_usage_perc gauge');
    expect(text).toContain(`vllm:kv_cache_usage_perc{model_name="${BASE}"} 0.0`);
    const names = new Set(parsePrometheus(text).map((s) => s.name));
    for (const name of names) expect(text).toContain(`# TYPE ${name} `);
  });

  it('uses the old metric name when configured as a vLLM before v0.10.2', async () => {
    const metrics = await metricsOf(old.url);
    expect(metrics['vllm:gpu_cache_usage_perc']).toBe(0);
    expect(metrics['vllm:kv_cache_usage_perc']).toBeUndefined();
  });

  it('answers /health with 200, and 503 while made unhealthy', async () => {
    expect((await fetch(`${fast.url}/health`)).status).toBe(200);
    fast.setHealthy(false);
    expect((await fetch(`${fast.url}/health`)).status).toBe(503);
    fast.setHealthy(true);
    expect((await fetch(`${fast.url}/health`)).status).toBe(200);
  });
});
