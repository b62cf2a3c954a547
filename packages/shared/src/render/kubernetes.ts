import type { Cluster, Platform, Service } from '../spec/model.js';
import {
  GraphBuilder,
  type KubeManifest,
  type KubeObjectResource,
  type Owner,
  type SecretSource,
} from './graph.js';
import { ids, proxySubnetName } from './ids.js';
import { kubeLabels } from './labels.js';
import type { PlatformGcpIds } from './gcp.js';
import { inferenceObjectiveCrd } from './crd-inferenceobjective.js';
import { customMetricsAdapter } from './custom-metrics-adapter.js';
import { inferencePoolChart } from './inferencepool-chart.js';
import { modelServer } from './model-server.js';
import { autoscalingObjects } from './autoscaling.js';
import { gatewayObjects } from './gateway.js';
import { serviceRecord } from './service-record.js';
import {
  computeClass,
  COMPUTE_CLASS_API,
  COMPUTE_CLASS_SELECTOR,
  serverDisruptionBudget,
  serviceClass,
} from './compute-class.js';
import { guardrailObjects } from './guardrail.js';

const OBJECTIVE_API = 'inference.networking.x-k8s.io/v1alpha2';

interface KubeAdd {
  cluster: Cluster;
  owner: Owner;
  bundle: string;
  dependsOn?: string[];
  secretSource?: KubeObjectResource['secretSource'];
}

