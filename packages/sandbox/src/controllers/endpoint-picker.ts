import { parse as parseYaml } from 'yaml';
import type { KubeObject, ObjectStore } from '../kube/index.js';
import { containerOf } from './context.js';

/**
 * The endpoint picker (the gateway-api-inference-extension EPP) as the release its image names
 * reads its configuration, so a wrong render shows: a v1.0.1–v1.3 EPP takes its metric names as
 * flags (`--kv-cache-usage-percentage-metric`); from v1.4 the metric flags are refused at start
 * and the names come from the EndpointPickerConfig's `core-metrics-extractor` engineConfigs.
 */
export type EndpointPicker =
  | { version: string; started: true; kvCacheMetric: string }
  | { version: string; started: false; error: string };

const EPP_IMAGE = /\/gateway-api-inference-extension\/epp:(v(\d+)\.(\d+)\.(\d+))$/;
/** server/options.go (v1.4+): set explicitly, each of these stops the EPP before it serves. */
const REFUSED_FROM_V1_4 = [
  'total-queued-requests-metric',
  'total-running-requests-metric',
  'kv-cache-usage-percentage-metric',
  'lora-info-metric',
  'cache-info-metric',
];
const KV_FLAG = 'kv-cache-usage-percentage-metric';
/** The flag's default up to v1.3 (vLLM's name before v0.10.2). */
const FLAG_DEFAULT = 'vllm:gpu_cache_usage_perc';
/** The built-in `vllm` engine config's KV-cache gauge (v1.4+). */
const BUILT_IN_VLLM = 'vllm:kv_cache_usage_perc';

/** The EPP a Deployment runs, or undefined when it runs something else. */
export function endpointPickerOf(deployment: KubeObject, store: ObjectStore): EndpointPicker | undefined {
  const container = containerOf(deployment);
  const image = EPP_IMAGE.exec(String(container.image ?? ''));
  if (!image) return undefined;
  const version = image[1]!;
  const flags = flagsOf(container.args ?? []);
  const fromV1_4 = Number(image[2]) > 1 || Number(image[3]) >= 4;
  if (!fromV1_4) return { version, started: true, kvCacheMetric: flags.get(KV_FLAG) ?? FLAG_DEFAULT };
  const refused = REFUSED_FROM_V1_4.find((flag) => flags.has(flag));
  if (refused)
    return {
      version,
      started: false,
      error: `flag "${refused}" is deprecated and cannot be used; configure metrics via engineConfigs in EndpointPickerConfig instead`,
    };
  const config = readConfigFile(deployment, store, flags.get('config-file'));
  if (typeof config === 'string') return { version, started: false, error: config };
  return kvMetricOfConfig(version, config);
}

function kvMetricOfConfig(version: string, config: any): EndpointPicker {
  const extractor = (config?.plugins ?? []).find((p: any) => p?.type === 'core-metrics-extractor');
  const params = extractor?.parameters ?? {};
  const defaultEngine = params.defaultEngine || 'vllm';
  const engines: any[] = params.engineConfigs ?? [];
  if (engines.some((e) => !e?.name))
    return { version, started: false, error: 'engine config name cannot be empty' };
  const engine = engines.find((e) => e.name === defaultEngine);
  if (!engine && defaultEngine !== 'vllm')
    return { version, started: false, error: `defaultEngine "${defaultEngine}" not found in engineConfigs` };
  // A configured engine replaces the built-in one of its name whole: an unset spec is disabled.
  return { version, started: true, kvCacheMetric: engine ? String(engine.kvUsageSpec ?? '') : BUILT_IN_VLLM };
}

/** `--name value` and `--name=value` pairs; a quoted value loses its quotes as a shell would. */
function flagsOf(args: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const m = /^--?([\w-]+)(?:=(.*))?$/.exec(String(args[i]));
    if (!m) continue;
    const value = m[2] ?? (String(args[i + 1] ?? '').startsWith('-') ? 'true' : String(args[++i] ?? ''));
    flags.set(m[1]!, value.replace(/^"(.*)"$/, '$1'));
  }
  return flags;
}

/** The file `--config-file` names, through the pod's volume mounts to a ConfigMap's key. */
function readConfigFile(deployment: KubeObject, store: ObjectStore, path: string | undefined): unknown {
  if (!path) return 'a v1.4+ EPP needs --config-file (or --config-text)';
  const pod = deployment.spec?.template?.spec ?? {};
  const mount = (containerOf(deployment).volumeMounts ?? []).find((m: any) =>
    path.startsWith(`${String(m.mountPath).replace(/\/$/, '')}/`),
  );
  const volume = (pod.volumes ?? []).find((v: any) => v.name === mount?.name);
  const configMap = volume?.configMap?.name
    ? store.get('v1', 'ConfigMap', deployment.metadata.namespace, volume.configMap.name)
    : undefined;
  const text = configMap?.data?.[path.slice(String(mount?.mountPath).replace(/\/$/, '').length + 1)];
  if (text === undefined) return `open ${path}: no such file or directory`;
  try {
    return parseYaml(text);
  } catch (error) {
    return `failed to load config from ${path}: ${(error as Error).message}`;
  }
}
