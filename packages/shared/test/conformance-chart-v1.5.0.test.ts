/**
 * The v1.5.0 render against the `inferencepool` chart v1.5.0 over its `epplib` library chart, in
 * ../shared/upstream/gaie-v1.5.0/charts, rendered here by chart-template.ts with provider gke and
 * Google's monitoring on. Names and labels come from the charts' own helpers (epplib's
 * _helpers.tpl), rendered by the same engine; values come from the charts' values.yaml. Object
 * for object as for v1.0.1 (conformance.test.ts); without the upstream folder, this file skips.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { checkSpec, formatIssue, kubeLabels, type KubeManifest, type Service } from '../src/index.js';
import { inferencePoolChart } from '../src/render/inferencepool-chart.js';
import { parseDefines, renderChartTemplate, sprintf, type ChartContext } from './chart-template.js';
import { editedExample } from './helpers.js';
import { readUpstream, readUpstreamYaml, upstreamFile, UPSTREAM_DIR, UPSTREAM_PRESENT } from './upstream.js';

const POOL_CHART = 'gaie-v1.5.0/charts/inferencepool';
const LIB_CHART = 'gaie-v1.5.0/charts/epplib';
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding']);
const PLUGINS = 'default-plugins.yaml';

function serviceOf(edit: Parameters<typeof editedExample>[0]): Service {
  const text = editedExample((d) => {
    d.service.spec.pool.inferenceExtension = 'v1.5.0';
    edit(d);
  });
  const result = checkSpec([{ file: 'spec.yaml', text }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec.services[0]!;
}

const VARIANTS: [string, Service][] = UPSTREAM_PRESENT
  ? [
      ['the example (vLLM v0.10.2)', serviceOf(() => {})],
      [
        'namespace ml, vLLM v0.8.5, targetPort 8080',
        serviceOf(({ service }) => {
          service.metadata.namespace = 'ml';
          service.spec.model.image = 'vllm/vllm-openai:v0.8.5';
          service.spec.pool.targetPort = 8080;
        }),
      ],
    ]
  : [];

/** Merged values as helm merges them: the library chart's under its alias, the parent's over them. */
function chartValues(service: Service): any {
  const values = readUpstreamYaml(`${POOL_CHART}/values.yaml`);
  const lib = readUpstreamYaml(`${LIB_CHART}/values.yaml`);
  values.inferenceExtension = { ...lib, ...values.inferenceExtension };
  // What Google's guide and Spillway set: provider gke, Managed Prometheus scraping the EPP.
  values.provider.name = 'gke';
  values.inferenceExtension.monitoring.prometheus.enabled = true;
  values.inferencePool.modelServers = { matchLabels: { app: service.pool.name } };
  values.inferencePool.targetPorts = [{ number: service.pool.targetPort }];
  return values;
}

const templateOf = (chart: string, file: string) => readUpstream(`${chart}/templates/${file}`);
const libTemplates = () =>
  readdirSync(upstreamFile(`${LIB_CHART}/templates`)).map((f) => templateOf(LIB_CHART, f));