function addKube(graph: GraphBuilder, gcp: PlatformGcpIds, manifest: KubeManifest, opts: KubeAdd): string {
  const clusterId = gcp.clusterIds.get(opts.cluster.name)!;
  const deps = [clusterId, ...(opts.dependsOn ?? [])];
  const ns = manifest.metadata.namespace;
  if (ns && ns !== 'default') {
    const nsId = ids.kube(opts.cluster.name, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    if (graph.has(nsId)) deps.push(nsId);
  }
  const where = ns ? `${ns}/` : '';
  return graph.add({
    type: 'kubernetes.object',
    id: ids.kube(opts.cluster.name, manifest),
    dependsOn: deps,
    owner: opts.owner,
    title: `${manifest.kind} ${where}${manifest.metadata.name} in ${opts.cluster.name}`,
    cluster: opts.cluster.name,
    bundle: opts.bundle,
    manifest,
    ...(opts.secretSource ? { secretSource: opts.secretSource } : {}),
  });
}

/** Per cluster: the InferenceObjective CRD, the custom-metrics adapter, the capacity classes and their guardrail. */
export function renderPlatformKube(graph: GraphBuilder, platform: Platform, gcp: PlatformGcpIds) {
  const owner: Owner = { platform: platform.name };
  const labels = kubeLabels(owner);
  const crdIds = new Map<string, string>();
  const adapterIds = new Map<string, string[]>();
  for (const cluster of platform.clusters) {
    const opts = { cluster, owner, bundle: 'platform' };
    for (const c of platform.capacityClasses)
      addKube(graph, gcp, computeClass(platform, cluster, c, labels), opts);
    crdIds.set(cluster.name, addKube(graph, gcp, inferenceObjectiveCrd(labels), { ...opts, bundle: 'crds' }));
    adapterIds.set(
      cluster.name,
      customMetricsAdapter(labels).map((m) => addKube(graph, gcp, m, opts)),
    );
    // Params, then policy, then binding: the binding never runs without the objects it names.
    const guardrail: string[] = [];
    for (const m of guardrailObjects(platform.capacityClasses, labels))
      guardrail.push(addKube(graph, gcp, m, { ...opts, dependsOn: [...guardrail] }));
  }
  return { crdIds, adapterIds };
}

export type PlatformKubeIds = ReturnType<typeof renderPlatformKube>;

/** Every Kubernetes object of a service: per cluster in its regions, and the Gateway in the config cluster. */
export function renderServiceKube(
  graph: GraphBuilder,
  service: Service,
  gcp: PlatformGcpIds,
  platformKube: PlatformKubeIds,
) {
  const platform = service.platform;
  const owner: Owner = { platform: platform.name, service: service.name };
  const labels = kubeLabels(owner);
  const token = service.model.huggingFaceToken;
  const source: SecretSource =
    token.fromEnv !== undefined ? { fromEnv: token.fromEnv } : { secretManager: token.secretManager! };
  const adapterMonitoringViewer = gcp.iamIds.find((id) => id.includes('roles/monitoring.viewer'))!;
  const bundle = `service-${service.name}`;

  const ensureNamespace = (cluster: Cluster) => {
    if (service.namespace === 'default') return;
    // Shared by every service in the namespace, so it carries the platform's marks, not one service's.
    const nsOwner: Owner = { platform: platform.name };
    addKube(
      graph,
      gcp,
      {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: service.namespace, labels: kubeLabels(nsOwner) },
      },
      { cluster, owner: nsOwner, bundle: 'platform' },
    );
  };

  const poolIds: string[] = [];
  for (const cluster of service.clusters) {
    ensureNamespace(cluster);
    const add = (m: KubeManifest, dependsOn: string[] = [], extra: Partial<KubeAdd> = {}) =>
      addKube(graph, gcp, m, { cluster, owner, bundle, dependsOn, ...extra });
    const secret = add(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: token.secretName, namespace: service.namespace, labels },
        type: 'Opaque',
      },
      [],
      { secretSource: { key: 'token', source } },
    );
    const chart = inferencePoolChart(service, labels).map((m) => add(m));
    poolIds.push(chart[0]!);
    const nodePools = gcp.nodePoolIds.get(cluster.name)!;
    // On a capacity class the nodes come from the class's pools; else from the cluster's own.
    const onClass = serviceClass(service);
    const server = modelServer(
      service,
      onClass
        ? {
            nodeSelector: { [COMPUTE_CLASS_SELECTOR]: onClass.name },
            acceleratorResource: onClass.tpu ? 'google.com/tpu' : 'nvidia.com/gpu',
          }
        : {
            nodeSelector: {
              'cloud.google.com/gke-accelerator': cluster.acceleratorPools[0]!.accelerator.type,
            },
            acceleratorResource: 'nvidia.com/gpu',
          },
      labels,
    );
    const capacity = onClass
      ? [
          ids.kube(cluster.name, {
            apiVersion: COMPUTE_CLASS_API,
            kind: 'ComputeClass',
            metadata: { name: onClass.name },
          }),
        ]
      : nodePools;
    const serverIds: string[] = [];
    for (const m of server) {
      serverIds.push(add(m, m.kind === 'Deployment' ? [secret, ...capacity, ...serverIds] : []));
    }
    if (onClass) add(serverDisruptionBudget(service, labels));
    for (const objective of service.objectives) {
      add(
        {
          apiVersion: OBJECTIVE_API,
          kind: 'InferenceObjective',
          metadata: { name: objective.name, namespace: service.namespace, labels },
          spec: {
            priority: objective.priority,
            poolRef: { group: 'inference.networking.k8s.io', name: service.pool.name },
          },
        },
        [platformKube.crdIds.get(cluster.name)!],
      );
    }
    const deployment = serverIds[serverIds.length - 1]!;
    for (const m of autoscalingObjects(service, labels)) {
      const hpaNeeds =
        m.kind === 'HorizontalPodAutoscaler'
          ? [deployment, adapterMonitoringViewer, ...platformKube.adapterIds.get(cluster.name)!]
          : [];
      add(m, hpaNeeds);
    }
  }

  const config = platform.configCluster;
  ensureNamespace(config);
  const subnets = service.regions.map((region) =>
    ids.subnetwork(platform.projectId, region, proxySubnetName(region)),
  );
  const [gateway, route, ...policies] = gatewayObjects(service, labels);
  const gwBundle = `gateway-${service.name}`;
  const addGw = (m: KubeManifest, dependsOn: string[]) =>
    addKube(graph, gcp, m, { cluster: config, owner, bundle: gwBundle, dependsOn });
  const gatewayId = addGw(gateway!, [gcp.mci, ...subnets]);
  // The pools and their exports come before the route (gateway-api-inference-extension #1475).
  addGw(route!, [gatewayId, gcp.mci, ...poolIds]);
  for (const policy of policies) addGw(policy, [gcp.mci, ...poolIds]);
  addGw(serviceRecord(service, labels), []);
}
