import { REQUIRED_APIS } from '../render/gcp.js';
import { unreadable, type PreflightCheck } from './report.js';
import { GPUS_ALL_REGIONS } from './metrics.js';
import type { Observed } from './reads.js';

/** Spillway creates no network: one that is missing would fail the run half-way, at the proxy-only subnets. */
export function networkCheck(o: Observed): PreflightCheck {
  const { network, projectId } = o.platform;
  const name = `network ${network}`;
  if (o.network.ok) return { name, found: `exists in project ${projectId}`, verdict: 'ok' };
  if (o.network.notFound)
    return {
      name,
      found: `not found in project ${projectId}`,
      verdict: 'failure',
      todo: `Spillway creates no network: create it (gcloud compute networks create ${network} --project=${projectId}) or set spec.network to an existing one`,
    };
  return unreadable(
    name,
    o.network,
    'check that the credentials may read Compute networks (compute.networks.get)',
  );
}

/** Apply enables the APIs it needs; preflight says which it will enable. */
export function apisCheck(o: Observed): PreflightCheck {
  const name = 'APIs enabled';
  if (!o.enabledApis.ok)
    return unreadable(
      name,
      o.enabledApis,
      'check that the credentials may list services (serviceusage.services.list)',
    );
  const enabled = o.enabledApis.value;
  const missing = REQUIRED_APIS.filter((api) => !enabled.has(api));
  return {
    name,
    found: `${REQUIRED_APIS.length - missing.length} of ${REQUIRED_APIS.length} needed are enabled${missing.length ? `; apply enables the others (${missing.map((api) => api.replace('.googleapis.com', '')).join(', ')})` : ''}`,
    verdict: 'ok',
  };
}

/** The project-wide GPU quota against every GPU the platform could hold. */
export function gpusAllRegionsCheck(o: Observed): PreflightCheck | undefined {
  const gpus = o.demand.filter((d) => d.accelerator.kind === 'gpu');
  if (!gpus.length) return undefined;
  const name = `quota ${GPUS_ALL_REGIONS}`;
  if (!o.projectQuotas.ok)
    return unreadable(
      name,
      o.projectQuotas,
      'check that the credentials may read the project (compute.projects.get)',
    );
  const quota = o.projectQuotas.value.get(GPUS_ALL_REGIONS);
  if (!quota) return { name, found: 'the project lists no such quota', verdict: 'ok' };
  const created = gpus.reduce((n, d) => n + (d.source === 'pool' && isNewPool(o, d) ? d.initial : 0), 0);
  const most = gpus.reduce((n, d) => n + (d.source === 'pool' ? d.max : d.budget), 0);
  const free = quota.limit - quota.usage;
  const found = `limit ${quota.limit}, in use ${quota.usage}; the platform could hold ${most} GPUs (${created} when its new pools are created)`;
  const todo = `request more ${GPUS_ALL_REGIONS} (IAM & Admin → Quotas) or lower the pools' nodes.max and the classes' maxAccelerators`;
  if (quota.limit < created) return { name, found, verdict: certainty(o), todo };
  if (free < most) return { name, found, verdict: 'warning', todo };
  return { name, found, verdict: 'ok' };
}

/** What creating needs is certain only when GKE said what exists; else a failure is a warning. */
export function certainty(o: Observed): 'failure' | 'warning' {
  return o.clusters.ok ? 'failure' : 'warning';
}

/** A pool that does not exist yet (its create asks for its initial nodes); unknown counts as new. */
export { unreadable };

export function isNewPool(
  o: Observed,
  d: { cluster: { location: string; name: string }; pool: string },
): boolean {
  if (!o.clusters.ok) return true;
  return !o.clusters.value.get(`${d.cluster.location}/${d.cluster.name}`)?.pools.has(d.pool);
}

/** The spec's GKE version, offered where a cluster would be created (one that exists keeps its own). */
export function versionChecks(o: Observed, region: string): PreflightCheck[] {
  const { gkeVersion, releaseChannel } = o.platform;
  const clusters = o.platform.clusters.filter((c) => c.region === region);
  return [...new Set(clusters.map((c) => c.location))].map((location) => {
    const name = `GKE ${gkeVersion} in ${location}`;
    const read = o.serverConfigs.get(location)!;
    if (!read.ok)
      return unreadable(name, read, 'check that the credentials may read GKE (container.clusters.list)');
    const offered = releaseChannel
      ? (read.value.channels[releaseChannel.toUpperCase()] ?? [])
      : read.value.validMasterVersions;
    const where = releaseChannel ? `the ${releaseChannel} channel in ${location}` : location;
    if (offered.includes(gkeVersion)) return { name, found: `offered in ${where}`, verdict: 'ok' };
    const existing = clusters.filter(
      (c) => c.location === location && o.clusters.ok && o.clusters.value.has(`${location}/${c.name}`),
    );
    const found = `not offered in ${where} (offered: ${offered.slice(0, 4).join(', ') || 'none'}${offered.length > 4 ? ', …' : ''})`;
    const todo = `set spec.gkeVersion to a version \`gcloud container get-server-config --location=${location}\` lists${releaseChannel ? ` for ${releaseChannel}` : ''}`;
    if (existing.length === clusters.filter((c) => c.location === location).length)
      return {
        name,
        found: `${found}; the cluster exists, so nothing is created at it`,
        verdict: 'warning',
        todo,
      };
    return { name, found, verdict: certainty(o), todo };
  });
}