function chartContext(service: Service): ChartContext {
  const values = chartValues(service);
  const ie = values.inferenceExtension;
  const pool = values.inferencePool;
  const release = service.pool.name;
  const namespace = service.namespace;
  const helpers = templateOf(LIB_CHART, '_helpers.tpl');
  // `$base := .Release.Name | … | trunc N` and `$ns`: the truncations read off the helpers.
  const truncOf = (what: string) =>
    Number(new RegExp(`\\$${what} := [^}]*\\| trunc (\\d+)`).exec(helpers)![1]);
  const base = release.trim().toLowerCase().slice(0, truncOf('base'));
  const ns = namespace.trim().toLowerCase().slice(0, truncOf('ns'));
  const rbacPrintf = /printf "([^"]+)" \$base \$ns \| quote \| trunc (\d+)/.exec(helpers)!;
  const clusterRbac = JSON.stringify(sprintf(rbacPrintf[1]!, [base, ns])).slice(0, Number(rbacPrintf[2]));
  // The published chart is packaged with --app-version set to its tag; Chart.yaml holds a placeholder.
  const chartYaml = readUpstreamYaml(`${POOL_CHART}/Chart.yaml`);
  const appVersion = chartYaml.appVersion === '0.0.0' ? ie.image.tag : chartYaml.appVersion;
  const gke = templateOf(LIB_CHART, '_gke.yaml');
  const vars = gkeVariables(gke, release, namespace, Boolean(values.provider.gke?.autopilot));
  const standalone = Boolean(ie.endpointsServer && !ie.endpointsServer.createInferencePool);
  const modelServerType = pool.modelServerType || 'vllm';
  const protocol = pool.modelServerProtocol || 'http';
  const prometheus = Boolean(ie.monitoring.prometheus.enabled);
  const auth = Boolean(ie.monitoring.prometheus.auth.enabled);
  const isGke = values.provider.name.toLowerCase() === 'gke';
  const replicas = Number(ie.replicas || 1);
  return {
    defines: parseDefines(...libTemplates(), templateOf(POOL_CHART, '_validations.tpl')),
    exprs: {
      ...vars,
      $base: base,
      // gke.yaml: targetPortNumber, replaced by targetPorts[0] when there are targetPorts.
      $port: String(pool.targetPorts.length ? pool.targetPorts[0].number : pool.targetPortNumber),
      'include "gateway-api-inference-extension.cluster-rbac-name" .': clusterRbac,
      '.Release.Name': release,
      '.Release.Namespace': namespace,
      '.Chart.AppVersion | quote': JSON.stringify(appVersion),
      // Fails only without modelServers.matchLabels, which Spillway sets.
      'include "gateway-api-inference-extension.validations.inferencepool.common" $': '',
      '$metricsReadSecretName | quote': JSON.stringify(vars.$metricsReadSecretName),
      '.Values.inferenceExtension.replicas | default 1': String(replicas),
      '.Values.inferenceExtension.image.registry': ie.image.registry,
      '.Values.inferenceExtension.image.repository': ie.image.repository,
      '.Values.inferenceExtension.image.tag': ie.image.tag,
      '.Values.inferenceExtension.image.pullPolicy | default "IfNotPresent"':
        ie.image.pullPolicy || 'IfNotPresent',
      '.Values.inferenceExtension.pluginsConfigFile': ie.pluginsConfigFile,
      '.Values.inferenceExtension.extProcPort | default 9002': String(ie.extProcPort || 9002),
      '.Values.inferenceExtension.metricsPort | default 9090': String(ie.metricsPort || 9090),
      '.Values.inferenceExtension.failureMode | default "FailOpen"': ie.failureMode || 'FailOpen',
      '.Values.inferenceExtension.monitoring.interval': ie.monitoring.interval,
      '.Values.inferenceExtension.metricsDataSource.scheme | default "http" | quote': JSON.stringify(
        ie.metricsDataSource.scheme || 'http',
      ),
      '.Values.inferenceExtension.metricsDataSource.path | default "/metrics" | quote': JSON.stringify(
        ie.metricsDataSource.path || '/metrics',
      ),
      '.Values.inferenceExtension.metricsDataSource.insecureSkipVerify | default true': String(
        ie.metricsDataSource.insecureSkipVerify ?? true,
      ),
      // `toYaml . | nindent 12` after `resources:\n            `: yaml's block style, as helm's toYaml writes it.
      'toYaml .': toYaml(ie.resources),
    },
    conds: {
      '.Chart.AppVersion': Boolean(appVersion),
      'and .Values.inferenceExtension.endpointsServer (not .Values.inferenceExtension.endpointsServer.createInferencePool)':
        standalone,
      '.Values.inferencePool': true,
      'and (eq (lower $modelServerType) "vllm") (eq (lower $modelServerProtocol) "grpc")':
        modelServerType === 'vllm' && protocol === 'grpc',
      'and .Values.inferencePool .Values.inferencePool.parser': Boolean(pool.parser),
      'ne $modelServerType "vllm"': modelServerType !== 'vllm',
      $parserType: modelServerType === 'vllm' && protocol === 'grpc' ? true : Boolean(pool.parser),
      '.Values.inferenceExtension.latencyPredictor.enabled': Boolean(ie.latencyPredictor?.enabled),
      'not .Values.inferenceExtension.latencyPredictor.enabled': !ie.latencyPredictor?.enabled,
      '(hasKey .Values.inferenceExtension "pluginsCustomConfig")': 'pluginsCustomConfig' in ie,
      'and .Values.inferenceExtension.sidecar.enabled': Boolean(ie.sidecar?.enabled),
      '.Values.inferenceExtension.sidecar.enabled': Boolean(ie.sidecar?.enabled),
      '.Values.inferenceExtension.sidecar.volumes': Boolean(ie.sidecar?.volumes),
      'eq $modelServerType "sglang"': modelServerType === 'sglang',
      'eq $modelServerType "triton-tensorrt-llm"': modelServerType === 'triton-tensorrt-llm',
      'eq $modelServerType "trtllm-serve"': modelServerType === 'trtllm-serve',
      'gt (.Values.inferenceExtension.replicas | int) 1': replicas > 1,
      '.Values.inferenceExtension.tracing.enabled': Boolean(ie.tracing?.enabled),
      'not .Values.inferenceExtension.monitoring.prometheus.auth.enabled': !auth,
      '.Values.inferenceExtension.extraContainerPorts': ie.extraContainerPorts?.length > 0,
      '.Values.inferenceExtension.extraServicePorts': ie.extraServicePorts?.length > 0,
      '.Values.inferenceExtension.env': ie.env?.length > 0,
      '.Values.inferenceExtension.volumeMounts': Boolean(ie.volumeMounts),
      '.Values.inferenceExtension.resources': Boolean(ie.resources),
      '.Values.inferenceExtension.volumes': Boolean(ie.volumes),
      '.Values.inferenceExtension.affinity': Object.keys(ie.affinity ?? {}).length > 0,
      '.Values.inferenceExtension.tolerations': ie.tolerations?.length > 0,
      '.Values.inferenceExtension.monitoring.prometheus.enabled': prometheus,
      'and .Values.inferenceExtension.monitoring.prometheus.enabled .Values.inferenceExtension.monitoring.prometheus.auth.enabled (ne (lower .Values.provider.name) "gke")':
        prometheus && auth && !isGke,
      'and .Values.inferenceExtension.monitoring.prometheus.enabled (ne (lower .Values.provider.name) "gke")':
        prometheus && !isGke,
      'and .Values.provider (eq (lower .Values.provider.name) "gke")': isGke,
      'and .Values.inferenceExtension.monitoring.prometheus.enabled .Values.inferenceExtension.monitoring.prometheus.auth.enabled':
        prometheus && auth,
      'eq (lower .Values.provider.name) "gke"': isGke,
      'eq .Values.provider.name "istio"': values.provider.name === 'istio',
      '.Values.provider.gke': Boolean(values.provider.gke),
      $isAutopilot: Boolean(values.provider.gke?.autopilot),
      'eq .Values.inferencePool.modelServerProtocol "grpc"': protocol === 'grpc',
      'eq .Values.inferencePool.modelServerProtocol "http"': protocol === 'http',
      'and (eq (lower .Values.inferencePool.modelServerType) "vllm") (eq .Values.inferencePool.modelServerProtocol "grpc")':
        modelServerType === 'vllm' && protocol === 'grpc',
      '.Values.inferencePool.targetPorts': pool.targetPorts.length > 0,
      '.Values.inferencePool.modelServers.matchLabels': true,
      '.Values.experimentalHttpRoute.enabled': Boolean(values.experimentalHttpRoute?.enabled),
    },
    ranges: {
      // Spillway renders the service's InferenceObjectives itself (crd-inferenceobjective.ts), not through the chart.
      '.Values.inferenceObjectives': values.inferenceObjectives,
      '$key, $value := .Values.inferenceExtension.flags': Object.entries(ie.flags).map(([key, value]) => ({
        $key: key,
        $value: String(value),
      })),
      '.Values.inferencePool.targetPorts': pool.targetPorts.map((p: { number: number }) => ({
        '.number': String(p.number),
      })),
      '$key, $value := .Values.inferencePool.modelServers.matchLabels': Object.entries(
        pool.modelServers.matchLabels,
      ).map(([key, value]) => ({ $key: key, 'quote $value': JSON.stringify(value) })),
    },
  };
}

