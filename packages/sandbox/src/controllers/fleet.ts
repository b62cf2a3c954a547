import type { KubeObject } from '../kube/index.js';
import { clusterRefs, type ClusterRef, type ControllerContext } from './context.js';

/**
 * Multi-cluster export (GKE-FACTS.md §11): an InferencePool annotated `networking.gke.io/export:
 * "True"` in a fleet member shows up as a GCPInferencePoolImport of the same name and namespace in
 * the config cluster of the multiclusteringress feature, listing the clusters that export it.
 */
export const EXPORT_ANNOTATION = 'networking.gke.io/export';
const IMPORT_API = 'networking.gke.io/v1';
const IMPORT_KIND = 'GCPInferencePoolImport';
export const MANAGER = 'spillway-sandbox-controller';

export interface FleetView {
  config?: ClusterRef;
  members: ClusterRef[];
}

/** The config cluster and the member clusters, as GKE Hub says. */
export function fleetView(ctx: ControllerContext, project: string): FleetView {
  const hub = ctx.google.states.gkehub;
  const feature = Object.values(hub.features).find(
    (f: any) =>
      f.name === `projects/${project}/locations/global/features/multiclusteringress` &&
      f.resourceState?.state === 'ACTIVE',
  ) as any;
  const memberLinks = Object.values(hub.memberships)
    .filter((m: any) => m.name.startsWith(`projects/${project}/`) && m.state?.code === 'READY')
    .map((m: any) => ({ name: m.name as string, link: m.endpoint?.gkeCluster?.resourceLink as string }));
  const clusters = clusterRefs(ctx).filter((c) => c.project === project);
  const byLink = (link: string | undefined) =>
    clusters.find((c) => link?.endsWith(`/locations/${c.location}/clusters/${c.name}`));
  const members = memberLinks.map((m) => byLink(m.link)).filter((c): c is ClusterRef => !!c);
  const configMembership = feature?.spec?.multiclusteringress?.configMembership as string | undefined;
  const configLink = memberLinks.find(
    (m) => configMembership && m.name.endsWith(`/memberships/${configMembership.split('/').pop()}`),
  )?.link;
  return { config: byLink(configLink), members };
}

export function reconcileExports(ctx: ControllerContext) {
  const projects = new Set(clusterRefs(ctx).map((c) => c.project));
  for (const project of projects) {
    const { config, members } = fleetView(ctx, project);
    if (!config) continue;
    const exported = new Map<string, { pool: KubeObject; clusters: ClusterRef[] }>();
    for (const member of members) {
      for (const pool of member.server.store.list('inference.networking.k8s.io/v1', 'InferencePool')) {
        if (pool.metadata.annotations?.[EXPORT_ANNOTATION] !== 'True') continue;
        const key = `${pool.metadata.namespace}/${pool.metadata.name}`;
        const entry = exported.get(key) ?? { pool, clusters: [] };
        entry.clusters.push(member);
        exported.set(key, entry);
      }
    }
    const store = config.server.store;
    for (const [key, { clusters }] of exported) {
      const [namespace, name] = key.split('/') as [string, string];
      if (!store.get('v1', 'Namespace', undefined, namespace)) continue;
      const status = {
        exportingClusters: clusters.map((c) => ({ name: c.name, location: c.location, region: c.region })),
      };
      const existing = store.get(IMPORT_API, IMPORT_KIND, namespace, name);
      if (!existing) {
        store.create(
          { apiVersion: IMPORT_API, kind: IMPORT_KIND, metadata: { name, namespace } },
          { manager: MANAGER },
        );
      }
      if (JSON.stringify(existing?.status) !== JSON.stringify(status)) {
        store.patchStatus(IMPORT_API, IMPORT_KIND, namespace, name, status, { manager: MANAGER });
      }
    }
    for (const existing of store.list(IMPORT_API, IMPORT_KIND)) {
      if (!exported.has(`${existing.metadata.namespace}/${existing.metadata.name}`)) {
        store.delete(IMPORT_API, IMPORT_KIND, existing.metadata.namespace, existing.metadata.name);
      }
    }
  }
}
