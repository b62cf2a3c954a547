import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  checkSpec,
  formatIssue,
  renderDesiredState,
  renderScript,
  type ClusterResource,
  type KubeObjectResource,
  type Resource,
  type Spec,
} from '../src/index.js';
import { clusterHandler } from '../src/engine/gke-handlers.js';
import { SERVICE_KINDS } from '../src/render/service-record.js';
import { machineShape } from '../src/spec/capacity-catalog.js';
import { exampleSpec, specText } from './helpers.js';

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../examples/capacity-classes.yaml', import.meta.url)),
  'utf8',
);

type Docs = { platform: Record<string, any>; service: Record<string, any> };

function capacitySpec(edit: (d: Docs) => void = () => undefined): Spec {
  const [platformText, serviceText] = EXAMPLE.split(/^---$/m);
  const docs = { platform: parse(platformText!), service: parse(serviceText!) };
  edit(docs);
  const result = checkSpec([{ file: 'spec.yaml', text: specText(docs.platform, docs.service) }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec;
}

const kube = (resources: Resource[], kind: string, cluster?: string) =>
  resources.filter(
    (r): r is KubeObjectResource =>
      r.type === 'kubernetes.object' && r.manifest.kind === kind && (!cluster || r.cluster === cluster),
  );
const clusterOf = (resources: Resource[], name: string) =>
  resources.find((r): r is ClusterResource => r.type === 'container.cluster' && r.name === name)!;

const rendered = renderDesiredState(capacitySpec()).resources;

describe('capacity classes: the ComputeClass in every cluster', () => {
  it('renders one cluster-scoped ComputeClass per class in each cluster, with the platform’s labels', () => {
    const classes = kube(rendered, 'ComputeClass');
    expect(classes.map((r) => [r.cluster, r.manifest.apiVersion, r.manifest.metadata.name])).toEqual([
      ['gke-east', 'cloud.google.com/v1', 'h100-8'],
      ['gke-west', 'cloud.google.com/v1', 'h100-8'],
    ]);
    for (const r of classes) {
      expect(r.manifest.metadata.namespace).toBeUndefined();
      expect(r.manifest.metadata.labels).toEqual({
        'app.kubernetes.io/managed-by': 'spillway',
        'spillway.dev/platform': 'inference-prod',
      });
    }
  });

  it('keeps the tiers in order, the reservation only where its zone is the cluster’s', () => {
    const shape = {
      machineType: 'a3-highgpu-8g',
      gpu: { type: 'nvidia-h100-80gb', count: 8, driverVersion: 'latest' },
    };
    const onDemand = { ...shape, spot: false };
    const flexStart = { ...shape, flexStart: { enabled: true }, maxRunDurationSeconds: 604800 };
    const spot = { ...shape, spot: true };
    const east = kube(rendered, 'ComputeClass', 'gke-east')[0]!.manifest as any;
    expect(east.spec).toEqual({
      priorities: [
        {
          ...shape,
          location: { zones: ['us-east4-a'] },
          reservations: { affinity: 'Specific', specific: [{ name: 'h100-block', project: 'my-project' }] },
        },
        onDemand,
        flexStart,
        spot,
      ],
      nodePoolAutoCreation: { enabled: true },
      activeMigration: { optimizeRulePriority: true },
      whenUnsatisfiable: 'DoNotScaleUp',
    });
    const west = kube(rendered, 'ComputeClass', 'gke-west')[0]!.manifest as any;
    expect(west.spec.priorities).toEqual([onDemand, flexStart, spot]);
  });

  it('gives a regional cluster the reservations in its region’s zones, and any-reservation tiers everywhere', () => {
    const spec = capacitySpec((d) => {
      d.platform.spec.clusters[1].location = 'us-east4';
      d.platform.spec.capacityClasses[0].order = [
        { reservation: { name: 'h100-block', zone: 'us-east4-b', project: 'other-project' } },
        { reservation: { any: true } },
      ];
    });
    const resources = renderDesiredState(spec).resources;
    const priorities = (cluster: string) =>
      (kube(resources, 'ComputeClass', cluster)[0]!.manifest as any).spec.priorities.map(
        (p: any) => p.reservations,
      );
    expect(priorities('gke-east')).toEqual([
      { affinity: 'Specific', specific: [{ name: 'h100-block', project: 'other-project' }] },
      { affinity: 'AnyBestEffort' },
    ]);
    expect(priorities('gke-west')).toEqual([{ affinity: 'AnyBestEffort' }]);
  });

  it('renders a TPU class with its type, chips per node and topology', () => {
    const spec = capacitySpec((d) => {
      const c = d.platform.spec.capacityClasses[0];
      delete c.accelerator;
      Object.assign(c, { tpu: { type: 'tpu-v6e-slice', topology: '2x4' }, machineType: 'ct6e-standard-4t' });
      c.order = [{ spot: {} }];
    });
    const tpuClass = kube(renderDesiredState(spec).resources, 'ComputeClass', 'gke-west')[0]!.manifest as any;
    expect(tpuClass.spec.priorities).toEqual([
      {
        machineType: 'ct6e-standard-4t',
        tpu: { type: 'tpu-v6e-slice', count: 4, topology: '2x4' },
        spot: true,
      },
    ]);
  });
});

describe('capacity classes: the service on a class', () => {
  it('selects the class instead of an accelerator pool, and waits for the class, not for pools', () => {
    for (const server of kube(rendered, 'Deployment').filter(
      (r) => r.manifest.metadata.name === 'vllm-llama3-8b-instruct',
    )) {
      expect((server.manifest as any).spec.template.spec.nodeSelector).toEqual({
        'cloud.google.com/compute-class': 'h100-8',
      });
      expect(server.dependsOn).toContain(
        `kubernetes/${server.cluster}/cloud.google.com/ComputeClass/_cluster/h100-8`,
      );
      expect(server.dependsOn.filter((d) => d.startsWith('container.nodePool/'))).toEqual([]);
    }
  });

  it('gets a PodDisruptionBudget that keeps one model server per region', () => {
    const budgets = kube(rendered, 'PodDisruptionBudget');
    expect(budgets.map((r) => r.cluster)).toEqual(['gke-east', 'gke-west']);
    expect(budgets[0]!.manifest).toEqual({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {
        name: 'vllm-llama3-8b-instruct',
        namespace: 'default',
        labels: { 'app.kubernetes.io/managed-by': 'spillway', 'spillway.dev/service': 'food-review' },
      },
      spec: {
        minAvailable: 1,
        selector: { matchLabels: { app: 'vllm-llama3-8b-instruct' } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });
  });

  it('names every kind the service renders in SERVICE_KINDS, so a dropped service’s PDB is found too', () => {
    const listed = new Set(SERVICE_KINDS.map((k) => `${k.apiVersion}/${k.kind}`));
    const kinds = rendered.flatMap((r) =>
      r.type === 'kubernetes.object' && r.owner.service
        ? [`${r.manifest.apiVersion}/${r.manifest.kind}`]
        : [],
    );
    expect(kinds).toContain('policy/v1/PodDisruptionBudget');
    expect(kinds.filter((k) => !listed.has(k))).toEqual([]);
  });

  it('leaves a platform and service without classes as they were: no ComputeClass, PDB or cluster autoscaling', () => {
    const seed = renderDesiredState(exampleSpec()).resources;
    expect(kube(seed, 'ComputeClass')).toEqual([]);
    expect(kube(seed, 'PodDisruptionBudget')).toEqual([]);
    expect(clusterOf(seed, 'gke-west').body.autoscaling).toBeUndefined();
  });
});

describe('capacity classes: the cluster', () => {
  it('turns node auto-provisioning on with the classes’ budgets, and cpu and memory their nodes need', () => {
    // gke-west: 3 × c2-standard-16 (16 vCPU, 64 GB) default nodes, no pools, 16 H100 = 2 × a3-highgpu-8g (208 vCPU, 1872 GB).
    expect(clusterOf(rendered, 'gke-west').body.autoscaling).toEqual({
      enableNodeAutoprovisioning: true,
      resourceLimits: [
        { resourceType: 'cpu', maximum: 3 * 16 + 2 * 208 },
        { resourceType: 'memory', maximum: 3 * 64 + 2 * 1872 },
        { resourceType: 'nvidia-h100-80gb', maximum: 16 },
      ],
      autoprovisioningNodePoolDefaults: {
        oauthScopes: expect.arrayContaining(['https://www.googleapis.com/auth/monitoring']),
      },
    });
  });

  it('adds the cluster’s own pools at their largest (per zone in a regional cluster) to the limits', () => {
    const spec = capacitySpec((d) => {
      d.platform.spec.clusters[0].location = 'europe-west3';
      d.platform.spec.clusters[0].acceleratorPools = [
        {
          name: 'h100',
          accelerator: { type: 'nvidia-h100-80gb', count: 2 },
          machineType: 'a3-highgpu-2g',
          nodes: { initial: 1, min: 0, max: 2 },
        },
      ];
    });
    const limits = (clusterOf(renderDesiredState(spec).resources, 'gke-west').body.autoscaling as any)
      .resourceLimits;
    // 3 zones × 2 nodes × 2 GPUs of the pool, and the class's 16.
    expect(limits.find((l: any) => l.resourceType === 'nvidia-h100-80gb').maximum).toBe(12 + 16);
  });

  it('knows the vCPUs and memory of the machine types a cluster names, and counts an unknown one as large', () => {
    expect(
      [
        'c2-standard-16',
        'n1-highmem-8',
        'n2-custom-8-32768',
        'e2-medium',
        'c3-standard-8-lssd',
        'g2-standard-24',
      ].map(machineShape),
    ).toEqual([
      { vcpus: 16, memoryGb: 64 },
      { vcpus: 8, memoryGb: 52 },
      { vcpus: 8, memoryGb: 32 },
      { vcpus: 2, memoryGb: 4 },
      { vcpus: 8, memoryGb: 32 },
      { vcpus: 24, memoryGb: 96 },
    ]);
    expect(machineShape('z9-mystery')).toBeUndefined();
    const spec = capacitySpec((d) => {
      d.platform.spec.clusters[0].machineType = 'z9-mystery';
    });
    const limits = (clusterOf(renderDesiredState(spec).resources, 'gke-west').body.autoscaling as any)
      .resourceLimits;
    // Three default nodes counted as a4-highgpu-8g (224 vCPUs), so the limit never stops a scale-up.
    expect(limits[0]).toEqual({ resourceType: 'cpu', maximum: 3 * 224 + 2 * 208 });
  });

  it('sees a cluster whose auto-provisioning differs from the classes’ budget as an update, and sends it', async () => {
    const resource = clusterOf(rendered, 'gke-east');
    const live = {
      status: 'RUNNING',
      network: 'projects/my-project/global/networks/default',
      resourceLabels: { 'managed-by': 'spillway' },
      networkConfig: { gatewayApiConfig: { channel: 'CHANNEL_STANDARD' } },
      monitoringConfig: (resource.body as any).monitoringConfig,
      workloadIdentityConfig: (resource.body as any).workloadIdentityConfig,
      podAutoscaling: { hpaProfile: 'PERFORMANCE' },
    };
    expect(clusterHandler.diff(resource, live as any, {} as any)).toEqual({
      action: 'update',
      reason: 'autoscaling differ',
    });
    let sent: unknown;
    const ctx = {
      cloud: {
        container: () => ({
          updateCluster: async (request: unknown) => {
            sent = request;
            return [{ name: 'op-1' }];
          },
        }),
      },
    };
    await clusterHandler.update(resource, live as any, ctx as any);
    expect(sent).toEqual({
      name: 'projects/my-project/locations/us-east4-a/clusters/gke-east',
      update: { desiredClusterAutoscaling: (resource.body as any).autoscaling },
    });
    // GKE reads int64 limits back as strings: the same budget is no change.
    const upToDate = {
      ...live,
      autoscaling: {
        ...(resource.body as any).autoscaling,
        resourceLimits: (resource.body as any).autoscaling.resourceLimits.map((l: any) => ({
          ...l,
          maximum: String(l.maximum),
        })),
      },
    };
    expect(clusterHandler.diff(resource, upToDate as any, {} as any).action).toBe('noop');
  });

  it('leaves auto-provisioning someone else turned on alone when the spec has no classes', () => {
    const resource = clusterOf(renderDesiredState(exampleSpec()).resources, 'gke-east');
    const live = {
      status: 'RUNNING',
      network: 'default',
      resourceLabels: { 'managed-by': 'spillway' },
      networkConfig: { gatewayApiConfig: { channel: 'CHANNEL_STANDARD' } },
      monitoringConfig: (resource.body as any).monitoringConfig,
      workloadIdentityConfig: (resource.body as any).workloadIdentityConfig,
      podAutoscaling: { hpaProfile: 'PERFORMANCE' },
      autoscaling: {
        enableNodeAutoprovisioning: true,
        resourceLimits: [{ resourceType: 'cpu', maximum: '100' }],
      },
    };
    expect(clusterHandler.diff(resource, live as any, {} as any).action).toBe('noop');
  });
});

describe('capacity classes: apply.sh', () => {
  it('turns on node auto-provisioning with the same limits after creating each cluster', () => {
    const spec = capacitySpec();
    const script = renderScript(spec, renderDesiredState(spec));
    expect(script).toContain(
      [
        'gcloud container clusters update gke-east --location=us-east4-a --project=my-project --enable-autoprovisioning \\',
        `  --max-cpu=${3 * 16 + 2 * 208} --max-memory=${3 * 64 + 2 * 1872} --max-accelerator=type=nvidia-h100-80gb,count=16 \\`,
      ].join('\n'),
    );
    expect(renderScript(exampleSpec(), renderDesiredState(exampleSpec()))).not.toContain(
      '--enable-autoprovisioning',
    );
  });
});
