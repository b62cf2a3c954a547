/** What capacity classes are checked and rendered against (GKE-FACTS.md "Capacity"). Data only. */

/** Flex-start nodes live at most seven days (ComputeClass `maxRunDurationSeconds`, GKE-FACTS.md). */
export const MAX_FLEX_START_SECONDS = 7 * 24 * 3600;

/**
 * From this GKE version a ComputeClass with `nodePoolAutoCreation.enabled` gets pools without
 * cluster-level node auto-provisioning ("If your cluster is running a version earlier than GKE
 * version 1.33.3-gke.1136000, you must also enable cluster-level node auto-provisioning":
 * https://cloud.google.com/kubernetes-engine/docs/concepts/about-custom-compute-classes).
 */
export const CLASS_AUTO_CREATION_WITHOUT_NAP = '1.33.3-gke.1136000';

/**
 * Machine types Compute Engine creates only as Spot or flex-start VMs: "When provisioning
 * a3-highgpu-1g, a3-highgpu-2g, or a3-highgpu-4g machine types, you must create instances by using
 * Spot VMs or Flex-start VMs" (https://cloud.google.com/compute/docs/accelerator-optimized-machines,
 * A3 High). GKE-FACTS.md's sources add reservations, which that note leaves out.
 */
export const SPOT_OR_FLEX_START_ONLY = new Set(['a3-highgpu-1g', 'a3-highgpu-2g', 'a3-highgpu-4g']);

export interface TpuMachine {
  tpu: string;
  chips: number;
}

/** TPU machine types GKE provisions for a TPU type, with the chips on one VM. */
export const TPU_MACHINES: Readonly<Record<string, TpuMachine>> = {
  'ct6e-standard-1t': { tpu: 'tpu-v6e-slice', chips: 1 },
  'ct6e-standard-4t': { tpu: 'tpu-v6e-slice', chips: 4 },
  'ct6e-standard-8t': { tpu: 'tpu-v6e-slice', chips: 8 },
  'ct5lp-hightpu-1t': { tpu: 'tpu-v5-lite-podslice', chips: 1 },
  'ct5lp-hightpu-4t': { tpu: 'tpu-v5-lite-podslice', chips: 4 },
  'ct5lp-hightpu-8t': { tpu: 'tpu-v5-lite-podslice', chips: 8 },
  'ct5p-hightpu-4t': { tpu: 'tpu-v5p-slice', chips: 4 },
  'ct4p-hightpu-4t': { tpu: 'tpu-v4-podslice', chips: 4 },
};

export interface MachineShape {
  vcpus: number;
  memoryGb: number;
}

/** vCPUs and memory of accelerator machine types (Compute Engine's machine type tables). */
const ACCELERATOR_SHAPES: Readonly<Record<string, MachineShape>> = {
  'a3-highgpu-1g': { vcpus: 26, memoryGb: 234 },
  'a3-highgpu-2g': { vcpus: 52, memoryGb: 468 },
  'a3-highgpu-4g': { vcpus: 104, memoryGb: 936 },
  'a3-highgpu-8g': { vcpus: 208, memoryGb: 1872 },
  'a3-megagpu-8g': { vcpus: 208, memoryGb: 1872 },
  'a3-ultragpu-8g': { vcpus: 224, memoryGb: 2952 },
  'a4-highgpu-8g': { vcpus: 224, memoryGb: 3968 },
  'a2-highgpu-1g': { vcpus: 12, memoryGb: 85 },
  'a2-highgpu-2g': { vcpus: 24, memoryGb: 170 },
  'a2-highgpu-4g': { vcpus: 48, memoryGb: 340 },
  'a2-highgpu-8g': { vcpus: 96, memoryGb: 680 },
  'a2-megagpu-16g': { vcpus: 96, memoryGb: 1360 },
  'a2-ultragpu-1g': { vcpus: 12, memoryGb: 170 },
  'a2-ultragpu-2g': { vcpus: 24, memoryGb: 340 },
  'a2-ultragpu-4g': { vcpus: 48, memoryGb: 680 },
  'a2-ultragpu-8g': { vcpus: 96, memoryGb: 1360 },
  'ct6e-standard-1t': { vcpus: 44, memoryGb: 176 },
  'ct6e-standard-4t': { vcpus: 180, memoryGb: 720 },
  'ct6e-standard-8t': { vcpus: 180, memoryGb: 1440 },
  'ct5lp-hightpu-1t': { vcpus: 24, memoryGb: 48 },
  'ct5lp-hightpu-4t': { vcpus: 112, memoryGb: 192 },
  'ct5lp-hightpu-8t': { vcpus: 224, memoryGb: 384 },
  'ct5p-hightpu-4t': { vcpus: 208, memoryGb: 448 },
  'ct4p-hightpu-4t': { vcpus: 240, memoryGb: 407 },
};

/** GB of memory per vCPU of the predefined general-purpose shapes (N1's are 3.75, 6.5, 0.9). */
const MEMORY_PER_VCPU: Record<string, number> = { standard: 4, highmem: 8, highcpu: 1 };

/** E2 shared-core machine types (vCPUs they may burst to). */
const SHARED_CORE: Readonly<Record<string, MachineShape>> = {
  'e2-micro': { vcpus: 2, memoryGb: 1 },
  'e2-small': { vcpus: 2, memoryGb: 2 },
  'e2-medium': { vcpus: 2, memoryGb: 4 },
};

/**
 * vCPUs and memory of a machine type: the tables above, a predefined `FAMILY-SHAPE-N` (g2 and
 * `-lssd` variants included), a custom `FAMILY-custom-N-MB`, else undefined.
 */
export function machineShape(machineType: string): MachineShape | undefined {
  const known = ACCELERATOR_SHAPES[machineType] ?? SHARED_CORE[machineType];
  if (known) return known;
  const custom = /^(?:[a-z0-9]+-)?custom-(\d+)-(\d+)(?:-ext)?$/.exec(machineType);
  if (custom) return { vcpus: Number(custom[1]), memoryGb: Math.ceil(Number(custom[2]) / 1024) };
  const match = /^([a-z0-9]+)-(standard|highmem|highcpu)-(\d+)(?:-lssd)?$/.exec(machineType);
  if (!match) return undefined;
  const vcpus = Number(match[3]);
  const perVcpu =
    match[1] === 'n1'
      ? { standard: 3.75, highmem: 6.5, highcpu: 0.9 }[match[2]!]!
      : MEMORY_PER_VCPU[match[2]!]!;
  return { vcpus, memoryGb: Math.ceil(vcpus * perVcpu) };
}

/** `2x4` → 8 chips; `2x2x1` → 4; undefined when not a topology. */
export function topologyChips(topology: string): number | undefined {
  if (!/^\d+(x\d+){1,2}$/.test(topology)) return undefined;
  return topology.split('x').reduce((product, n) => product * Number(n), 1);
}

/**
 * `7d`, `36h`, `90m`, `1d12h` → seconds; undefined when it does not parse. Units: d, h, m, s,
 * each at most once and in that order.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') return undefined;
  const [d, h, m, s] = match.slice(1).map((n) => Number(n ?? 0)) as [number, number, number, number];
  return ((d * 24 + h) * 60 + m) * 60 + s;
}
