import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sample } from '../src/google/index.js';
import { startHarness, type Harness } from './google-helpers.js';

const QUERY = '/v1/projects/my-project/location/global/prometheus/api/v1/query';
const NOW = 1_760_000_000;

const series: Record<string, Sample[]> = {
  'vllm:kv_cache_usage_perc': [
    { labels: { cluster: 'gke-east', location: 'us-east4', pod: 'vllm-a' }, value: 0.42 },
    { labels: { cluster: 'gke-east', location: 'us-east4', pod: 'vllm-b' }, value: 0.62 },
    { labels: { cluster: 'gke-west', location: 'europe-west3', pod: 'vllm-c' }, value: 0.1 },
    {
      labels: { cluster: 'gke-west', location: 'europe-west3', pod: 'vllm-old' },
      value: 0.9,
      timestamp: NOW - 600,
    },
  ],
};
const asked: { metric: string; project: string }[] = [];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.apis.monitoring.setSource((metric, project) => {
    asked.push({ metric, project });
    return series[metric] ?? [];
  });
});
afterAll(() => h.apis.close());

const query = (q: string, time: number | string = NOW) =>
  h.call('monitoring', 'GET', `${QUERY}?query=${encodeURIComponent(q)}&time=${time}`);
const byCluster = (result: any[]) => Object.fromEntries(result.map((r) => [r.metric.cluster, r.value]));

describe('Prometheus query API', () => {
  it('selects series by label, in the Prometheus response shape', async () => {
    const res = await query('vllm:kv_cache_usage_perc{cluster="gke-east"}');
    expect(res.status).toBe(200);
    expect(res.data).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [
          {
            metric: {
              __name__: 'vllm:kv_cache_usage_perc',
              cluster: 'gke-east',
              location: 'us-east4',
              pod: 'vllm-a',
            },
            value: [NOW, '0.42'],
          },
          {
            metric: {
              __name__: 'vllm:kv_cache_usage_perc',
              cluster: 'gke-east',
              location: 'us-east4',
              pod: 'vllm-b',
            },
            value: [NOW, '0.62'],
          },
        ],
      },
    });
    expect(asked).toContainEqual({ metric: 'vllm:kv_cache_usage_perc', project: 'my-project' });
  });

  it('averages by cluster, leaving out samples older than the lookback', async () => {
    const res = await query('avg by (cluster) (vllm:kv_cache_usage_perc)');
    expect(byCluster(res.data.data.result)).toEqual({ 'gke-east': [NOW, '0.52'], 'gke-west': [NOW, '0.1'] });
    const max = await query('max(vllm:kv_cache_usage_perc{pod=~"vllm-[ab]"}) by (cluster)');
    expect(byCluster(max.data.data.result)).toEqual({ 'gke-east': [NOW, '0.62'] });
    const count = await query(
      'count without (pod) ({__name__="vllm:kv_cache_usage_perc", cluster!="gke-east"})',
    );
    expect(count.data.data.result).toEqual([
      { metric: { cluster: 'gke-west', location: 'europe-west3' }, value: [NOW, '1'] },
    ]);
  });

  it('accepts POST with a JSON body and RFC 3339 times', async () => {
    const res = await h.call('monitoring', 'POST', QUERY, {
      query: 'sum(vllm:kv_cache_usage_perc)',
      time: new Date(NOW * 1000).toISOString(),
    });
    expect(res.data.data.result).toEqual([{ metric: {}, value: [NOW, String(0.42 + 0.62 + 0.1)] }]);
  });

  it('takes a form-encoded POST, as Prometheus clients send it', async () => {
    const res = await fetch(h.url('monitoring', QUERY), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: 'sum(vllm:kv_cache_usage_perc)', time: String(NOW) }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.result).toEqual([
      { metric: {}, value: [NOW, String(0.42 + 0.62 + 0.1)] },
    ]);
  });

  it('answers an unsupported query with 400 bad_data', async () => {
    const res = await query('rate(vllm:kv_cache_usage_perc[5m])');
    expect(res.status).toBe(400);
    expect(res.data).toEqual({
      status: 'error',
      errorType: 'bad_data',
      error: expect.stringMatching(/^invalid parameter "query": parse error/),
    });
    expect((await query('vllm:kv_cache_usage_perc', 'yesterday')).status).toBe(400);
  });
});
