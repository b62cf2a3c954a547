import type { Cloud } from '../cloud/clients.js';
import { describeCallError, isNotFound, toCallError } from '../cloud/errors.js';
import { withRetries } from '../engine/retry.js';
import type { Timing } from '../engine/types.js';
import type { Platform } from '../spec/model.js';
import { platformDemand, type ClassDemand, type PoolDemand } from './demand.js';
import { RUN_PERMISSIONS } from './permissions.js';

/**
 * Everything preflight reads for one platform, read once, in parallel, through the engine's read
 * path (its retries, backoff and clock, with the plan's read deadline). GET calls only: preflight
 * never changes anything. A read that fails is kept as such; the checks say what it means.
 */
export type Read<T> = { ok: true; value: T } | { ok: false; notFound: boolean; error: string };

export interface Quota {
  limit: number;
  usage: number;
}

export interface RegionInfo {
  quotas: Map<string, Quota>;
  zones: string[];
}

export interface ReservationInfo {
  machineType: string;
  count: number;
  inUseCount: number;
  accelerator?: { type: string; count: number };
}

export interface ServerConfigInfo {
  validMasterVersions: string[];
  /** RAPID → its valid versions … */
  channels: Record<string, string[]>;
}

export interface LiveCluster {
  currentMasterVersion: string;
  pools: Set<string>;
}

export interface Observed {
  platform: Platform;
  demand: (PoolDemand | ClassDemand)[];
  network: Read<unknown>;
  enabledApis: Read<Set<string>>;
  /** Of RUN_PERMISSIONS, the ones the caller holds on the project. */
  permissions: Read<Set<string>>;
  projectQuotas: Read<Map<string, Quota>>;
  /** `location/name` → the cluster as GKE has it; absent: it would be created. */
  clusters: Read<Map<string, LiveCluster>>;
  regions: Map<string, Read<RegionInfo>>;
  /** Zone → the accelerator types it offers. */
  acceleratorTypes: Map<string, Read<Set<string>>>;
  serverConfigs: Map<string, Read<ServerConfigInfo>>;
  /** `project/zone/name` → the reservation. */
  reservations: Map<string, Read<ReservationInfo>>;
}

export const reservationKey = (r: { project: string; zone: string; name: string }) =>
  `${r.project}/${r.zone}/${r.name}`;

const quotaMap = (list: { metric?: string; limit?: number; usage?: number }[] | undefined) =>
  new Map(
    (list ?? []).map((q) => [String(q.metric), { limit: Number(q.limit ?? 0), usage: Number(q.usage ?? 0) }]),
  );

/** Told of each retry, so none is silent (the engine shows every retry it makes). */
export type OnRetry = (what: string, error: string, attempt: number) => void;

