import type { Cluster, Platform } from '../spec/model.js';
import type { GraphBuilder, Owner } from './graph.js';
import { ids, membershipName, proxySubnetName, workloadPool } from './ids.js';
import { gcpLabels } from './labels.js';
import { clusterAutoscaling } from './cluster-autoscaling.js';

/** APIs the seeds enable: GKE, fleets, multi-cluster ingress/services, the proxies, metrics. */
export const REQUIRED_APIS = [
  'autoscaling.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'compute.googleapis.com',
  'container.googleapis.com',
  'dns.googleapis.com',
  'gkehub.googleapis.com',
  'monitoring.googleapis.com',
  'multiclusteringress.googleapis.com',
  'multiclusterservicediscovery.googleapis.com',
  'networkservices.googleapis.com',
  'trafficdirector.googleapis.com',
] as const;

/** gcloud's default node scopes; monitoring is what the metric pipeline needs. */
export const NODE_OAUTH_SCOPES = [
  'https://www.googleapis.com/auth/devstorage.read_only',
  'https://www.googleapis.com/auth/logging.write',
  'https://www.googleapis.com/auth/monitoring',
  'https://www.googleapis.com/auth/service.management.readonly',
  'https://www.googleapis.com/auth/servicecontrol',
  'https://www.googleapis.com/auth/trace.append',
];

/** The custom-metrics adapter's Workload Identity principal (seed 000); `{projectNumber}` is resolved at apply. */
export const adapterPrincipal = (project: string) =>
  `principal://iam.googleapis.com/projects/{projectNumber}/locations/global/workloadIdentityPools/${workloadPool(project)}/subject/ns/custom-metrics/sa/custom-metrics-stackdriver-adapter`;

export const DEFAULT_NODE_SERVICE_ACCOUNT =
  'serviceAccount:{projectNumber}-compute@developer.gserviceaccount.com';

/** Project roles: the adapter reads metrics; the nodes write them (seed 000 "Before you begin"). */
export const iamBindingsFor = (project: string) => [
  { role: 'roles/monitoring.viewer', member: adapterPrincipal(project) },
  { role: 'roles/monitoring.metricWriter', member: DEFAULT_NODE_SERVICE_ACCOUNT },
  { role: 'roles/stackdriver.resourceMetadata.writer', member: DEFAULT_NODE_SERVICE_ACCOUNT },
];

export function clusterBody(platform: Platform, cluster: Cluster): Record<string, unknown> {
  return {
    name: cluster.name,
    initialClusterVersion: platform.gkeVersion,
    ...(platform.releaseChannel
      ? { releaseChannel: { channel: platform.releaseChannel.toUpperCase() } }
      : {}),
    network: platform.network,
    nodePools: [
      {
        name: 'default-pool',
        // gcloud's default of 3 nodes, per zone: a regional cluster gets one per zone instead.
        initialNodeCount: cluster.zonal ? 3 : 1,
        config: {
          machineType: cluster.machineType,
          diskType: cluster.diskType,
          oauthScopes: NODE_OAUTH_SCOPES,
          workloadMetadataConfig: { mode: 'GKE_METADATA' },
        },
        management: { autoUpgrade: true, autoRepair: true },
      },
    ],
    ipAllocationPolicy: { useIpAliases: true },
    networkConfig: { gatewayApiConfig: { channel: 'CHANNEL_STANDARD' } },
    monitoringConfig: {
      componentConfig: { enableComponents: ['SYSTEM_COMPONENTS', 'DCGM'] },
      managedPrometheusConfig: { enabled: true },
    },
    podAutoscaling: { hpaProfile: 'PERFORMANCE' },
    // Only with capacity classes, so a platform without them keeps its body byte for byte.
    ...(platform.capacityClasses.length
      ? { autoscaling: clusterAutoscaling(platform, cluster, NODE_OAUTH_SCOPES) }
      : {}),
    workloadIdentityConfig: { workloadPool: workloadPool(platform.projectId) },
    resourceLabels: gcpLabels(platform.name),
  };
}

export function nodePoolBody(
  platform: Platform,
  cluster: Cluster,
  pool: Cluster['acceleratorPools'][number],
) {
  return {
    name: pool.name,
    initialNodeCount: pool.nodes.initial,
    config: {
      machineType: pool.machineType,
      spot: pool.spot,
      accelerators: [
        {
          acceleratorCount: String(pool.accelerator.count),
          acceleratorType: pool.accelerator.type,
          gpuDriverInstallationConfig: { gpuDriverVersion: 'LATEST' },
        },
      ],
      oauthScopes: NODE_OAUTH_SCOPES,
      workloadMetadataConfig: { mode: 'GKE_METADATA' },
      resourceLabels: gcpLabels(platform.name),
    },
    autoscaling: { enabled: true, minNodeCount: pool.nodes.min, maxNodeCount: pool.nodes.max },
    ...(cluster.zonal ? { locations: [cluster.location] } : {}),
    management: { autoUpgrade: true, autoRepair: true },
  };
}

