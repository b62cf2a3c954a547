import type { Path } from './errors.js';
import type { SourceDocument } from './source.js';
import type { CapacityClassSpec, CapacityTierSpec, PlatformDoc, ServiceDoc } from './schema.js';
import { CAPACITY_TIER_KINDS } from './schema.js';
import { checkAccelerator, isZone, regionOf } from './catalog.js';
import {
  MAX_FLEX_START_SECONDS,
  SPOT_OR_FLEX_START_ONLY,
  TPU_MACHINES,
  parseDuration,
  topologyChips,
} from './capacity-catalog.js';
import { checkRfc1123 } from './names.js';
import type { Reporter } from './rules.js';

/** Accelerators on one node of a class: the GPUs of its machine, or the TPU chips of its VM. */
export function acceleratorsPerNode(c: CapacityClassSpec): number | undefined {
  if (c.accelerator) return c.accelerator.count;
  if (c.tpu) return TPU_MACHINES[c.machineType]?.chips;
  return undefined;
}

/** The one key a tier sets (`reservation`, `onDemand`, …), or undefined when it sets none or several. */
export function tierKind(tier: CapacityTierSpec): (typeof CAPACITY_TIER_KINDS)[number] | undefined {
  const set = CAPACITY_TIER_KINDS.filter((k) => tier[k] !== undefined);
  return set.length === 1 ? set[0] : undefined;
}

/** Every rule a platform's `capacityClasses` can break that needs no live data (preflight has the rest). */
export function checkCapacityClasses(r: Reporter, doc: SourceDocument, spec: PlatformDoc['spec']) {
  const seen = new Map<string, number>();
  spec.capacityClasses.forEach((c, i) => {
    const at = (...rest: Path) => ['spec', 'capacityClasses', i, ...rest];
    r.name(doc, at('name'), checkRfc1123(c.name, 63, 'a ComputeClass name'));
    const first = seen.get(c.name);
    if (first !== undefined)
      r.report(
        doc,
        at('name'),
        `capacity class ${c.name} is defined twice (also capacityClasses[${first}])`,
        'give each class its own name',
      );
    else seen.set(c.name, i);
    checkAcceleratorOfClass(r, doc, c, at);
    if (c.whenUnsatisfiable === 'ScaleUpAnyway')
      r.report(
        doc,
        at('whenUnsatisfiable'),
        'ScaleUpAnyway lets GKE land the pods on general-purpose nodes when no tier has capacity, where an accelerator workload cannot run',
        'use DoNotScaleUp (the default): the pods wait until a tier has capacity',
      );
    c.namespaces.forEach((ns, j) => r.name(doc, at('namespaces', j), checkRfc1123(ns, 63, 'a namespace')));
    c.order.forEach((tier, j) => checkTier(r, doc, tier, at('order', j)));
    c.order.forEach((tier, j) => {
      if (tier.onDemand && SPOT_OR_FLEX_START_ONLY.has(c.machineType))
        r.report(
          doc,
          at('order', j, 'onDemand'),
          `${c.machineType} is not sold on demand: Compute Engine creates it only as Spot or flex-start VMs`,
          'drop the onDemand tier (keep flexStart and spot), or use a3-highgpu-8g, which is sold on demand',
          true,
        );
    });
    for (const cluster of spec.clusters) {
      if (!regionOf(cluster.location) || c.order.some((t) => !tierKind(t))) continue;
      if (tiersFor(c, cluster.location).length === 0)
        r.report(
          doc,
          at('order'),
          `has no tier for cluster ${cluster.name}: every tier is a reservation in another zone`,
          `add a tier that is not zonal (onDemand, flexStart, spot or reservation { any: true }), or a reservation in ${cluster.location}`,
        );
    }
  });
}

/** Whether a cluster at `location` can use a reservation in `zone`: its zone, or a zone of its region. */
export function reservationServes(location: string, zone: string): boolean {
  return isZone(location) ? location === zone : regionOf(zone) === location;
}