/** _gke.yaml's `$name := printf …` variables, evaluated in order (printf with %s only). */
function gkeVariables(gke: string, release: string, namespace: string, autopilot: boolean) {
  const vars: Record<string, string> = { '.Release.Name': release, '.Release.Namespace': namespace };
  for (const [, name, op, rhs] of gke.matchAll(/\{\{-?\s*\$(\w+)\s*(:?=)\s*([\s\S]*?)\s*-?\}\}/g)) {
    if (name === 'isAutopilot') continue; // decided from values
    if (op === '=' && !(name === 'gmpNamespace' && autopilot)) continue; // reassigned only under $isAutopilot
    const literal = /^"([^"]*)"$/.exec(rhs!);
    const printf = /^printf "([^"]*)" (.+)$/.exec(rhs!);
    if (!literal && !printf) throw new Error(`_gke.yaml: cannot evaluate $${name} := ${rhs}`);
    vars[`$${name}`] = literal
      ? literal[1]!
      : sprintf(
          printf![1]!,
          printf![2]!.split(/\s+/).map((arg) => {
            if (!(arg in vars)) throw new Error(`_gke.yaml: unknown printf argument ${arg}`);
            return vars[arg]!;
          }),
        );
  }
  return vars;
}

/** Helm's toYaml for a plain map of maps of strings. */
function toYaml(value: Record<string, Record<string, string>>): string {
  return Object.entries(value)
    .map(
      ([k, v]) =>
        `${k}:\n${Object.entries(v)
          .map(([kk, vv]) => `  ${kk}: ${JSON.stringify(vv)}`)
          .join('\n')}`,
    )
    .join('\n');
}

