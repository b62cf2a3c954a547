/**
 * What Compute says about capacity, as plain (persistable) data: regional and project quotas
 * (`regions.get`, `projects.get`), the accelerator types each zone offers (`acceleratorTypes.list`)
 * and zonal reservations (`reservations.get`). Defaults are generous, so the golden path passes a
 * preflight; tests and fault plans make them short with the setters below.
 */
import { ApiError } from '../rest.js';
import { copy, iso, numericId } from './common.js';
import { LINK } from './compute-subnets.js';

export interface QuotaValue {
  limit: number;
  usage: number;
}

export interface StoredReservation {
  name: string;
  machineType: string;
  /** VMs the reservation holds, and how many run in it now. */
  count: number;
  inUseCount: number;
  /** GPUs per VM, when the machine type carries them. */
  accelerator?: { type: string; count: number };
  specificReservationRequired: boolean;
  createdMs: number;
  id: string;
}

export interface CapacityState {
  /** project → region → metric → value, over the defaults. */
  regionQuotas: Record<string, Record<string, Record<string, QuotaValue>>>;
  /** project → metric → value, over the defaults (GPUS_ALL_REGIONS lives here). */
  projectQuotas: Record<string, Record<string, QuotaValue>>;
  /** zone → the accelerator types it offers, instead of the default offer. */
  acceleratorTypes: Record<string, string[]>;
  /** project → `zone/name` → reservation. */
  reservations: Record<string, Record<string, StoredReservation>>;
}

export function createCapacityState(): CapacityState {
  return { regionQuotas: {}, projectQuotas: {}, acceleratorTypes: {}, reservations: {} };
}

/** GPU types with their quota metric stem and what one VM may carry (Compute's acceleratorTypes). */
const GPUS: Record<string, { stem: string; description: string; maxPerVm: number }> = {
  'nvidia-h100-80gb': { stem: 'NVIDIA_H100', description: 'NVIDIA H100 80GB', maxPerVm: 8 },
  'nvidia-h100-mega-80gb': { stem: 'NVIDIA_H100_MEGA', description: 'NVIDIA H100 Mega 80GB', maxPerVm: 8 },
  'nvidia-h200-141gb': { stem: 'NVIDIA_H200', description: 'NVIDIA H200 141GB', maxPerVm: 8 },
  'nvidia-b200': { stem: 'NVIDIA_B200', description: 'NVIDIA B200', maxPerVm: 8 },
  'nvidia-tesla-a100': { stem: 'NVIDIA_A100', description: 'NVIDIA A100 40GB', maxPerVm: 16 },
  'nvidia-a100-80gb': { stem: 'NVIDIA_A100_80GB', description: 'NVIDIA A100 80GB', maxPerVm: 8 },
  'nvidia-l4': { stem: 'NVIDIA_L4', description: 'NVIDIA L4', maxPerVm: 8 },
  'nvidia-tesla-t4': { stem: 'NVIDIA_T4', description: 'NVIDIA T4', maxPerVm: 4 },
};

const DEFAULT_GPU_LIMIT = 64;

/** The quota metric a GPU draws on: NVIDIA_H100_GPUS, or PREEMPTIBLE_NVIDIA_H100_GPUS for Spot. */
export function gpuMetric(type: string, preemptible: boolean): string | undefined {
  const stem = GPUS[type]?.stem;
  return stem && `${preemptible ? 'PREEMPTIBLE_' : ''}${stem}_GPUS`;
}

/** The regional quotas every project starts with in the sandbox (metric → value). */
function defaultRegionQuotas(): Record<string, QuotaValue> {
  const quotas: Record<string, QuotaValue> = {
    CPUS: { limit: 2400, usage: 0 },
    SUBNETWORKS: { limit: 275, usage: 0 },
    TPU_LITE_PODSLICE_V5: { limit: 64, usage: 0 },
    PREEMPTIBLE_TPU_LITE_PODSLICE_V5: { limit: 64, usage: 0 },
  };
  for (const { stem } of Object.values(GPUS)) {
    quotas[`${stem}_GPUS`] = { limit: DEFAULT_GPU_LIMIT, usage: 0 };
    quotas[`PREEMPTIBLE_${stem}_GPUS`] = { limit: DEFAULT_GPU_LIMIT, usage: 0 };
    quotas[`COMMITTED_${stem}_GPUS`] = { limit: 0, usage: 0 };
  }
  return quotas;
}

