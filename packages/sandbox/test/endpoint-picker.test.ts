/**
 * The sandbox's endpoint picker reads its configuration as the release its image names does:
 * the objects are what Spillway renders for each release, and a picker given what its release
 * refuses does not start.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { checkSpec, renderDesiredState, type KubeObjectResource } from '@spillway/shared';
import { Clock } from '../src/clock.js';
import { endpointPickerOf } from '../src/controllers/endpoint-picker.js';
import { ObjectStore, Registry, type KubeObject } from '../src/kube/index.js';

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../examples/food-review.yaml', import.meta.url)),
  'utf8',
);
const EPP = 'vllm-llama3-8b-instruct-epp';

/** The example's EPP Deployment in gke-east, with its ConfigMap in a store, for a release and image. */
function rendered(release: string, image = 'vllm/vllm-openai:v0.10.2') {
  const [platform, service] = EXAMPLE.split(/^---$/m).map((t) => parse(t));
  service.spec.pool.inferenceExtension = release;
  service.spec.model.image = image;
  const result = checkSpec([{ file: 'spec.yaml', text: `${stringify(platform)}---\n${stringify(service)}` }]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  const objects = renderDesiredState(result.spec)
    .resources.filter(
      (r): r is KubeObjectResource => r.type === 'kubernetes.object' && r.cluster === 'gke-east',
    )
    .map((r) => r.manifest as KubeObject);
  const store = new ObjectStore(new Registry(), new Clock(1));
  const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === EPP)!;
  store.create(structuredClone(configMap));
  const deployment = structuredClone(
    objects.find((o) => o.kind === 'Deployment' && o.metadata.name === EPP)!,
  );
  return { store, deployment, container: deployment.spec.template.spec.containers[0] };
}

describe('the sandbox endpoint picker', () => {
  it('v1.0.1 reads the KV-cache metric from its flag', () => {
    const { store, deployment } = rendered('v1.0.1', 'vllm/vllm-openai:v0.8.5');
    expect(endpointPickerOf(deployment, store)).toEqual({
      version: 'v1.0.1',
      started: true,
      kvCacheMetric: 'vllm:gpu_cache_usage_perc',
    });
  });

  it.each([
    ['v0.10.2', 'vllm:kv_cache_usage_perc'],
    ['v0.8.5', 'vllm:gpu_cache_usage_perc'],
  ])('v1.5.0 reads it from the EndpointPickerConfig: vLLM %s → %s', (tag, metric) => {
    const { store, deployment } = rendered('v1.5.0', `vllm/vllm-openai:${tag}`);
    expect(endpointPickerOf(deployment, store)).toEqual({
      version: 'v1.5.0',
      started: true,
      kvCacheMetric: metric,
    });
  });

  it('v1.5.0 refuses to start when given the v1.0.1 metric flag, with upstream’s words', () => {
    const { store, deployment, container } = rendered('v1.5.0');
    container.args.push('--kv-cache-usage-percentage-metric', 'vllm:kv_cache_usage_perc');
    expect(endpointPickerOf(deployment, store)).toEqual({
      version: 'v1.5.0',
      started: false,
      error:
        'flag "kv-cache-usage-percentage-metric" is deprecated and cannot be used; configure metrics via engineConfigs in EndpointPickerConfig instead',
    });
  });

  it('the v1.0.1 render run on the v1.5.0 image (a raised image tag) does not start', () => {
    const { store, deployment, container } = rendered('v1.0.1');
    container.image = 'registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0';
    expect(endpointPickerOf(deployment, store)).toMatchObject({
      started: false,
      error: expect.stringContaining('"kv-cache-usage-percentage-metric"'),
    });
  });

  it('v1.5.0 without its ConfigMap does not start, naming the file', () => {
    const { deployment } = rendered('v1.5.0');
    const empty = new ObjectStore(new Registry(), new Clock(1));
    expect(endpointPickerOf(deployment, empty)).toMatchObject({
      started: false,
      error: 'open /config/default-plugins.yaml: no such file or directory',
    });
  });

  it('is no endpoint picker for a model server', () => {
    const { store, deployment, container } = rendered('v1.5.0');
    container.image = 'vllm/vllm-openai:v0.10.2';
    expect(endpointPickerOf(deployment, store)).toBeUndefined();
  });
});