/** Every object the chart renders, with the namespace helm gives namespaced objects that name none. */
function renderChart(service: Service): KubeManifest[] {
  const ctx = chartContext(service);
  const files = readdirSync(upstreamFile(`${POOL_CHART}/templates`)).filter((f) => f.endsWith('.yaml'));
  return files.flatMap((file) =>
    readYamlText(renderChartTemplate(templateOf(POOL_CHART, file), ctx)).map((m) => {
      if (!CLUSTER_SCOPED.has(m.kind) && !m.metadata.namespace) m.metadata.namespace = service.namespace;
      return m;
    }),
  );
}

/** Documents split as helm splits them (releaseutil.SplitManifests): `---` may run into the next line. */
const readYamlText = (text: string): KubeManifest[] =>
  text
    .split(/(?:^|\s*\n)---\s*/)
    .map((doc) => parseYaml(doc) as KubeManifest | null)
    .filter((m): m is KubeManifest => m != null);

const chartRef = (m: KubeManifest) => `${m.kind} ${m.metadata.name}`;

/** A copy without the labels Spillway adds to every object (CONTRACT.md §4). */
function withoutOurLabels(m: KubeManifest): any {
  const copy = structuredClone(m);
  const labels = Object.entries(copy.metadata.labels ?? {}).filter(
    ([key]) => key !== 'app.kubernetes.io/managed-by' && !key.startsWith('spillway.dev/'),
  );
  if (labels.length) copy.metadata.labels = Object.fromEntries(labels);
  else delete copy.metadata.labels;
  return copy;
}

const pluginsOf = (configMap: any) => parseYaml(configMap.data[PLUGINS]);
const extractorOf = (config: any) => config.plugins.find((p: any) => p.type === 'core-metrics-extractor');

/** Ours, with the deliberate differences from the chart taken out (each is asserted on its own). */
function oursAsChart(m: KubeManifest): any {
  const copy = withoutOurLabels(m);
  if (copy.kind === 'InferencePool') delete copy.metadata.annotations; // networking.gke.io/export (GKE-FACTS.md §11)
  if (copy.kind === 'ConfigMap') {
    // Compared as parsed YAML here; the text itself is compared for the new vLLM below.
    const config = pluginsOf(copy);
    delete extractorOf(config).parameters; // engineConfigs for an older vLLM
    copy.data[PLUGINS] = config;
  }
  return copy;
}

function chartAsCompared(m: KubeManifest): any {
  const copy: any = structuredClone(m);
  if (copy.kind === 'ConfigMap') copy.data[PLUGINS] = pluginsOf(copy);
  return copy;
}

