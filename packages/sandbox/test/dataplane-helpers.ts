/** Helpers for the data-plane tests: condition waits with a deadline, not sleeps with a hope. */
import { parsePrometheus, sampleValue } from '../src/dataplane/metrics.js';

export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function metricsOf(url: string): Promise<Record<string, number | undefined>> {
  const res = await fetch(`${url}/metrics`);
  const samples = parsePrometheus(await res.text());
  const names = [
    'vllm:kv_cache_usage_perc',
    'vllm:gpu_cache_usage_perc',
    'vllm:num_requests_running',
    'vllm:num_requests_waiting',
  ];
  return Object.fromEntries(names.map((n) => [n, sampleValue(samples, n)]));
}

/** Fails with `message` (which carries the counts) when `condition` is false. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export const completion = (model = 'food-review-1', maxTokens = 10) => ({
  model,
  prompt: 'What is the best pizza in the world?',
  max_tokens: maxTokens,
  temperature: 0,
});
