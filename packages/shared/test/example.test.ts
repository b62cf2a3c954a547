import { describe, expect, it } from '@jest/globals';
import { exampleSpec } from './helpers.js';

describe('the example spec', () => {
  it('is valid and resolves regions, metric and pool', () => {
    const spec = exampleSpec();
    expect(spec.platforms).toHaveLength(1);
    const service = spec.services[0]!;
    expect(service.regions).toEqual(['europe-west3', 'us-east4']);
    expect(service.model.kvCacheMetric).toBe('vllm:kv_cache_usage_perc');
    expect(service.model.exportName).toBe('kv-cache');
    expect(service.platform.configCluster.name).toBe('gke-west');
  });
});