const DEFAULT_PROJECT_QUOTAS: Record<string, QuotaValue> = {
  CPUS_ALL_REGIONS: { limit: 4800, usage: 0 },
  GPUS_ALL_REGIONS: { limit: 256, usage: 0 },
  NETWORKS: { limit: 15, usage: 0 },
};

const asList = (quotas: Record<string, QuotaValue>) =>
  Object.entries(quotas).map(([metric, q]) => ({ metric, limit: q.limit, usage: q.usage }));

/** The zones of a region the sandbox knows (`-a`, `-b`, `-c`, as most regions have). */
export function zonesOf(regions: string[], region: string): string[] {
  if (!regions.includes(region))
    throw new ApiError(404, `The resource 'projects/-/regions/${region}' was not found`, 'notFound');
  return ['a', 'b', 'c'].map((z) => `${region}-${z}`);
}

function checkZone(regions: string[], project: string, zone: string) {
  const region = zone.replace(/-[a-z]$/, '');
  if (region === zone || !regions.includes(region) || !zonesOf(regions, region).includes(zone))
    throw new ApiError(404, `The resource 'projects/${project}/zones/${zone}' was not found`, 'notFound');
}

/** `regions.get`: the Region resource with its quotas (metric, limit, usage), as Compute returns it. */
export function regionView(
  capacity: CapacityState,
  regions: string[],
  project: string,
  region: string,
  inUse: Record<string, number> = {},
) {
  if (!regions.includes(region))
    throw new ApiError(404, `The resource 'projects/${project}/regions/${region}' was not found`, 'notFound');
  const quotas = withUsage({ ...defaultRegionQuotas(), ...capacity.regionQuotas[project]?.[region] }, inUse);
  return {
    kind: 'compute#region',
    id: String(1000 + regions.indexOf(region)),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: region,
    description: region,
    status: 'UP',
    zones: zonesOf(regions, region).map((z) => `${LINK}projects/${project}/zones/${z}`),
    quotas: asList(quotas),
    selfLink: `${LINK}projects/${project}/regions/${region}`,
    supportsPzs: false,
  };
}

/** The usage a test set, plus what the sandbox's own node pools use. */
function withUsage(quotas: Record<string, QuotaValue>, inUse: Record<string, number>) {
  const out: Record<string, QuotaValue> = {};
  for (const [metric, q] of Object.entries(quotas))
    out[metric] = { limit: q.limit, usage: q.usage + (inUse[metric] ?? 0) };
  return out;
}

/** `projects.get`: the Project resource with its global quotas (GPUs in use: `gpusInUse`, every region's). */
export function projectView(capacity: CapacityState, project: string, projectNumber: string, gpusInUse = 0) {
  return {
    kind: 'compute#project',
    id: projectNumber,
    creationTimestamp: '2024-01-01T00:00:00.000-08:00',
    name: project,
    commonInstanceMetadata: { kind: 'compute#metadata', fingerprint: 'sandbox=' },
    quotas: asList(
      withUsage(
        { ...DEFAULT_PROJECT_QUOTAS, ...capacity.projectQuotas[project] },
        { GPUS_ALL_REGIONS: gpusInUse },
      ),
    ),
    selfLink: `${LINK}projects/${project}`,
    defaultServiceAccount: `${projectNumber}-compute@developer.gserviceaccount.com`,
    xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
    defaultNetworkTier: 'PREMIUM',
    vmDnsSetting: 'ZONAL_ONLY',
  };
}