/** The tiers of a class that a cluster at `location` uses: reservations elsewhere are left out. */
export function tiersFor(c: CapacityClassSpec, location: string): CapacityTierSpec[] {
  return c.order.filter((t) => !t.reservation?.zone || reservationServes(location, t.reservation.zone));
}

function checkAcceleratorOfClass(
  r: Reporter,
  doc: SourceDocument,
  c: CapacityClassSpec,
  at: (...rest: Path) => Path,
) {
  if (!c.accelerator === !c.tpu) {
    r.report(
      doc,
      at(),
      c.accelerator ? 'sets both accelerator and tpu' : 'sets neither accelerator nor tpu',
      'set exactly one: accelerator { type, count } for GPUs, or tpu { type, topology }',
      true,
    );
    return;
  }
  if (c.accelerator) {
    const acc = checkAccelerator(c.machineType, c.accelerator.type, c.accelerator.count);
    if (!acc.ok)
      r.report(
        doc,
        acc.field === 'machineType' ? at('machineType') : at('accelerator', acc.field),
        acc.message,
        acc.hint,
      );
  } else if (c.tpu) {
    const machine = TPU_MACHINES[c.machineType];
    if (!machine) {
      const known = Object.entries(TPU_MACHINES)
        .filter(([, m]) => m.tpu === c.tpu!.type)
        .map(([name]) => name);
      r.report(
        doc,
        at('machineType'),
        `${c.machineType} is not a TPU machine type`,
        known.length
          ? `for ${c.tpu.type} use ${known.join(', ')}`
          : 'use a TPU machine type such as ct6e-standard-4t',
      );
    } else if (machine.tpu !== c.tpu.type) {
      r.report(
        doc,
        at('tpu', 'type'),
        `${c.machineType} carries ${machine.tpu}, not ${c.tpu.type}`,
        `set tpu.type to ${machine.tpu}, or pick a machine type that carries ${c.tpu.type}`,
      );
    } else {
      const chips = topologyChips(c.tpu.topology);
      if (chips === undefined)
        r.report(
          doc,
          at('tpu', 'topology'),
          `${JSON.stringify(c.tpu.topology)} is not a TPU topology`,
          'write it as GKE does, e.g. 2x4 or 2x2x1',
        );
      else if (chips % machine.chips !== 0)
        r.report(
          doc,
          at('tpu', 'topology'),
          `topology ${c.tpu.topology} has ${chips} chips, not a multiple of the ${machine.chips} on one ${c.machineType}`,
          `use a topology whose chip count is a multiple of ${machine.chips}`,
        );
    }
  }
  const perNode = acceleratorsPerNode(c);
  if (perNode !== undefined && c.maxAccelerators < perNode)
    r.report(
      doc,
      at('maxAccelerators'),
      `${c.maxAccelerators} is below the ${perNode} accelerators of one ${c.machineType} node, so the class could never add a node`,
      `set maxAccelerators to at least ${perNode} (a multiple of ${perNode} is used fully)`,
    );
}

function checkTier(r: Reporter, doc: SourceDocument, tier: CapacityTierSpec, at: Path) {
  const set = CAPACITY_TIER_KINDS.filter((k) => tier[k] !== undefined);
  if (set.length !== 1) {
    r.report(
      doc,
      at,
      set.length ? `sets ${set.join(' and ')}; a tier is one of them` : 'sets no tier',
      `write one of ${CAPACITY_TIER_KINDS.join(', ')} per entry of order, one entry per tier`,
    );
    return;
  }
  if (tier.reservation) checkReservation(r, doc, tier.reservation, [...at, 'reservation']);
  if (tier.flexStart) {
    const duration = tier.flexStart.maxRunDuration;
    const seconds = parseDuration(duration);
    const atDuration = [...at, 'flexStart', 'maxRunDuration'];
    if (seconds === undefined || seconds === 0)
      r.report(
        doc,
        atDuration,
        `${JSON.stringify(duration)} is not a duration`,
        'write days, hours or minutes, e.g. 7d, 36h or 90m',
      );
    else if (seconds > MAX_FLEX_START_SECONDS)
      r.report(doc, atDuration, `${duration} is longer than flex-start's limit of 7d`, 'use at most 7d');
  }
}

