import type { CapacityTier } from '../faults.js';
import type { KubeObject } from '../kube/index.js';

/**
 * A ComputeClass read as GKE's node auto-creation reads it: its priorities in order, each one
 * provisioning model (reservation, on-demand, flex-start, Spot) with the machine and accelerator
 * its nodes get, and the labels GKE puts on those nodes.
 */
export const COMPUTE_CLASS_API = 'cloud.google.com/v1';
export const COMPUTE_CLASS_KIND = 'ComputeClass';
/** The node selector that puts a pod on a class (GKE adds the matching toleration). */
export const COMPUTE_CLASS_LABEL = 'cloud.google.com/compute-class';

export interface ClassTier {
  /** Index in spec.priorities. */
  priority: number;
  tier: CapacityTier;
  machineType: string;
  accelerator?: { type: string; count: number; tpu?: { topology?: string } };
  /** Specific reservations name theirs; AnyBestEffort takes any and falls back to on-demand. */
  reservation?: { affinity: 'Specific' | 'AnyBestEffort'; name?: string; project?: string };
  maxRunDurationSeconds?: number;
  /** The zones the priority may use (a reservation's, as the render sets it). */
  zones?: string[];
  /** How long the autoscaler keeps trying this priority before it moves on to the next. */
  capacityCheckWaitTimeSeconds?: number;
}

export function tiersOf(computeClass: KubeObject): ClassTier[] {
  const priorities: any[] = computeClass.spec?.priorities ?? [];
  return priorities.map((p, priority) => {
    const affinity = p.reservations?.affinity;
    const reservation =
      affinity === 'Specific' || affinity === 'AnyBestEffort'
        ? {
            affinity,
            ...(p.reservations.specific?.[0]?.name ? { name: p.reservations.specific[0].name } : {}),
            ...(p.reservations.specific?.[0]?.project ? { project: p.reservations.specific[0].project } : {}),
          }
        : undefined;
    const tier: CapacityTier = reservation
      ? 'reservation'
      : p.flexStart?.enabled
        ? 'flex-start'
        : p.spot
          ? 'spot'
          : 'on-demand';
    const accelerator = p.gpu?.type
      ? { type: String(p.gpu.type), count: Number(p.gpu.count ?? 1) }
      : p.tpu?.type
        ? { type: String(p.tpu.type), count: Number(p.tpu.count ?? 1), tpu: { topology: p.tpu.topology } }
        : undefined;
    return {
      priority,
      tier,
      machineType: String(p.machineType ?? 'e2-standard-4'),
      ...(accelerator ? { accelerator } : {}),
      ...(reservation ? { reservation } : {}),
      ...(p.maxRunDurationSeconds !== undefined
        ? { maxRunDurationSeconds: Number(p.maxRunDurationSeconds) }
        : {}),
      ...(Array.isArray(p.location?.zones) ? { zones: p.location.zones.map(String) } : {}),
      ...(p.capacityCheckWaitTimeSeconds !== undefined
        ? { capacityCheckWaitTimeSeconds: Number(p.capacityCheckWaitTimeSeconds) }
        : {}),
    };
  });
}

/** How a tier is named in events and status: `reservation h100-block`, `on-demand a3-highgpu-2g`, `spot`. */
export function describeTier(t: ClassTier): string {
  if (t.tier === 'reservation') return `reservation ${t.reservation?.name ?? '(any)'}`;
  return `${t.tier} ${t.machineType}`;
}

/**
 * The labels GKE gives a node of an auto-created pool for this tier: the class, the pool, the
 * machine and accelerator, and the provisioning model — `cloud.google.com/gke-provisioning`
 * (standard, spot, flex-start) with `cloud.google.com/gke-spot` or `cloud.google.com/gke-flex-start`,
 * and the reservation's `cloud.google.com/reservation-name` / `-affinity` (GKE's documented node
 * labels for ComputeClass fields, and the cluster autoscaler's GCE label constants).
 */
export function nodeLabels(
  className: string,
  pool: string,
  t: ClassTier,
  zone: string,
  region: string,
  node: string,
): Record<string, string> {
  const labels: Record<string, string> = {
    [COMPUTE_CLASS_LABEL]: className,
    'cloud.google.com/gke-nodepool': pool,
    'cloud.google.com/gke-provisioning':
      t.tier === 'spot' ? 'spot' : t.tier === 'flex-start' ? 'flex-start' : 'standard',
    'node.kubernetes.io/instance-type': t.machineType,
    'topology.kubernetes.io/region': region,
    'topology.kubernetes.io/zone': zone,
    'kubernetes.io/hostname': node,
  };
  if (t.accelerator?.tpu) {
    labels['cloud.google.com/gke-tpu-accelerator'] = t.accelerator.type;
    if (t.accelerator.tpu.topology) labels['cloud.google.com/gke-tpu-topology'] = t.accelerator.tpu.topology;
  } else if (t.accelerator) {
    labels['cloud.google.com/gke-accelerator'] = t.accelerator.type;
  }
  if (t.accelerator) labels['cloud.google.com/gke-accelerator-count'] = String(t.accelerator.count);
  if (t.tier === 'spot') labels['cloud.google.com/gke-spot'] = 'true';
  if (t.tier === 'flex-start') {
    labels['cloud.google.com/gke-flex-start'] = 'true';
    if (t.maxRunDurationSeconds !== undefined)
      labels['cloud.google.com/gke-max-run-duration-seconds'] = String(t.maxRunDurationSeconds);
  }
  if (t.reservation) {
    labels['cloud.google.com/reservation-affinity'] =
      t.reservation.affinity === 'Specific' ? 'specific' : 'any';
    if (t.reservation.name) labels['cloud.google.com/reservation-name'] = t.reservation.name;
    if (t.reservation.project) labels['cloud.google.com/reservation-project'] = t.reservation.project;
  }
  return labels;
}

/** The NodeConfig of a pool GKE auto-creates for a tier (proto3 JSON, as ClusterManager serves it). */
export function nodeConfig(className: string, t: ClassTier): Record<string, unknown> {
  return {
    machineType: t.machineType,
    labels: { [COMPUTE_CLASS_LABEL]: className },
    taints: [{ key: COMPUTE_CLASS_LABEL, value: className, effect: 'NO_SCHEDULE' }],
    ...(t.accelerator && !t.accelerator.tpu
      ? {
          accelerators: [
            {
              acceleratorType: t.accelerator.type,
              acceleratorCount: String(t.accelerator.count),
              gpuDriverInstallationConfig: { gpuDriverVersion: 'LATEST' },
            },
          ],
        }
      : {}),
    ...(t.tier === 'spot' ? { spot: true } : {}),
    ...(t.tier === 'flex-start' ? { flexStart: true } : {}),
    // A google.protobuf.Duration as the gRPC face serializes it (an object, not proto3 JSON's "3600s").
    ...(t.maxRunDurationSeconds !== undefined
      ? { maxRunDuration: { seconds: String(t.maxRunDurationSeconds) } }
      : {}),
    ...(t.reservation
      ? {
          reservationAffinity:
            t.reservation.affinity === 'Specific'
              ? {
                  consumeReservationType: 'SPECIFIC_RESERVATION',
                  key: 'compute.googleapis.com/reservation-name',
                  values: [t.reservation.name],
                }
              : { consumeReservationType: 'ANY_RESERVATION' },
        }
      : {}),
  };
}
