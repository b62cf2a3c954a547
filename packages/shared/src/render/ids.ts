import type { KubeManifest } from './graph.js';

/** Resource ids: stable, readable, unique within a desired state. */
export const ids = {
  api: (project: string, service: string) => `serviceusage.service/${project}/${service}`,
  cluster: (project: string, location: string, name: string) =>
    `container.cluster/${project}/${location}/${name}`,
  nodePool: (project: string, location: string, cluster: string, name: string) =>
    `container.nodePool/${project}/${location}/${cluster}/${name}`,
  membership: (project: string, name: string) => `gkehub.membership/${project}/global/${name}`,
  feature: (project: string, name: string) => `gkehub.feature/${project}/global/${name}`,
  subnetwork: (project: string, region: string, name: string) =>
    `compute.subnetwork/${project}/${region}/${name}`,
  iam: (project: string, role: string, member: string) => `iam.binding/${project}/${role}/${member}`,
  kube: (cluster: string, m: Pick<KubeManifest, 'apiVersion' | 'kind' | 'metadata'>) => {
    const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : 'core';
    const ns = m.metadata.namespace ?? '_cluster';
    return `kubernetes/${cluster}/${group}/${m.kind}/${ns}/${m.metadata.name}`;
  },
};

/** The kubectl context name gcloud get-credentials writes: gke_PROJECT_LOCATION_CLUSTER. */
export const kubeContext = (project: string, location: string, cluster: string) =>
  `gke_${project}_${location}_${cluster}`;

/** Name of the proxy-only subnet Spillway creates in a region (an existing one is adopted instead). */
export const proxySubnetName = (region: string) => `spillway-proxy-${region}`;

export const workloadPool = (project: string) => `${project}.svc.id.goog`;

export const membershipName = (project: string, membershipId: string) =>
  `projects/${project}/locations/global/memberships/${membershipId}`;