/** `acceleratorTypes.list` for one zone. */
export function acceleratorTypeList(
  capacity: CapacityState,
  regions: string[],
  project: string,
  zone: string,
) {
  checkZone(regions, project, zone);
  const offered = capacity.acceleratorTypes[zone] ?? Object.keys(GPUS);
  const zoneLink = `${LINK}projects/${project}/zones/${zone}`;
  const items = offered.map((name) => ({
    kind: 'compute#acceleratorType',
    id: String(10_000 + Object.keys(GPUS).indexOf(name)),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name,
    description: GPUS[name]?.description ?? name,
    zone: zoneLink,
    selfLink: `${zoneLink}/acceleratorTypes/${name}`,
    maximumCardsPerInstance: GPUS[name]?.maxPerVm ?? 8,
  }));
  const list = {
    kind: 'compute#acceleratorTypeList',
    id: `projects/${project}/zones/${zone}/acceleratorTypes`,
    selfLink: `${zoneLink}/acceleratorTypes`,
  };
  return items.length ? { ...list, items } : list;
}

/** `reservations.get`: int64 counts as strings, as Compute's JSON writes them. */
export function reservationView(
  capacity: CapacityState,
  regions: string[],
  project: string,
  zone: string,
  name: string,
) {
  checkZone(regions, project, zone);
  const stored = capacity.reservations[project]?.[`${zone}/${name}`];
  if (!stored)
    throw new ApiError(
      404,
      `The resource 'projects/${project}/zones/${zone}/reservations/${name}' was not found`,
      'notFound',
    );
  const zoneLink = `${LINK}projects/${project}/zones/${zone}`;
  return {
    kind: 'compute#reservation',
    id: stored.id,
    creationTimestamp: iso(stored.createdMs),
    selfLink: `${zoneLink}/reservations/${name}`,
    zone: zoneLink,
    name,
    specificReservationRequired: stored.specificReservationRequired,
    status: 'READY',
    shareSettings: { shareType: 'LOCAL' },
    specificReservation: {
      instanceProperties: {
        machineType: stored.machineType,
        ...(stored.accelerator
          ? {
              guestAccelerators: [
                { acceleratorType: stored.accelerator.type, acceleratorCount: stored.accelerator.count },
              ],
            }
          : {}),
      },
      count: String(stored.count),
      inUseCount: String(stored.inUseCount),
      assuredCount: String(stored.count),
    },
  };
}

/** Sets one regional quota (for tests and seeded sandboxes). */
export function setRegionQuota(
  capacity: CapacityState,
  project: string,
  region: string,
  metric: string,
  value: QuotaValue,
) {
  ((capacity.regionQuotas[project] ??= {})[region] ??= {})[metric] = copy(value);
}

export function setProjectQuota(capacity: CapacityState, project: string, metric: string, value: QuotaValue) {
  (capacity.projectQuotas[project] ??= {})[metric] = copy(value);
}

/** The accelerator types a zone offers from now on (an empty list: none). */
export function setAcceleratorTypes(capacity: CapacityState, zone: string, types: string[]) {
  capacity.acceleratorTypes[zone] = [...types];
}

export interface SeedReservation {
  name: string;
  zone: string;
  machineType: string;
  count: number;
  inUseCount?: number;
  accelerator?: { type: string; count: number };
  specificReservationRequired?: boolean;
}

/** Adds a zonal reservation that exists already. */
export function addReservation(capacity: CapacityState, project: string, seed: SeedReservation) {
  (capacity.reservations[project] ??= {})[`${seed.zone}/${seed.name}`] = {
    name: seed.name,
    machineType: seed.machineType,
    count: seed.count,
    inUseCount: seed.inUseCount ?? 0,
    ...(seed.accelerator ? { accelerator: copy(seed.accelerator) } : {}),
    specificReservationRequired: seed.specificReservationRequired ?? true,
    createdMs: Date.now(),
    id: numericId(),
  };
}
