import { describe, expect, it } from '@jest/globals';
import { formatPrometheus, parsePrometheus, sampleValue } from '../src/dataplane/metrics.js';

describe('Prometheus text format', () => {
  it('writes HELP, TYPE and samples with labels, and reads them back', () => {
    const text = formatPrometheus([
      {
        name: 'vllm:kv_cache_usage_perc',
        help: 'KV-cache usage.',
        type: 'gauge',
        samples: [{ labels: { model_name: 'm' }, value: 0.25 }],
      },
      {
        name: 'vllm:request_success_total',
        help: 'Done.',
        type: 'counter',
        samples: [{ labels: { model_name: 'm', finished_reason: 'length' }, value: 3 }],
      },
    ]);
    expect(text).toBe(
      [
        '# HELP vllm:kv_cache_usage_perc KV-cache usage.',
        '# TYPE vllm:kv_cache_usage_perc gauge',
        'vllm:kv_cache_usage_perc{model_name="m"} 0.25',
        '# HELP vllm:request_success_total Done.',
        '# TYPE vllm:request_success_total counter',
        'vllm:request_success_total{model_name="m",finished_reason="length"} 3.0',
        '',
      ].join('\n'),
    );
    expect(parsePrometheus(text)).toEqual([
      { name: 'vllm:kv_cache_usage_perc', labels: { model_name: 'm' }, value: 0.25 },
      {
        name: 'vllm:request_success_total',
        labels: { model_name: 'm', finished_reason: 'length' },
        value: 3,
      },
    ]);
  });

  it('round-trips escaped label values', () => {
    const value = 'a "quoted" back\\slash\nnewline, {brace}=';
    const text = formatPrometheus([
      { name: 'x', help: 'h', type: 'gauge', samples: [{ labels: { v: value, w: '' }, value: 1 }] },
    ]);
    expect(parsePrometheus(text)).toEqual([{ name: 'x', labels: { v: value, w: '' }, value: 1 }]);
  });

  it('reads samples without labels, with timestamps, and special values', () => {
    const samples = parsePrometheus(
      'up 1\nlatency_seconds{le="+Inf"} +Inf 1700000000000\nratio NaN\n  # a comment\n\nneg -2.5e-1\n',
    );
    expect(samples.map((s) => [s.name, s.value])).toEqual([
      ['up', 1],
      ['latency_seconds', Infinity],
      ['ratio', NaN],
      ['neg', -0.25],
    ]);
    expect(sampleValue(samples, 'neg')).toBe(-0.25);
    expect(sampleValue(samples, 'absent')).toBeUndefined();
  });

  it('rejects malformed lines', () => {
    expect(() => parsePrometheus('novalue')).toThrow(/sample without a value/);
    expect(() => parsePrometheus('x{a="b} 1')).toThrow(/unterminated/);
    expect(() => parsePrometheus('x abc')).toThrow(/not a sample value/);
  });
});