function checkReservation(
  r: Reporter,
  doc: SourceDocument,
  reservation: NonNullable<CapacityTierSpec['reservation']>,
  at: Path,
) {
  const { name, zone, project, any } = reservation;
  if (any !== undefined) {
    if (any !== true)
      r.report(
        doc,
        [...at, 'any'],
        'is false',
        'write any: true for any matching reservation, or name one with { name, zone }',
      );
    else if (name !== undefined || zone !== undefined || project !== undefined)
      r.report(
        doc,
        at,
        'sets any: true together with a named reservation',
        'write either { any: true } or { name, zone, project? }, in two tiers if you want both',
      );
    return;
  }
  if (name === undefined || zone === undefined) {
    r.report(
      doc,
      at,
      `names ${name === undefined ? 'no reservation' : 'no zone'}`,
      'write { name, zone } (project defaults to the platform’s), or { any: true }',
      true,
    );
    return;
  }
  if (!isZone(zone)) {
    r.report(
      doc,
      [...at, 'zone'],
      `${JSON.stringify(zone)} is not a zone; a reservation is zonal`,
      'write the zone the reservation is in, e.g. us-east4-a',
    );
    return;
  }
}

/**
 * A service on a capacity class: the class exists, a replica's GPUs fit on one of its nodes, and
 * minReplicas fit in its budget (maxAccelerators per cluster). Returns the class when it exists.
 */
export function checkServiceClass(
  r: Reporter,
  doc: SourceDocument,
  spec: ServiceDoc['spec'],
  platform: PlatformDoc,
): CapacityClassSpec | undefined {
  const name = spec.model.capacityClass!;
  const at = ['spec', 'model', 'capacityClass'];
  const classes = platform.spec.capacityClasses;
  const c = classes.find((k) => k.name === name);
  if (!c) {
    r.report(
      doc,
      at,
      `platform ${platform.metadata.name} has no capacity class ${name}`,
      classes.length
        ? `use one of ${classes.map((k) => k.name).join(', ')}`
        : 'add it to the platform’s capacityClasses, or remove capacityClass to use the clusters’ accelerator pools',
    );
    return undefined;
  }
  const perNode = acceleratorsPerNode(c);
  // The platform's own issues (reported there): nothing to measure the service against.
  if (perNode === undefined || c.maxAccelerators < perNode) return c;
  const gpus = spec.model.gpusPerReplica;
  if (gpus > perNode) {
    r.report(
      doc,
      ['spec', 'model', 'gpusPerReplica'],
      `${gpus} accelerators per replica do not fit on one node of class ${c.name} (${perNode} per ${c.machineType})`,
      `lower gpusPerReplica to ${perNode}, or use a class with more accelerators per node`,
    );
    return c;
  }
  const budget = classReplicas(c, gpus);
  if (spec.autoscaling.minReplicas > budget)
    r.report(
      doc,
      ['spec', 'autoscaling', 'minReplicas'],
      `${spec.autoscaling.minReplicas} replicas of ${gpus} accelerator(s) do not fit in class ${c.name}'s budget of ${c.maxAccelerators} per cluster (${budget} replicas)`,
      `lower minReplicas to ${budget}, or raise the class's maxAccelerators`,
    );
  return c;
}

/** Replicas of `gpus` accelerators each that a class's budget holds in one cluster. */
export function classReplicas(c: CapacityClassSpec, gpus: number): number {
  const perNode = acceleratorsPerNode(c) ?? 0;
  if (perNode === 0) return 0;
  return Math.floor(c.maxAccelerators / perNode) * Math.floor(perNode / gpus);
}
