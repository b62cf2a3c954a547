import type { CapacityState, StoredReservation } from '../google/compute-capacity.js';
import type { KubeObject } from '../kube/index.js';
import type { ClassTier } from './compute-class.js';

/**
 * A Specific reservation priority takes its VMs from the Compute reservation it names (the one
 * `reservations.get` and preflight see): absent, for another machine type, or with every VM in use,
 * the priority has no capacity. A node records the reservation it holds and gives the VM back when
 * it goes.
 */
export const RESERVATION_ANNOTATION = 'sandbox.spillway.dev/reservation';

interface Found {
  /** `project/zone/name`. */
  key: string;
  zone: string;
  reservation: StoredReservation;
}

function find(
  capacity: CapacityState | undefined,
  t: ClassTier,
  project: string,
  zones: string[],
): Found | undefined {
  const owner = t.reservation?.project ?? project;
  for (const zone of zones) {
    const reservation = capacity?.reservations[owner]?.[`${zone}/${t.reservation?.name}`];
    if (reservation) return { key: `${owner}/${zone}/${t.reservation!.name}`, zone, reservation };
  }
  return undefined;
}

/** The reservation a Specific priority would take a VM from, or why it cannot. */
export function reservationFor(
  capacity: CapacityState | undefined,
  t: ClassTier,
  project: string,
  clusterZones: string[],
): Found | string {
  const zones = t.zones ?? clusterZones;
  const found = find(capacity, t, project, zones);
  const name = t.reservation?.name;
  if (!found) return `reservation ${name} not found in ${zones.join(', ')}`;
  const { reservation } = found;
  if (reservation.machineType !== t.machineType)
    return `reservation ${name} holds ${reservation.machineType}, not ${t.machineType}`;
  if (reservation.inUseCount >= reservation.count)
    return `reservation ${name} is fully used (${reservation.inUseCount} of ${reservation.count} VMs)`;
  return found;
}

export function takeVm(found: Found): Record<string, string> {
  found.reservation.inUseCount += 1;
  return { [RESERVATION_ANNOTATION]: found.key };
}

/** Gives back the VM a node held, if it held one. */
export function releaseVm(capacity: CapacityState | undefined, node: KubeObject) {
  const key = node.metadata.annotations?.[RESERVATION_ANNOTATION];
  if (!key) return;
  const [project, zone, name] = key.split('/');
  const reservation = capacity?.reservations[project!]?.[`${zone}/${name}`];
  if (reservation) reservation.inUseCount = Math.max(0, reservation.inUseCount - 1);
}
