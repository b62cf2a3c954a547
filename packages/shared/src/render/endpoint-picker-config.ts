import { NEW_KV_METRIC } from '../spec/catalog.js';
import type { Service } from '../spec/model.js';

/**
 * The EndpointPickerConfig v1.5.0's chart writes (epplib `_config.yaml`, vLLM over HTTP, no
 * latency predictor), and where it differs on purpose: the metrics the EPP scrapes are vLLM's
 * built-in engine config (`core-metrics-extractor`, which reads `vllm:kv_cache_usage_perc`) only
 * when the image exports that name. An older vLLM gets an engineConfigs entry named `vllm`, which
 * replaces the built-in one whole, so every spec of it is written out (an empty one disables it).
 * From v1.4 the EPP refuses the metric flags v1.0.1 took, so this is the only place they can go.
 */
export function endpointPickerConfigV1_5_0(service: Service): string {
  const metric = service.model.kvCacheMetric;
  return [
    'apiVersion: inference.networking.x-k8s.io/v1alpha1',
    'kind: EndpointPickerConfig',
    'plugins:',
    '- type: queue-scorer',
    '- type: kv-cache-utilization-scorer',
    '- type: prefix-cache-scorer',
    '- type: metrics-data-source',
    '  parameters:',
    '    scheme: "http"',
    '    path: "/metrics"',
    '    insecureSkipVerify: true',
    '- type: core-metrics-extractor',
    ...(metric === NEW_KV_METRIC ? [] : engineConfigsLines(metric)),
    'schedulingProfiles:',
    '- name: default',
    '  plugins:',
    '  - pluginRef: queue-scorer',
    '    weight: 2',
    '  - pluginRef: kv-cache-utilization-scorer',
    '    weight: 2',
    '  - pluginRef: prefix-cache-scorer',
    '    weight: 3',
    '',
  ].join('\n');
}

function engineConfigsLines(kvUsageSpec: string): string[] {
  const specs = Object.entries(vllmEngineConfig(kvUsageSpec)).map(([key, value]) => `${key}: ${value}`);
  return [
    '  parameters:',
    '    engineConfigs:',
    `    - ${specs[0]}`,
    ...specs.slice(1).map((s) => `      ${s}`),
  ];
}

/** vLLM's metric names (the built-in `vllm` engine config of v1.5.0) with the KV-cache gauge the image exports. */
export function vllmEngineConfig(kvUsageSpec: string) {
  return {
    name: 'vllm',
    queuedRequestsSpec: 'vllm:num_requests_waiting',
    runningRequestsSpec: 'vllm:num_requests_running',
    kvUsageSpec,
    loraSpec: 'vllm:lora_requests_info',
    cacheInfoSpec: 'vllm:cache_config_info',
  };
}