if (!UPSTREAM_PRESENT) {
  console.warn(`conformance-chart-v1.5.0.test.ts: ${UPSTREAM_DIR} is absent, so these tests are skipped.`);
  describe('the inferencepool chart v1.5.0', () => {
    it.skip(`SKIPPED: upstream reference folder not found at ${UPSTREAM_DIR} (see shared/upstream/SOURCES.md)`, () => {});
  });
} else {
  describe.each(VARIANTS)('the inferencepool chart v1.5.0, %s', (_, service) => {
    const labels = kubeLabels({ platform: service.platform.name, service: service.name });
    const ours = inferencePoolChart(service, labels);
    const chart = renderChart(service);
    const oursOf = (kind: string) => ours.find((m) => m.kind === kind) as any;
    const chartOf = (kind: string) => chart.find((m) => m.kind === kind) as any;
    const eppContainer = (d: any) => d.spec.template.spec.containers[0];

    it('has the objects the chart renders with provider gke and Managed Prometheus', () => {
      expect(ours.map(chartRef).sort()).toEqual(chart.map(chartRef).sort());
    });

    it.each(chart.map((m) => [chartRef(m), m] as const))(
      '%s equals the chart, apart from our labels and the documented differences',
      (ref, m) => {
        const mine = ours.find((o) => chartRef(o) === ref);
        expect(mine && oursAsChart(mine)).toEqual(chartAsCompared(m));
      },
    );

    it('runs the EPP image of values.yaml (image.registry/repository:tag) with no metric flag', () => {
      const { image } = readUpstreamYaml(`${POOL_CHART}/values.yaml`).inferenceExtension;
      const container = eppContainer(oursOf('Deployment'));
      expect(container.image).toBe(`${image.registry}/${image.repository}:${image.tag}`);
      expect(container.args.filter((a: string) => a.endsWith('-metric'))).toEqual([]);
    });

    it('fails open and checks health on targetPorts[0]', () => {
      expect(oursOf('InferencePool').spec.endpointPickerRef.failureMode).toBe('FailOpen');
      const hcp = oursOf('HealthCheckPolicy');
      expect(hcp.spec.default.config.httpHealthCheck.port).toBe(
        chartOf('InferencePool').spec.targetPorts[0].number,
      );
    });

    it("differs on purpose: the health check path is the service's", () => {
      expect(chartOf('HealthCheckPolicy').spec.default.config.httpHealthCheck.requestPath).toBe('/health');
      expect(oursOf('HealthCheckPolicy').spec.default.config.httpHealthCheck.requestPath).toBe(
        service.gateway.healthCheckPath,
      );
    });

    it('differs on purpose: the pool is exported to the config cluster', () => {
      expect(oursOf('InferencePool').metadata.annotations).toEqual({ 'networking.gke.io/export': 'True' });
      expect(chartOf('InferencePool').metadata.annotations).toBeUndefined();
    });

    it('names engineConfigs exactly when the image’s vLLM exports the old KV-cache name', () => {
      const params = extractorOf(pluginsOf(oursOf('ConfigMap'))).parameters;
      if (service.model.kvCacheMetric === 'vllm:kv_cache_usage_perc') {
        expect(params).toBeUndefined();
        expect(oursOf('ConfigMap').data[PLUGINS]).toBe(chartOf('ConfigMap').data[PLUGINS]);
      } else {
        expect(params.engineConfigs).toEqual([
          expect.objectContaining({ name: 'vllm', kvUsageSpec: 'vllm:gpu_cache_usage_perc' }),
        ]);
      }
    });
  });

  describe('the v1.5.0 chart comparison', () => {
    it('would notice a changed object', () => {
      const [, service] = VARIANTS[0]!;
      const labels = kubeLabels({ platform: service.platform.name, service: service.name });
      const changed = inferencePoolChart(service, labels).map(oursAsChart);
      changed.find((m) => m.kind === 'Role' && m.metadata.name.endsWith('-sa')).rules[0].verbs.push('delete');
      const chart = renderChart(service).map(chartAsCompared);
      const role = (list: any[]) => list.find((m) => m.kind === 'Role' && m.metadata.name.endsWith('-sa'));
      expect(role(changed)).not.toEqual(role(chart));
    });

    it('reads names and labels from epplib’s helpers, so a changed helper changes the chart side', () => {
      const [, service] = VARIANTS[0]!;
      const ctx = chartContext(service);
      const rendered = renderChartTemplate('{{ include "gateway-api-inference-extension.labels" . }}', ctx);
      expect(rendered).toBe(
        `app.kubernetes.io/name: ${service.pool.name}-epp\napp.kubernetes.io/version: "v1.5.0"`,
      );
    });
  });
}
