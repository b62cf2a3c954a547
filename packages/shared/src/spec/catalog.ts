/** What GKE offers that a spec is checked against (GKE-FACTS.md). Data only. */

export interface GpuMachine {
  accelerator: string;
  count: number;
}

const fixed = (accelerator: string, byMachine: Record<string, number>): Record<string, GpuMachine> =>
  Object.fromEntries(Object.entries(byMachine).map(([m, count]) => [m, { accelerator, count }]));

/** Machine types whose GPUs are built in: the type and count are fixed by the machine. */
export const GPU_MACHINES: Readonly<Record<string, GpuMachine>> = {
  ...fixed('nvidia-h100-80gb', {
    'a3-highgpu-1g': 1,
    'a3-highgpu-2g': 2,
    'a3-highgpu-4g': 4,
    'a3-highgpu-8g': 8,
  }),
  ...fixed('nvidia-h100-mega-80gb', { 'a3-megagpu-8g': 8 }),
  ...fixed('nvidia-h200-141gb', { 'a3-ultragpu-8g': 8 }),
  ...fixed('nvidia-b200', { 'a4-highgpu-8g': 8 }),
  ...fixed('nvidia-tesla-a100', {
    'a2-highgpu-1g': 1,
    'a2-highgpu-2g': 2,
    'a2-highgpu-4g': 4,
    'a2-highgpu-8g': 8,
    'a2-megagpu-16g': 16,
  }),
  ...fixed('nvidia-a100-80gb', {
    'a2-ultragpu-1g': 1,
    'a2-ultragpu-2g': 2,
    'a2-ultragpu-4g': 4,
    'a2-ultragpu-8g': 8,
  }),
  ...fixed('nvidia-l4', {
    'g2-standard-4': 1,
    'g2-standard-8': 1,
    'g2-standard-12': 1,
    'g2-standard-16': 1,
    'g2-standard-24': 2,
    'g2-standard-32': 1,
    'g2-standard-48': 4,
    'g2-standard-96': 8,
  }),
};

/** N1 machines take attachable GPUs in these counts. */
export const N1_ATTACHABLE: Readonly<Record<string, readonly number[]>> = {
  'nvidia-tesla-t4': [1, 2, 4],
  'nvidia-tesla-v100': [1, 2, 4, 8],
  'nvidia-tesla-p100': [1, 2, 4],
  'nvidia-tesla-p4': [1, 2, 4],
};

export type AcceleratorCheck =
  { ok: true } | { ok: false; field: 'type' | 'count' | 'machineType'; message: string; hint: string };

/** Checks an accelerator type and count against a node pool's machine type. */
export function checkAccelerator(machineType: string, type: string, count: number): AcceleratorCheck {
  const builtIn = GPU_MACHINES[machineType];
  if (builtIn) {
    if (builtIn.accelerator !== type) {
      return {
        ok: false,
        field: 'type',
        message: `${machineType} carries ${builtIn.accelerator}, not ${type}`,
        hint: `set accelerator.type to ${builtIn.accelerator}, or pick a machine type that carries ${type}`,
      };
    }
    if (builtIn.count !== count) {
      const same = machinesFor(type);
      return {
        ok: false,
        field: 'count',
        message: `${machineType} carries ${builtIn.count} × ${type}, not ${count}`,
        hint:
          `set accelerator.count to ${builtIn.count}` +
          (same.length > 1 ? ` (or use ${same.map((m) => `${m.machine} for ${m.count}`).join(', ')})` : ''),
      };
    }
    return { ok: true };
  }
  if (machineType.startsWith('n1-')) {
    const counts = N1_ATTACHABLE[type];
    if (!counts) {
      return {
        ok: false,
        field: 'type',
        message: `${type} cannot be attached to ${machineType}`,
        hint: `use one of ${Object.keys(N1_ATTACHABLE).join(', ')}, or a GPU machine type (a3-highgpu-*, a2-*, g2-*)`,
      };
    }
    if (!counts.includes(count)) {
      return {
        ok: false,
        field: 'count',
        message: `${type} attaches in counts of ${counts.join(', ')}, not ${count}`,
        hint: `set accelerator.count to one of ${counts.join(', ')}`,
      };
    }
    return { ok: true };
  }
  const suggestions = machinesFor(type).map((m) => m.machine);
  return {
    ok: false,
    field: 'machineType',
    message: `${machineType} is not a GPU machine type`,
    hint: suggestions.length
      ? `for ${type} use ${suggestions.join(', ')}`
      : 'use an accelerator-optimized machine type (a3-highgpu-*, a3-megagpu-8g, a2-*, g2-*)',
  };
}

function machinesFor(type: string): { machine: string; count: number }[] {
  return Object.entries(GPU_MACHINES)
    .filter(([, g]) => g.accelerator === type)
    .map(([machine, g]) => ({ machine, count: g.count }));
}

/** `1.34.1-gke.1127000` → [1, 34, 1, 1127000]; undefined when not a GKE version. */
export function parseGkeVersion(version: string): number[] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)-gke\.(\d+)$/.exec(version);
  return match ? match.slice(1).map(Number) : undefined;
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** The vLLM release that renamed the KV-cache metric (GKE-FACTS.md). */
export const VLLM_METRIC_RENAME = [0, 10, 2] as const;
export const NEW_KV_METRIC = 'vllm:kv_cache_usage_perc';
export const OLD_KV_METRIC = 'vllm:gpu_cache_usage_perc';

/** The vLLM version pinned by an image reference, or undefined when the tag does not pin one. */
export function vllmVersionOf(image: string): number[] | undefined {
  const withoutDigest = image.split('@')[0] ?? image;
  const slash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= slash) return undefined;
  const tag = withoutDigest.slice(colon + 1);
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-.+].*)?$/.exec(tag);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

export function kvMetricForVersion(version: readonly number[]): string {
  return compareVersions(version, VLLM_METRIC_RENAME) >= 0 ? NEW_KV_METRIC : OLD_KV_METRIC;
}

/** `europe-west3-c` → `europe-west3`; `us-east4` → `us-east4`; undefined when neither. */
export function regionOf(location: string): string | undefined {
  if (/^[a-z]+-[a-z]+\d+$/.test(location)) return location;
  const zone = /^([a-z]+-[a-z]+\d+)-[a-z]$/.exec(location);
  return zone?.[1];
}

export const isZone = (location: string) => /^[a-z]+-[a-z]+\d+-[a-z]$/.test(location);
