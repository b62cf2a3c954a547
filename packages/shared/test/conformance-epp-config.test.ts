/**
 * The v1.5.0 endpoint picker's configuration checked against upstream's own code at v1.5.0
 * (../shared/upstream/gaie-v1.5.0/epp-config/*.go): the flags it refuses to start with, the
 * fields of EndpointPickerConfig and of an engine config, and the built-in vLLM engine config's
 * metric names. Read from the Go source, never from anything Spillway or its sandbox wrote.
 */
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { checkSpec, formatIssue, kubeLabels, type KubeManifest, type Service } from '../src/index.js';
import { inferencePoolChart } from '../src/render/inferencepool-chart.js';
import { editedExample } from './helpers.js';
import { readUpstream, UPSTREAM_DIR, UPSTREAM_PRESENT } from './upstream.js';

const GO = 'gaie-v1.5.0/epp-config';

/** `deprecatedMetricFlags := []string{…}` in server/options.go: set, the EPP exits at start. */
function refusedFlags(): string[] {
  const block = /deprecatedMetricFlags := \[\]string\{([^}]*)\}/.exec(
    readUpstream(`${GO}/server-options.go`),
  )!;
  return [...block[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** The `json:"…"` names of a Go struct's fields. */
function jsonFields(file: string, struct: string): string[] {
  const src = readUpstream(`${GO}/${file}`);
  const body = new RegExp(`${struct} struct \\{([\\s\\S]*?)\\n\\t?\\}`).exec(src)![1]!;
  // An inlined metav1.TypeMeta brings apiVersion and kind.
  const typeMeta = /metav1\.TypeMeta\s+`json:",inline"`/.test(body) ? ['apiVersion', 'kind'] : [];
  return [...typeMeta, ...[...body.matchAll(/json:"([^",]+)/g)].map((m) => m[1]!)];
}

/** The built-in engine configs (defaultEngineConfigs), as JSON field name → value. */
function builtInEngineConfigs(): Record<string, string>[] {
  const src = readUpstream(`${GO}/metrics-extractor-factories.go`);
  const block = /defaultEngineConfigs = \[\]engineConfigParams\{([\s\S]*?)\n\}/.exec(src)![1]!;
  const goToJson: Record<string, string> = {};
  const params = /engineConfigParams struct \{([\s\S]*?)\n\t\}/.exec(src)![1]!;
  for (const [, goName, json] of params.matchAll(/(\w+)\s+string\s+`json:"([^",]+)/g))
    goToJson[goName!] = json!;
  return [...block.matchAll(/\{([^{}]*)\}/g)].map((entry) =>
    Object.fromEntries([...entry[1]!.matchAll(/(\w+):\s+"([^"]*)"/g)].map(([, k, v]) => [goToJson[k!]!, v!])),
  );
}

function serviceWith(image: string): Service {
  const text = editedExample(({ service }) => {
    service.spec.pool.inferenceExtension = 'v1.5.0';
    service.spec.model.image = image;
  });
  const result = checkSpec([{ file: 'spec.yaml', text }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec.services[0]!;
}

const render = (s: Service) =>
  inferencePoolChart(s, kubeLabels({ platform: s.platform.name, service: s.name })) as any[];
const deploymentOf = (objects: KubeManifest[]) => objects.find((m) => m.kind === 'Deployment') as any;
const configOf = (objects: KubeManifest[]) =>
  parseYaml((objects.find((m) => m.kind === 'ConfigMap') as any).data['default-plugins.yaml']);

if (!UPSTREAM_PRESENT) {
  console.warn(`conformance-epp-config.test.ts: ${UPSTREAM_DIR} is absent, so these tests are skipped.`);
  describe('the v1.5.0 EndpointPickerConfig', () => {
    it.skip(`SKIPPED: upstream reference folder not found at ${UPSTREAM_DIR} (see shared/upstream/SOURCES.md)`, () => {});
  });
} else {
  describe('what upstream v1.5.0 says, as read here', () => {
    it('refuses the five metric flags, kv-cache-usage-percentage-metric among them', () => {
      expect(refusedFlags()).toContain('kv-cache-usage-percentage-metric');
      expect(refusedFlags()).toHaveLength(5);
    });

    it('reads vllm:kv_cache_usage_perc in its built-in vLLM engine config', () => {
      expect(builtInEngineConfigs().find((c) => c.name === 'vllm')?.kvUsageSpec).toBe(
        'vllm:kv_cache_usage_perc',
      );
    });
  });

  describe.each([
    ['vLLM v0.10.2', 'vllm/vllm-openai:v0.10.2'],
    ['vLLM v0.8.5', 'vllm/vllm-openai:v0.8.5'],
    ['vLLM v0.18.1 (upstream’s v1.5.0 manifest)', 'vllm/vllm-openai:v0.18.1'],
  ])('the v1.5.0 EPP of a service on %s', (_, image) => {
    const service = serviceWith(image);
    const objects = render(service);
    const config = configOf(objects);
    const extractor = config.plugins.find((p: any) => p.type === 'core-metrics-extractor');
    const engines: Record<string, string>[] = extractor?.parameters?.engineConfigs ?? [];

    it('is started with none of the flags v1.5.0 refuses', () => {
      const args: string[] = deploymentOf(objects).spec.template.spec.containers[0].args;
      const passed = args.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!);
      expect(passed.filter((flag) => refusedFlags().includes(flag))).toEqual([]);
    });

    it("reads the KV-cache metric the image's vLLM exports", () => {
      // defaultEngine is vllm; a configured engine of a name replaces the built-in one whole.
      const vllm =
        engines.find((e) => e.name === 'vllm') ?? builtInEngineConfigs().find((c) => c.name === 'vllm')!;
      expect(vllm.kvUsageSpec).toBe(service.model.kvCacheMetric);
    });

    it('names only fields upstream defines, and keeps every other vLLM metric of the built-in config', () => {
      const unknown = (object: object, fields: string[]) =>
        Object.keys(object).filter((k) => !fields.includes(k));
      expect(unknown(config, jsonFields('endpointpickerconfig_types.go', 'EndpointPickerConfig'))).toEqual(
        [],
      );
      const pluginFields = jsonFields('endpointpickerconfig_types.go', 'PluginSpec');
      for (const plugin of config.plugins) expect(unknown(plugin, pluginFields)).toEqual([]);
      const engineFields = jsonFields('metrics-extractor-factories.go', 'engineConfigParams');
      const builtIn = builtInEngineConfigs().find((c) => c.name === 'vllm')!;
      for (const engine of engines) {
        expect(unknown(engine, engineFields)).toEqual([]);
        expect({ ...engine, kvUsageSpec: builtIn.kvUsageSpec }).toEqual(builtIn);
      }
    });
  });

  it('v1.0.1 still gets the metric as a flag, which that release reads', () => {
    const text = editedExample(({ service }) => delete service.spec.pool.inferenceExtension);
    const result = checkSpec([{ file: 'spec.yaml', text }]);
    if (!result.ok) throw new Error('invalid');
    const args: string[] = deploymentOf(render(result.spec.services[0]!)).spec.template.spec.containers[0]
      .args;
    expect(args).toContain('--kv-cache-usage-percentage-metric');
  });
}