export async function readPlatform(
  platform: Platform,
  cloud: Cloud,
  timing: Timing,
  onRetry?: OnRetry,
): Promise<Observed> {
  const deadline = timing.clock.now() + timing.readTimeoutMs;
  const read = <T>(what: string, call: () => Promise<T>): Promise<Read<T>> =>
    withRetries(call, timing, deadline, (e, attempt) => onRetry?.(what, describeCallError(e), attempt)).then(
      (value): Read<T> => ({ ok: true, value }),
      (error): Read<T> => {
        const e = toCallError(error);
        const why = e.status || e.networkCode || e.reasons.length ? describeCallError(e) : e.message;
        return { ok: false, notFound: isNotFound(e), error: why.split('\n')[0]! };
      },
    );
  const project = platform.projectId;
  const compute = (path: string) =>
    cloud.rest('compute').request('GET', `/compute/v1/projects/${project}${path}`);
  const demand = platformDemand(platform);
  const regions = [...new Set(platform.clusters.map((c) => c.region))];
  const locations = [...new Set(platform.clusters.map((c) => c.location))];
  const reservations = demand.flatMap((d) =>
    d.source === 'class' ? d.tiers.flatMap((t) => (t.kind === 'reservation' ? [t] : [])) : [],
  );

  const [
    network,
    enabledApis,
    permissions,
    projectQuotas,
    clusters,
    regionReads,
    serverConfigs,
    reservationReads,
  ] = await Promise.all([
    read(`network ${platform.network}`, () =>
      compute(`/global/networks/${encodeURIComponent(platform.network)}`),
    ),
    read('enabled APIs', () => enabledServices(cloud, project)),
    read('permissions', () => heldPermissions(cloud, project)),
    read('project quotas', async () => quotaMap((await compute('')).quotas)),
    read('GKE clusters', () => liveClusters(cloud, project)),
    Promise.all(
      regions.map(async (region) => {
        const got = await read(`region ${region}`, async (): Promise<RegionInfo> => {
          const r = await compute(`/regions/${region}`);
          return {
            quotas: quotaMap(r.quotas),
            zones: ((r.zones ?? []) as string[]).map((z) => z.split('/').pop()!).sort(),
          };
        });
        return [region, got] as const;
      }),
    ),
    Promise.all(
      locations.map(async (location) => {
        const got = await read(`GKE versions in ${location}`, async (): Promise<ServerConfigInfo> => {
          const [config] = await cloud
            .container()
            .getServerConfig({ name: `projects/${project}/locations/${location}` });
          return {
            validMasterVersions: config.validMasterVersions ?? [],
            channels: Object.fromEntries(
              (config.channels ?? []).map((c) => [String(c.channel), c.validVersions ?? []]),
            ),
          };
        });
        return [location, got] as const;
      }),
    ),
    Promise.all(
      [...new Map(reservations.map((r) => [reservationKey(r), r])).values()].map(async (r) => {
        const got = await read(`reservation ${r.name}`, async (): Promise<ReservationInfo> => {
          const live = await cloud
            .rest('compute')
            .request('GET', `/compute/v1/projects/${r.project}/zones/${r.zone}/reservations/${r.name}`);
          const specific = live.specificReservation ?? {};
          const gpu = specific.instanceProperties?.guestAccelerators?.[0];
          return {
            machineType: String(specific.instanceProperties?.machineType ?? ''),
            count: Number(specific.count ?? 0),
            inUseCount: Number(specific.inUseCount ?? 0),
            ...(gpu
              ? { accelerator: { type: String(gpu.acceleratorType), count: Number(gpu.acceleratorCount) } }
              : {}),
          };
        });
        return [reservationKey(r), got] as const;
      }),
    ),
  ]);

  // Zones to ask about accelerators: a zonal cluster's own; a regional cluster's region's zones.
  const regionMap = new Map(regionReads);
  const zones = new Set<string>();
  for (const c of platform.clusters) {
    if (!demand.some((d) => d.region === c.region)) continue;
    if (c.zonal) zones.add(c.location);
    else {
      const info = regionMap.get(c.region);
      for (const z of info?.ok ? info.value.zones : []) zones.add(z);
    }
  }
  const acceleratorTypes = new Map(
    await Promise.all(
      [...zones].sort().map(async (zone) => {
        const got = await read(`accelerators in ${zone}`, async () => {
          const list = await compute(`/zones/${zone}/acceleratorTypes`);
          return new Set(((list.items ?? []) as { name: string }[]).map((i) => i.name));
        });
        return [zone, got] as const;
      }),
    ),
  );
  return {
    platform,
    demand,
    network,
    enabledApis,
    permissions,
    projectQuotas,
    clusters,
    regions: regionMap,
    acceleratorTypes,
    serverConfigs: new Map(serverConfigs),
    reservations: new Map(reservationReads),
  };
}

async function enabledServices(cloud: Cloud, project: string): Promise<Set<string>> {
  const names = new Set<string>();
  let pageToken = '';
  do {
    const page = await cloud
      .rest('serviceusage')
      .request(
        'GET',
        `/v1/projects/${project}/services?filter=state:ENABLED&pageSize=200${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
      );
    for (const s of page.services ?? []) names.add(String(s.config?.name ?? String(s.name).split('/').pop()));
    pageToken = page.nextPageToken ?? '';
  } while (pageToken);
  return names;
}

/** testIamPermissions answers with the held subset; a POST that reads only. */
async function heldPermissions(cloud: Cloud, project: string): Promise<Set<string>> {
  const answer = await cloud
    .rest('cloudresourcemanager')
    .request('POST', `/v1/projects/${project}:testIamPermissions`, {
      permissions: Object.keys(RUN_PERMISSIONS),
    });
  return new Set<string>(answer.permissions ?? []);
}

async function liveClusters(cloud: Cloud, project: string): Promise<Map<string, LiveCluster>> {
  const [list] = await cloud.container().listClusters({ parent: `projects/${project}/locations/-` });
  return new Map(
    (list.clusters ?? []).map((c) => [
      `${c.location}/${c.name}`,
      {
        currentMasterVersion: c.currentMasterVersion ?? '',
        pools: new Set((c.nodePools ?? []).map((p) => String(p.name))),
      },
    ]),
  );
}
