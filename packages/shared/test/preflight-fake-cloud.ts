import type { Cloud } from '../src/index.js';

/**
 * An in-memory Google Cloud for preflight's reads: Compute, Service Usage and GKE answer from
 * plain data, shaped as the real APIs answer (regions.get quotas, int64 counts as strings). Every
 * call is recorded with its method, so a test can prove preflight only reads.
 */
export interface FakeWorld {
  networks: string[];
  enabledApis: string[];
  projectQuotas: Record<string, { limit: number; usage: number }>;
  regionQuotas: Record<string, Record<string, { limit: number; usage: number }>>;
  /** zone → accelerator types offered */
  offered: Record<string, string[]>;
  /** `zone/name` → reservation */
  reservations: Record<string, { machineType: string; count: number; inUseCount: number; gpus?: number }>;
  /** location → versions offered (master and every channel) */
  versions: Record<string, string[]>;
  /** Clusters that exist: `location/name` → their node pools. */
  clusters: Record<string, string[]>;
  /** Permissions the caller lacks (testIamPermissions answers the rest). */
  withheld: string[];
  /** Paths that answer 503 this many more times. */
  unavailable: Record<string, number>;
}

export function fakeWorld(): FakeWorld {
  const quotas = { limit: 64, usage: 0 };
  const region = {
    NVIDIA_H100_GPUS: quotas,
    PREEMPTIBLE_NVIDIA_H100_GPUS: quotas,
    TPU_LITE_PODSLICE_V5: quotas,
    PREEMPTIBLE_TPU_LITE_PODSLICE_V5: quotas,
  };
  return {
    networks: ['default'],
    enabledApis: ['compute.googleapis.com', 'container.googleapis.com'],
    projectQuotas: { GPUS_ALL_REGIONS: { limit: 256, usage: 0 } },
    regionQuotas: { 'us-east4': { ...region }, 'europe-west3': { ...region } },
    offered: {},
    reservations: {},
    versions: {},
    clusters: {},
    withheld: [],
    unavailable: {},
  };
}

const notFound = (path: string) =>
  Object.assign(new Error(`GET ${path}: 404`), { response: { status: 404, data: { error: { code: 404 } } } });

export function fakeCloud(world: FakeWorld, calls: string[]): Cloud {
  const zonesOf = (region: string) => ['a', 'b', 'c'].map((z) => `${region}-${z}`);
  const answer = (path: string): unknown => {
    let m: RegExpExecArray | null;
    if ((m = /^\/compute\/v1\/projects\/[^/]+\/global\/networks\/(.+)$/.exec(path)))
      return world.networks.includes(m[1]!) ? { name: m[1] } : undefined;
    if (/^\/compute\/v1\/projects\/[^/]+$/.exec(path))
      return { quotas: Object.entries(world.projectQuotas).map(([metric, q]) => ({ metric, ...q })) };
    if ((m = /^\/compute\/v1\/projects\/[^/]+\/regions\/([^/]+)$/.exec(path)))
      return {
        quotas: Object.entries(world.regionQuotas[m[1]!] ?? {}).map(([metric, q]) => ({ metric, ...q })),
        zones: zonesOf(m[1]!).map((z) => `https://www.googleapis.com/compute/v1/projects/p/zones/${z}`),
      };
    if ((m = /^\/compute\/v1\/projects\/[^/]+\/zones\/([^/]+)\/acceleratorTypes$/.exec(path)))
      return { items: (world.offered[m[1]!] ?? ['nvidia-h100-80gb', 'nvidia-l4']).map((name) => ({ name })) };
    if ((m = /^\/compute\/v1\/projects\/[^/]+\/zones\/([^/]+)\/reservations\/([^/]+)$/.exec(path))) {
      const r = world.reservations[`${m[1]}/${m[2]}`];
      return r
        ? {
            specificReservation: {
              instanceProperties: {
                machineType: r.machineType,
                ...(r.gpus
                  ? { guestAccelerators: [{ acceleratorType: 'nvidia-h100-80gb', acceleratorCount: r.gpus }] }
                  : {}),
              },
              count: String(r.count),
              inUseCount: String(r.inUseCount),
            },
          }
        : undefined;
    }
    if (/^\/v1\/projects\/[^/]+\/services\?/.exec(path))
      return { services: world.enabledApis.map((name) => ({ config: { name } })) };
    return undefined;
  };
  const rest = () => ({
    async request(method: string, path: string, body?: { permissions: string[] }) {
      calls.push(`${method} ${path}`);
      if (path.endsWith(':testIamPermissions'))
        return { permissions: body!.permissions.filter((p) => !world.withheld.includes(p)) } as any;
      if (world.unavailable[path]) {
        world.unavailable[path]--;
        throw Object.assign(new Error(`GET ${path}: 503`), { response: { status: 503, data: {} } });
      }
      const value = answer(path);
      if (value === undefined) throw notFound(path);
      return value as any;
    },
  });
  const container = {
    async getServerConfig({ name }: { name: string }) {
      calls.push(`GetServerConfig ${name}`);
      const location = name.split('/').pop()!;
      const versions = world.versions[location] ?? ['1.34.1-gke.1127000'];
      return [
        {
          validMasterVersions: versions,
          channels: ['RAPID', 'REGULAR'].map((channel) => ({ channel, validVersions: versions })),
        },
      ];
    },
    async listClusters({ parent }: { parent: string }) {
      calls.push(`ListClusters ${parent}`);
      if (world.unavailable['ListClusters']) {
        world.unavailable['ListClusters']--;
        throw Object.assign(new Error('14 UNAVAILABLE: injected'), { code: 14 });
      }
      const clusters = Object.entries(world.clusters).map(([key, pools]) => {
        const [location, name] = key.split('/');
        return {
          location,
          name,
          currentMasterVersion: '1.33.5-gke.1000000',
          nodePools: pools.map((p) => ({ name: p })),
        };
      });
      return [{ clusters }];
    },
  };
  return {
    emulated: true,
    container: () => container as any,
    rest: rest as any,
    kube: () => Promise.reject(new Error('preflight never reaches Kubernetes')),
    close: async () => undefined,
  };
}
