/**
 * Compute Engine quota metrics per accelerator, as `regions.get` names them. H100, A100, A100 80GB,
 * L4, T4 … are in the Quota.Metric enum of Compute v1 (COMMITTED_NVIDIA_H100_GPUS and friends,
 * cloud.google.com/ruby/docs/reference/google-cloud-compute-v1/latest/Google-Cloud-Compute-V1-Quota-Metric);
 * newer metrics (H100 Mega, H200, B200) are only strings in regions.get, same pattern. A metric a
 * region does not list is reported as not checked, never as zero.
 * Spot and flex-start both draw on the preemptible quota ("Flex-start VMs … consume preemptible
 * quota": cloud.google.com/blog/products/compute/introducing-flex-start-vms-for-the-compute-engine-instance-api).
 * Reserved VMs took their quota when the reservation was made, so a reservation tier needs none.
 */
export interface QuotaMetrics {
  onDemand: string;
  preemptible: string;
  /** For committed-use discounts: shown, never a verdict. */
  committed?: string;
}

const GPU_STEMS: Readonly<Record<string, string>> = {
  'nvidia-h100-80gb': 'NVIDIA_H100',
  'nvidia-h100-mega-80gb': 'NVIDIA_H100_MEGA',
  'nvidia-h200-141gb': 'NVIDIA_H200',
  'nvidia-b200': 'NVIDIA_B200',
  'nvidia-tesla-a100': 'NVIDIA_A100',
  'nvidia-a100-80gb': 'NVIDIA_A100_80GB',
  'nvidia-l4': 'NVIDIA_L4',
  'nvidia-tesla-t4': 'NVIDIA_T4',
  'nvidia-tesla-v100': 'NVIDIA_V100',
  'nvidia-tesla-p100': 'NVIDIA_P100',
  'nvidia-tesla-p4': 'NVIDIA_P4',
};

/**
 * TPU chips in `regions.get`: only v5e's (TPU_LITE_PODSLICE_V5 and its preemptible twin); newer TPU
 * types (v6e, v5p) have quotas that regions.get does not list, so they cannot be checked here.
 */
const TPU_METRICS: Readonly<Record<string, QuotaMetrics>> = {
  'tpu-v5-lite-podslice': {
    onDemand: 'TPU_LITE_PODSLICE_V5',
    preemptible: 'PREEMPTIBLE_TPU_LITE_PODSLICE_V5',
  },
};

/** The project-wide GPU quota: every GPU in every region counts against it. */
export const GPUS_ALL_REGIONS = 'GPUS_ALL_REGIONS';

export function gpuQuotaMetrics(type: string): QuotaMetrics | undefined {
  const stem = GPU_STEMS[type];
  return stem
    ? {
        onDemand: `${stem}_GPUS`,
        preemptible: `PREEMPTIBLE_${stem}_GPUS`,
        committed: `COMMITTED_${stem}_GPUS`,
      }
    : undefined;
}

export function tpuQuotaMetrics(type: string): QuotaMetrics | undefined {
  return TPU_METRICS[type];
}

/** Chips in a TPU slice of this topology (`2x4` → 8). */
export function tpuChips(topology: string): number {
  return topology.split('x').reduce((product, n) => product * (Number(n) || 1), 1);
}
