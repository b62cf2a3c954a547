import { describe, expect, it } from '@jest/globals';
import {
  renderDesiredState,
  renderFiles,
  type KubeManifest,
  type KubeObjectResource,
  type Resource,
  type Spec,
} from '../src/index.js';
import { checkSpec } from '../src/index.js';
import { APPLIED_WITH_PLATFORM, SERVICE_KINDS } from '../src/render/service-record.js';
import { parse as parseYaml } from 'yaml';
import { editedExample, exampleSpec } from './helpers.js';

const kubeObjects = (resources: Resource[], cluster?: string) =>
  resources.filter(
    (r): r is KubeObjectResource => r.type === 'kubernetes.object' && (!cluster || r.cluster === cluster),
  );

function find(resources: Resource[], cluster: string, kind: string, name?: string): KubeManifest {
  const found = kubeObjects(resources, cluster).filter(
    (r) => r.manifest.kind === kind && (name === undefined || r.manifest.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind} ${name ?? ''} in ${cluster}, found ${found.length}`);
  return found[0]!.manifest;
}

function specFrom(edit: Parameters<typeof editedExample>[0]): Spec {
  const result = checkSpec([{ file: 'spec.yaml', text: editedExample(edit) }]);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.spec;
}

const example = renderDesiredState(exampleSpec()).resources;

const EPP = 'vllm-llama3-8b-instruct-epp';
const KV_FLAG = '--kv-cache-usage-percentage-metric';
const eppArgs = (resources: Resource[], cluster: string): string[] =>
  (find(resources, cluster, 'Deployment', EPP) as any).spec.template.spec.containers[0].args;

/**
 * The KV-cache metric names the EPP is told to read, as its version takes them: v1.0.1 from its
 * flag; v1.5.0 from the EndpointPickerConfig's engineConfigs (none: its built-in vLLM config, whose
 * name conformance-epp.test.ts reads from upstream's code).
 */
function eppKvMetricSetting(resources: Resource[], cluster: string): string | undefined {
  const args = eppArgs(resources, cluster);
  if (args.includes(KV_FLAG)) return args[args.indexOf(KV_FLAG) + 1];
  const config = parseYaml((find(resources, cluster, 'ConfigMap', EPP) as any).data['default-plugins.yaml']);
  const extractor = config.plugins.find((p: any) => p.type === 'core-metrics-extractor');
  return extractor?.parameters?.engineConfigs?.find((e: any) => e.name === 'vllm')?.kvUsageSpec;
}

describe('rendering the example reproduces the seed scenario', () => {
  it('puts the cross-region Gateway in the config cluster only, with one address per region', () => {
    const gateway = find(example, 'gke-west', 'Gateway') as any;
    expect(gateway.spec.gatewayClassName).toBe('gke-l7-cross-regional-internal-managed-mc');
    expect(gateway.spec.addresses).toEqual([
      { type: 'networking.gke.io/ephemeral-ipv4-address/europe-west3', value: 'europe-west3' },
      { type: 'networking.gke.io/ephemeral-ipv4-address/us-east4', value: 'us-east4' },
    ]);
    expect(gateway.spec.listeners).toEqual([
      expect.objectContaining({ name: 'http', protocol: 'HTTP', port: 80 }),
    ]);
    expect(kubeObjects(example, 'gke-east').filter((r) => r.manifest.kind === 'Gateway')).toEqual([]);
  });

  it('routes to the GCPInferencePoolImport of the pool', () => {
    const route = find(example, 'gke-west', 'HTTPRoute') as any;
    expect(route.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'cross-region-gateway' },
    ]);
    expect(route.spec.rules[0].backendRefs).toEqual([
      { group: 'networking.gke.io', kind: 'GCPInferencePoolImport', name: 'vllm-llama3-8b-instruct' },
    ]);
  });

  it('health-checks the import on the model server port and path', () => {
    const policy = find(example, 'gke-west', 'HealthCheckPolicy', 'vllm-llama3-8b-instruct-import') as any;
    expect(policy.spec.targetRef).toEqual({
      group: 'networking.gke.io',
      kind: 'GCPInferencePoolImport',
      name: 'vllm-llama3-8b-instruct',
    });
    expect(policy.spec.default.config).toEqual({
      type: 'HTTP',
      httpHealthCheck: { requestPath: '/health', port: 8000 },
    });
  });

  it("balances on the kv-cache custom metric with maxUtilizationPercent (not seed 002's maxUtilization) and prefers us-east4", () => {
    const policy = find(example, 'gke-west', 'GCPBackendPolicy', 'vllm-llama3-8b-instruct-import') as any;
    // scopes sit inside default, as the GCPBackendPolicy schema has them.
    expect(policy.spec.default).toEqual({
      timeoutSec: 100,
      balancingMode: 'CUSTOM_METRICS',
      trafficDuration: 'LONG',
      customMetrics: [{ name: 'gke.named_metrics.kv-cache', maxUtilizationPercent: 80, dryRun: false }],
      scopes: [{ selector: { 'gke.io/region': 'us-east4' }, backendPreference: 'PREFERRED' }],
    });
  });

  it.each(['gke-west', 'gke-east'])(
    'in %s exports the pool and scales on the metric the image exports',
    (cluster) => {
      const pool = find(example, cluster, 'InferencePool') as any;
      expect(pool.metadata.annotations).toEqual({ 'networking.gke.io/export': 'True' });
      expect(pool.spec.targetPorts).toEqual([{ number: 8000 }]);
      const metric = find(example, cluster, 'AutoscalingMetric') as any;
      expect(metric.spec.endpoints[0].metrics).toEqual([
        { name: 'vllm:kv_cache_usage_perc', exportName: 'kv-cache' },
      ]);
      const hpa = find(example, cluster, 'HorizontalPodAutoscaler') as any;
      // Seed 000's HPA reads vllm:gpu_cache_usage_perc while its policy reads the new name: corrected.
      expect(hpa.spec.metrics[0].pods.metric.name).toBe(
        'prometheus.googleapis.com|vllm:kv_cache_usage_perc|gauge',
      );
      expect(hpa.spec.metrics[0].pods.target).toEqual({ type: 'AverageValue', averageValue: '0.5' });
      expect([hpa.spec.minReplicas, hpa.spec.maxReplicas]).toEqual([1, 10]);
      // v1.5.0's built-in vLLM engine config reads the new name: no metric setting, and no refused flag.
      expect(eppArgs(example, cluster)).not.toContain(KV_FLAG);
      expect(eppKvMetricSetting(example, cluster)).toBeUndefined();
    },
  );

  it('points every objective at the installed pool (seed 000 points at llama3-8b-instruct)', () => {
    const objective = find(example, 'gke-east', 'InferenceObjective', 'food-review') as any;
    expect(objective.spec).toEqual({
      priority: 10,
      poolRef: { group: 'inference.networking.k8s.io', name: 'vllm-llama3-8b-instruct' },
    });
  });

  it('creates the model server without replicas, requesting its GPUs on the accelerator nodes', () => {
    const server = find(example, 'gke-east', 'Deployment', 'vllm-llama3-8b-instruct') as any;
    expect(server.spec.replicas).toBeUndefined();
    const pod = server.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'cloud.google.com/gke-accelerator': 'nvidia-h100-80gb' });
    expect(pod.containers[0].image).toBe('vllm/vllm-openai:v0.10.2');
    expect(pod.containers[0].resources.limits).toEqual({ 'nvidia.com/gpu': '1' });
    expect(pod.containers[0].ports).toEqual([{ containerPort: 8000, name: 'http', protocol: 'TCP' }]);
    expect(pod.containers[0].env).toContainEqual({
      name: 'HUGGING_FACE_HUB_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hf-token', key: 'token' } },
    });
    expect(pod.initContainers[0].name).toBe('lora-adapter-syncer');
  });

  it('renders the GKE requests of the seed commands', () => {
    const cluster = example.find((r) => r.type === 'container.cluster' && r.name === 'gke-west') as any;
    expect(cluster.body).toMatchObject({
      initialClusterVersion: '1.34.1-gke.1127000',
      releaseChannel: { channel: 'RAPID' },
      networkConfig: { gatewayApiConfig: { channel: 'CHANNEL_STANDARD' } },
      monitoringConfig: {
        componentConfig: { enableComponents: ['SYSTEM_COMPONENTS', 'DCGM'] },
        managedPrometheusConfig: { enabled: true },
      },
      podAutoscaling: { hpaProfile: 'PERFORMANCE' },
      workloadIdentityConfig: { workloadPool: 'my-project.svc.id.goog' },
      resourceLabels: { 'managed-by': 'spillway', 'spillway-platform': 'inference-prod' },
    });
    const pool = example.find((r) => r.type === 'container.nodePool' && r.cluster === 'gke-east') as any;
    expect(pool.body).toMatchObject({
      name: 'h100',
      initialNodeCount: 3,
      locations: ['us-east4-a'],
      autoscaling: { enabled: true, minNodeCount: 1, maxNodeCount: 10 },
      config: {
        machineType: 'a3-highgpu-2g',
        spot: true,
        accelerators: [
          {
            acceleratorCount: '2',
            acceleratorType: 'nvidia-h100-80gb',
            gpuDriverInstallationConfig: { gpuDriverVersion: 'LATEST' },
          },
        ],
      },
    });
  });

  it('registers both clusters to the fleet and names the config membership in the MCI feature', () => {
    const memberships = example.filter((r) => r.type === 'gkehub.membership') as any[];
    expect(memberships.map((m) => m.body.endpoint.gkeCluster.resourceLink).sort()).toEqual([
      '//container.googleapis.com/projects/my-project/locations/europe-west3-c/clusters/gke-west',
      '//container.googleapis.com/projects/my-project/locations/us-east4-a/clusters/gke-east',
    ]);
    const mci = example.find(
      (r) => r.type === 'gkehub.feature' && r.featureId === 'multiclusteringress',
    ) as any;
    expect(mci.body.spec.multiclusteringress.configMembership).toBe(
      'projects/my-project/locations/global/memberships/gke-west',
    );
  });

  it('creates proxy-only subnets with role ACTIVE and no logConfig', () => {
    const subnets = example.filter((r) => r.type === 'compute.subnetwork') as any[];
    expect(subnets.map((s) => [s.region, s.body.ipCidrRange, s.body.purpose, s.body.role])).toEqual([
      ['europe-west3', '10.0.0.0/23', 'GLOBAL_MANAGED_PROXY', 'ACTIVE'],
      ['us-east4', '10.5.0.0/23', 'GLOBAL_MANAGED_PROXY', 'ACTIVE'],
    ]);
    for (const s of subnets) expect(s.body).not.toHaveProperty('logConfig');
  });

  it('grants the adapter monitoring.viewer through its Workload Identity principal', () => {
    const binding = example.find(
      (r) => r.type === 'iam.binding' && r.role === 'roles/monitoring.viewer',
    ) as any;
    expect(binding.member).toBe(
      'principal://iam.googleapis.com/projects/{projectNumber}/locations/global/workloadIdentityPools/my-project.svc.id.goog/subject/ns/custom-metrics/sa/custom-metrics-stackdriver-adapter',
    );
  });
});

describe('everything that must agree does', () => {
  it.each(['v1.0.1', 'v1.5.0'])(
    'an old vLLM image switches every metric reference to the old name, %s',
    (release) => {
      const resources = renderDesiredState(
        specFrom(({ service }) => {
          service.spec.model.image = 'vllm/vllm-openai:v0.8.5';
          service.spec.pool.inferenceExtension = release;
        }),
      ).resources;
      const metric = find(resources, 'gke-east', 'AutoscalingMetric') as any;
      expect(metric.spec.endpoints[0].metrics).toEqual([
        { name: 'vllm:gpu_cache_usage_perc', exportName: 'kv-cache-old' },
      ]);
      expect(
        (find(resources, 'gke-east', 'HorizontalPodAutoscaler') as any).spec.metrics[0].pods.metric.name,
      ).toBe('prometheus.googleapis.com|vllm:gpu_cache_usage_perc|gauge');
      expect(
        (find(resources, 'gke-west', 'GCPBackendPolicy', 'vllm-llama3-8b-instruct-import') as any).spec
          .default.customMetrics[0].name,
      ).toBe('gke.named_metrics.kv-cache-old');
      for (const cluster of ['gke-east', 'gke-west'])
        expect(eppKvMetricSetting(resources, cluster)).toBe('vllm:gpu_cache_usage_perc');
      expect(eppArgs(resources, 'gke-east').includes(KV_FLAG)).toBe(release === 'v1.0.1');
    },
  );

  it('a spec without pool.inferenceExtension keeps the v1.0.1 chart: the EPP image and its metric flag', () => {
    const resources = renderDesiredState(
      specFrom(({ service }) => delete service.spec.pool.inferenceExtension),
    ).resources;
    const epp = find(resources, 'gke-east', 'Deployment', EPP) as any;
    expect(epp.spec.template.spec.containers[0].image).toBe(
      'registry.k8s.io/gateway-api-inference-extension/epp:v1.0.1',
    );
    expect(eppKvMetricSetting(resources, 'gke-east')).toBe('vllm:kv_cache_usage_perc');
    expect(
      (find(resources, 'gke-east', 'InferencePool') as any).spec.endpointPickerRef.failureMode,
    ).toBeUndefined();
  });

  it('v1.5.0 names the pool, its EPP and the target port alike in every object that names them', () => {
    const resources = renderDesiredState(
      specFrom(({ service }) => (service.spec.pool.targetPort = 8080)),
    ).resources;
    const pool = find(resources, 'gke-west', 'InferencePool') as any;
    expect(pool.spec.endpointPickerRef).toEqual({
      name: EPP,
      port: { number: 9002 },
      failureMode: 'FailOpen',
    });
    expect(eppArgs(resources, 'gke-west').slice(0, 2)).toEqual(['--pool-name', pool.metadata.name]);
    const service = find(resources, 'gke-west', 'Service', EPP) as any;
    expect(service.spec.ports[0].port).toBe(pool.spec.endpointPickerRef.port.number);
    const hcp = find(resources, 'gke-west', 'HealthCheckPolicy', pool.metadata.name) as any;
    expect(hcp.spec.default.config.httpHealthCheck.port).toBe(pool.spec.targetPorts[0].number);
    for (const name of [`${EPP}-sa`, `${EPP}-non-sa`]) {
      const binding = find(resources, 'gke-west', 'RoleBinding', name) as any;
      expect(binding.roleRef.name).toBe(name);
      expect(binding.subjects[0].name).toBe(EPP);
    }
  });

  it('a non-default port reaches the container, the pool, both health checks, the metric and the scrape', () => {
    const resources = renderDesiredState(
      specFrom(({ service }) => (service.spec.pool.targetPort = 8080)),
    ).resources;
    const c = 'gke-west';
    const server = find(resources, c, 'Deployment', 'vllm-llama3-8b-instruct') as any;
    expect(server.spec.template.spec.containers[0].ports[0].containerPort).toBe(8080);
    expect(server.spec.template.spec.containers[0].args).toEqual(expect.arrayContaining(['--port', '8080']));
    expect((find(resources, c, 'InferencePool') as any).spec.targetPorts).toEqual([{ number: 8080 }]);
    for (const name of ['vllm-llama3-8b-instruct', 'vllm-llama3-8b-instruct-import']) {
      expect(
        (find(resources, c, 'HealthCheckPolicy', name) as any).spec.default.config.httpHealthCheck.port,
      ).toBe(8080);
    }
    expect((find(resources, c, 'AutoscalingMetric') as any).spec.endpoints[0].port).toBe(8080);
    expect(
      (find(resources, c, 'PodMonitoring', 'vllm-llama3-8b-instruct-server') as any).spec.endpoints[0].port,
    ).toBe(8080);
  });

  it('IN_FLIGHT balancing renders its limit with trafficDuration LONG and no custom metric', () => {
    const resources = renderDesiredState(
      specFrom(({ service }) => {
        service.spec.balancing = { mode: 'IN_FLIGHT', maxInFlightRequestsPerEndpoint: 500 };
      }),
    ).resources;
    const policy = find(resources, 'gke-west', 'GCPBackendPolicy', 'vllm-llama3-8b-instruct-import') as any;
    expect(policy.spec.default).toEqual({
      timeoutSec: 100,
      balancingMode: 'IN_FLIGHT',
      trafficDuration: 'LONG',
      maxInFlightRequestsPerEndpoint: 500,
    });
    expect(policy.spec.default.scopes).toBeUndefined();
  });

  it('a service in a subset of regions gets objects and gateway addresses only there', () => {
    const resources = renderDesiredState(
      specFrom(({ service }) => {
        service.spec.regions = ['us-east4'];
        service.spec.balancing.preferredRegions = undefined;
      }),
    ).resources;
    expect(
      kubeObjects(resources, 'gke-west').filter(
        (r) => r.owner.service && r.manifest.kind === 'InferencePool',
      ),
    ).toEqual([]);
    expect((find(resources, 'gke-west', 'Gateway') as any).spec.addresses).toEqual([
      { type: 'networking.gke.io/ephemeral-ipv4-address/us-east4', value: 'us-east4' },
    ]);
  });
});

describe('the graph', () => {
  it('lists every resource after everything it depends on', () => {
    const position = new Map(example.map((r, i) => [r.id, i]));
    for (const r of example)
      for (const d of r.dependsOn)
        expect([r.id, position.get(d)! < position.get(r.id)!]).toEqual([r.id, true]);
  });

  it('orders what GKE needs: pools before the route, the CRD before objectives, metrics access before the HPA', () => {
    const byId = new Map(example.map((r) => [r.id, r]));
    const route = kubeObjects(example, 'gke-west').find((r) => r.manifest.kind === 'HTTPRoute')!;
    const pools = kubeObjects(example)
      .filter((r) => r.manifest.kind === 'InferencePool')
      .map((r) => r.id);
    expect(pools).toHaveLength(2);
    expect(route.dependsOn).toEqual(expect.arrayContaining(pools));
    const objective = kubeObjects(example, 'gke-east').find((r) => r.manifest.kind === 'InferenceObjective')!;
    expect(objective.dependsOn.some((d) => byId.get(d)?.title.startsWith('CustomResourceDefinition'))).toBe(
      true,
    );
    const hpa = kubeObjects(example, 'gke-east').find((r) => r.manifest.kind === 'HorizontalPodAutoscaler')!;
    expect(hpa.dependsOn.some((d) => d.includes('roles/monitoring.viewer'))).toBe(true);
    const server = kubeObjects(example, 'gke-east').find(
      (r) => r.manifest.metadata.name === 'vllm-llama3-8b-instruct' && r.manifest.kind === 'Deployment',
    )!;
    expect(server.dependsOn.some((d) => d.startsWith('container.nodePool/'))).toBe(true);
  });

  it("marks every Kubernetes object and every labelled Google Cloud resource as Spillway's", () => {
    for (const r of kubeObjects(example)) {
      const labels = r.manifest.metadata.labels ?? {};
      expect([r.id, labels['app.kubernetes.io/managed-by']]).toEqual([r.id, 'spillway']);
      expect([r.id, labels['spillway.dev/service'] ?? labels['spillway.dev/platform']]).toEqual([
        r.id,
        r.owner.service ?? r.owner.platform,
      ]);
    }
    for (const r of example.filter(
      (r) => r.type === 'gkehub.membership' || r.type === 'gkehub.feature',
    ) as any[]) {
      expect(r.body.labels).toEqual({ 'managed-by': 'spillway', 'spillway-platform': 'inference-prod' });
    }
  });
});

describe('render output', () => {
  it('is byte-identical for the same spec', () => {
    const a = renderFiles(exampleSpec(), renderDesiredState(exampleSpec()));
    const b = renderFiles(exampleSpec(), renderDesiredState(exampleSpec()));
    expect([...a]).toEqual([...b]);
  });

  it('never contains the token, even when its variable is set', () => {
    const canary = 'hf_CANARY_never_in_output_4242';
    process.env.HF_TOKEN = canary;
    try {
      const files = renderFiles(exampleSpec(), renderDesiredState(exampleSpec()));
      for (const [path, content] of files) expect([path, content.includes(canary)]).toEqual([path, false]);
      expect(files.get('apply.sh')).toContain('"${HF_TOKEN:?set HF_TOKEN to the Hugging Face token}"');
    } finally {
      delete process.env.HF_TOKEN;
    }
  });

  it('matches the reviewed snapshot', () => {
    const files = renderFiles(exampleSpec(), renderDesiredState(exampleSpec()));
    expect(Object.fromEntries(files)).toMatchSnapshot();
  });

  it('without pool.inferenceExtension, renders byte for byte what the seeds got before the field existed', () => {
    // This snapshot is the example's from before v1.5.0 (the example then had no such field).
    const seed = specFrom(({ service }) => delete service.spec.pool.inferenceExtension);
    const files = renderFiles(seed, renderDesiredState(seed));
    expect(Object.fromEntries(files)).toMatchSnapshot();
  });
});

describe('what a dropped service may leave behind', () => {
  it('SERVICE_KINDS names every kind a service renders, so apply can find all of a dropped service', () => {
    const state = renderDesiredState(exampleSpec());
    const listed = new Set(SERVICE_KINDS.map((k) => `${k.apiVersion}/${k.kind}`));
    const rendered = state.resources.flatMap((r) =>
      r.type === 'kubernetes.object' && r.owner.service
        ? [`${r.manifest.apiVersion}/${r.manifest.kind}`]
        : [],
    );
    expect(rendered.filter((k) => !listed.has(k))).toEqual([]);
  });

  it('marks the record of a service applied with its platform, and not one applied against a read-only copy', () => {
    const record = (spec: ReturnType<typeof exampleSpec>) =>
      renderDesiredState(spec).resources.find(
        (r) => r.type === 'kubernetes.object' && r.manifest.metadata.name === 'spillway-spec-food-review',
      ) as { manifest: { metadata: { annotations?: Record<string, string> } } };
    expect(record(exampleSpec()).manifest.metadata.annotations).toEqual({
      [APPLIED_WITH_PLATFORM]: 'inference-prod',
    });
    const readOnly = exampleSpec();
    readOnly.platforms[0]!.reference = true;
    expect(readOnly.services[0]!.platform.reference).toBe(true);
    expect(record(readOnly).manifest.metadata.annotations).toBeUndefined();
  });
});