/** Every Google Cloud resource of a platform. Returns the ids later layers depend on. */
export function renderPlatformGcp(graph: GraphBuilder, platform: Platform) {
  const project = platform.projectId;
  const owner: Owner = { platform: platform.name };
  const apiIds = REQUIRED_APIS.map((service) =>
    graph.add({
      type: 'serviceusage.service',
      id: ids.api(project, service),
      dependsOn: [],
      owner,
      title: `enable ${service}`,
      project,
      service,
    }),
  );
  const api = (service: (typeof REQUIRED_APIS)[number]) => ids.api(project, service);

  const clusterIds = new Map<string, string>();
  const nodePoolIds = new Map<string, string[]>();
  const membershipIds: string[] = [];
  for (const cluster of platform.clusters) {
    const clusterId = graph.add({
      type: 'container.cluster',
      id: ids.cluster(project, cluster.location, cluster.name),
      dependsOn: [api('container.googleapis.com'), api('compute.googleapis.com')],
      owner,
      title: `GKE cluster ${cluster.name} (${cluster.location})`,
      project,
      location: cluster.location,
      name: cluster.name,
      body: clusterBody(platform, cluster),
    });
    clusterIds.set(cluster.name, clusterId);
    nodePoolIds.set(
      cluster.name,
      cluster.acceleratorPools.map((pool) =>
        graph.add({
          type: 'container.nodePool',
          id: ids.nodePool(project, cluster.location, cluster.name, pool.name),
          dependsOn: [clusterId],
          owner,
          title: `node pool ${pool.name} in ${cluster.name} (${pool.nodes.min}–${pool.nodes.max} × ${pool.machineType})`,
          project,
          location: cluster.location,
          cluster: cluster.name,
          name: pool.name,
          body: nodePoolBody(platform, cluster, pool),
        }),
      ),
    );
    membershipIds.push(
      graph.add({
        type: 'gkehub.membership',
        id: ids.membership(project, cluster.name),
        dependsOn: [clusterId, api('gkehub.googleapis.com')],
        owner,
        title: `fleet membership ${cluster.name}`,
        project,
        membershipId: cluster.name,
        body: {
          endpoint: {
            gkeCluster: {
              resourceLink: `//container.googleapis.com/projects/${project}/locations/${cluster.location}/clusters/${cluster.name}`,
            },
          },
          labels: gcpLabels(platform.name),
        },
      }),
    );
  }

  const mcs = graph.add({
    type: 'gkehub.feature',
    id: ids.feature(project, 'multiclusterservicediscovery'),
    dependsOn: [
      api('multiclusterservicediscovery.googleapis.com'),
      api('gkehub.googleapis.com'),
      api('dns.googleapis.com'),
    ],
    owner,
    title: 'fleet feature multi-cluster services',
    project,
    featureId: 'multiclusterservicediscovery',
    body: { labels: gcpLabels(platform.name) },
  });
  const mci = graph.add({
    type: 'gkehub.feature',
    id: ids.feature(project, 'multiclusteringress'),
    dependsOn: [
      mcs,
      api('multiclusteringress.googleapis.com'),
      api('trafficdirector.googleapis.com'),
      ...membershipIds,
    ],
    owner,
    title: `fleet feature multi-cluster ingress (config cluster ${platform.configCluster.name})`,
    project,
    featureId: 'multiclusteringress',
    body: {
      spec: {
        multiclusteringress: { configMembership: membershipName(project, platform.configCluster.name) },
      },
      labels: gcpLabels(platform.name),
    },
  });

  const subnetIds = new Map<string, string>();
  for (const cluster of platform.clusters) {
    const name = proxySubnetName(cluster.region);
    subnetIds.set(
      cluster.region,
      graph.add({
        type: 'compute.subnetwork',
        id: ids.subnetwork(project, cluster.region, name),
        dependsOn: [api('compute.googleapis.com')],
        owner,
        title: `proxy-only subnet ${cluster.proxySubnetCidr} in ${cluster.region}`,
        project,
        region: cluster.region,
        name,
        body: {
          name,
          ipCidrRange: cluster.proxySubnetCidr,
          network: `projects/${project}/global/networks/${platform.network}`,
          purpose: 'GLOBAL_MANAGED_PROXY',
          role: 'ACTIVE',
          description: `Proxy-only subnet for cross-region internal Gateways. managed-by: spillway, spillway-platform: ${platform.name}`,
        },
      }),
    );
  }

  const iamIds = iamBindingsFor(project).map(({ role, member }) =>
    graph.add({
      type: 'iam.binding',
      id: ids.iam(project, role, member),
      // The Workload Identity pool exists once a cluster has Workload Identity.
      dependsOn: [api('cloudresourcemanager.googleapis.com'), ...clusterIds.values()],
      owner,
      title: `grant ${role} to ${member.includes('custom-metrics') ? 'the custom-metrics adapter' : "the nodes' service account"}`,
      project,
      role,
      member,
    }),
  );

  return { apiIds, clusterIds, nodePoolIds, membershipIds, mci, subnetIds, iamIds };
}

export type PlatformGcpIds = ReturnType<typeof renderPlatformGcp>;
