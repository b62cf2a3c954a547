import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { checkSpec, formatIssue, type SpecIssue } from '../src/index.js';
import { positionOf, specText, summarise } from './helpers.js';

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../../examples/capacity-classes.yaml', import.meta.url)),
  'utf8',
);

type Docs = { platform: Record<string, any>; service: Record<string, any> };
type Edit = (d: Docs) => void;

function edited(edit: Edit): string {
  const [platformText, serviceText] = EXAMPLE.split(/^---$/m);
  const docs = { platform: parse(platformText!), service: parse(serviceText!) };
  edit(docs);
  return specText(docs.platform, docs.service);
}

function check(edit: Edit) {
  return checkSpec([{ file: 'spec.yaml', text: edited(edit) }]);
}

const issuesAfter = (edit: Edit): SpecIssue[] => {
  const result = check(edit);
  return result.ok ? [] : result.issues;
};

function expectIssues(edit: Edit, expected: string[]) {
  expect(summarise(issuesAfter(edit))).toEqual(expected);
}

function warningsAfter(edit: Edit): string[] {
  const result = check(edit);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return summarise(result.warnings);
}

/** The single issue sits at the first `needle` after `after` in the edited text. */
function expectAt(edit: Edit, needle: string, after = '') {
  const issues = issuesAfter(edit);
  expect(issues).toHaveLength(1);
  expect({ line: issues[0]!.line, column: issues[0]!.column }).toEqual(
    positionOf(edited(edit), needle, after),
  );
}

const h100 = (d: Docs) => d.platform.spec.capacityClasses[0];

describe('capacity classes: the example', () => {
  it('validates without errors or warnings', () => {
    const result = checkSpec([{ file: 'capacity-classes.yaml', text: EXAMPLE }]);
    expect(result.ok ? result.warnings.map(formatIssue) : result.issues.map(formatIssue)).toEqual([]);
    expect(result.ok && result.spec.platforms[0]!.capacityClasses.map((c) => c.name)).toEqual(['h100-8']);
  });
});

describe('capacity classes: platform rules', () => {
  it('needs class names that are RFC 1123 labels, each once', () => {
    expectIssues(
      (d) => {
        d.platform.spec.capacityClasses.push({ ...h100(d) });
        d.platform.spec.capacityClasses.push({ ...h100(d), name: 'H100_big' });
      },
      [
        'spec.capacityClasses[1].name: capacity class h100-8 is defined twice (also capacityClasses[0]) — give each class its own name',
        'spec.capacityClasses[2].name: "H100_big" is not an RFC 1123 label (lower-case letters, digits and -) — use e.g. h100-big',
      ],
    );
  });

  it('needs exactly one of accelerator and tpu', () => {
    expectIssues(
      (d) => {
        h100(d).tpu = { type: 'tpu-v6e-slice', topology: '2x4' };
      },
      [
        'spec.capacityClasses[0]: sets both accelerator and tpu — set exactly one: accelerator { type, count } for GPUs, or tpu { type, topology }',
      ],
    );
    expectIssues(
      (d) => {
        delete h100(d).accelerator;
      },
      [
        'spec.capacityClasses[0]: sets neither accelerator nor tpu — set exactly one: accelerator { type, count } for GPUs, or tpu { type, topology }',
      ],
    );
  });

  it('needs the accelerator to agree with the machine type, at the field that disagrees', () => {
    const edit: Edit = (d) => {
      h100(d).accelerator.count = 2;
    };
    expectIssues(edit, [
      'spec.capacityClasses[0].accelerator.count: a3-highgpu-8g carries 8 × nvidia-h100-80gb, not 2 — set accelerator.count to 8 (or use a3-highgpu-1g for 1, a3-highgpu-2g for 2, a3-highgpu-4g for 4, a3-highgpu-8g for 8)',
    ]);
    expectAt(edit, '2', 'count: ');
  });

  it('needs a TPU class to agree with its machine type and topology', () => {
    const tpu =
      (topology: string, machineType = 'ct6e-standard-4t'): Edit =>
      (d) => {
        delete h100(d).accelerator;
        Object.assign(h100(d), { tpu: { type: 'tpu-v6e-slice', topology }, machineType });
      };
    expect(issuesAfter(tpu('2x4'))).toEqual([]);
    expectIssues(tpu('2x4', 'ct5lp-hightpu-4t'), [
      'spec.capacityClasses[0].tpu.type: ct5lp-hightpu-4t carries tpu-v5-lite-podslice, not tpu-v6e-slice — set tpu.type to tpu-v5-lite-podslice, or pick a machine type that carries tpu-v6e-slice',
    ]);
    expectIssues(tpu('1x2'), [
      'spec.capacityClasses[0].tpu.topology: topology 1x2 has 2 chips, not a multiple of the 4 on one ct6e-standard-4t — use a topology whose chip count is a multiple of 4',
    ]);
  });

  it('needs the namespaces allowed to use a class to be namespace names', () => {
    expectIssues(
      (d) => {
        h100(d).namespaces = ['default', 'ML_team'];
      },
      [
        'spec.capacityClasses[0].namespaces[1]: "ML_team" is not an RFC 1123 label (lower-case letters, digits and -) — use e.g. ml-team',
      ],
    );
  });

  it('needs a TPU machine type and a topology that parses', () => {
    const tpu =
      (machineType: string, topology: string): Edit =>
      (d) => {
        delete h100(d).accelerator;
        Object.assign(h100(d), { tpu: { type: 'tpu-v6e-slice', topology }, machineType });
      };
    expectIssues(tpu('a3-highgpu-8g', '2x4'), [
      'spec.capacityClasses[0].machineType: a3-highgpu-8g is not a TPU machine type — for tpu-v6e-slice use ct6e-standard-1t, ct6e-standard-4t, ct6e-standard-8t',
    ]);
    expectIssues(tpu('ct6e-standard-4t', 'eight'), [
      'spec.capacityClasses[0].tpu.topology: "eight" is not a TPU topology — write it as GKE does, e.g. 2x4 or 2x2x1',
    ]);
  });

  it('needs exactly one key per tier', () => {
    const edit: Edit = (d) => {
      h100(d).order[1] = { onDemand: {}, spot: {} };
    };
    expectIssues(edit, [
      'spec.capacityClasses[0].order[1]: sets onDemand and spot; a tier is one of them — write one of reservation, onDemand, flexStart, spot per entry of order, one entry per tier',
    ]);
    expectIssues(
      (d) => {
        h100(d).order[1] = {};
      },
      [
        'spec.capacityClasses[0].order[1]: sets no tier — write one of reservation, onDemand, flexStart, spot per entry of order, one entry per tier',
      ],
    );
  });

  it('needs a reservation to be { name, zone } in a zone, or { any: true }', () => {
    expectIssues(
      (d) => {
        h100(d).order[0].reservation = { name: 'h100-block' };
      },
      [
        'spec.capacityClasses[0].order[0].reservation: names no zone — write { name, zone } (project defaults to the platform’s), or { any: true }',
      ],
    );
    const inRegion: Edit = (d) => {
      h100(d).order[0].reservation.zone = 'us-east4';
    };
    expectIssues(inRegion, [
      'spec.capacityClasses[0].order[0].reservation.zone: "us-east4" is not a zone; a reservation is zonal — write the zone the reservation is in, e.g. us-east4-a',
    ]);
    expectAt(inRegion, 'us-east4', 'zone: ');
    expectIssues(
      (d) => {
        h100(d).order[0].reservation = { any: true, name: 'h100-block' };
      },
      [
        'spec.capacityClasses[0].order[0].reservation: sets any: true together with a named reservation — write either { any: true } or { name, zone, project? }, in two tiers if you want both',
      ],
    );
    expect(
      issuesAfter((d) => {
        h100(d).order[0].reservation = { any: true };
      }),
    ).toEqual([]);
    expectIssues(
      (d) => {
        h100(d).order[0].reservation = { any: false };
      },
      [
        'spec.capacityClasses[0].order[0].reservation.any: is false — write any: true for any matching reservation, or name one with { name, zone }',
      ],
    );
  });

  it('needs a flex-start maxRunDuration that parses and is at most 7d', () => {
    const duration =
      (text: string): Edit =>
      (d) => {
        h100(d).order[2].flexStart.maxRunDuration = text;
      };
    expectIssues(duration('8d'), [
      "spec.capacityClasses[0].order[2].flexStart.maxRunDuration: 8d is longer than flex-start's limit of 7d — use at most 7d",
    ]);
    expectIssues(duration('a week'), [
      'spec.capacityClasses[0].order[2].flexStart.maxRunDuration: "a week" is not a duration — write days, hours or minutes, e.g. 7d, 36h or 90m',
    ]);
    expect(issuesAfter(duration('6d23h59m'))).toEqual([]);
    expectAt(duration('8d'), '8d');
  });

  it('refuses an onDemand tier for A3 High with fewer than 8 GPUs, which Compute Engine sells only as Spot or flex-start', () => {
    const edit: Edit = (d) => {
      Object.assign(h100(d), {
        machineType: 'a3-highgpu-4g',
        accelerator: { type: 'nvidia-h100-80gb', count: 4 },
      });
    };
    expectIssues(edit, [
      'spec.capacityClasses[0].order[1].onDemand: a3-highgpu-4g is not sold on demand: Compute Engine creates it only as Spot or flex-start VMs — drop the onDemand tier (keep flexStart and spot), or use a3-highgpu-8g, which is sold on demand',
    ]);
    expectAt(edit, 'onDemand', 'order');
  });

  it('refuses ScaleUpAnyway for an accelerator class', () => {
    expectIssues(
      (d) => {
        h100(d).whenUnsatisfiable = 'ScaleUpAnyway';
      },
      [
        'spec.capacityClasses[0].whenUnsatisfiable: ScaleUpAnyway lets GKE land the pods on general-purpose nodes when no tier has capacity, where an accelerator workload cannot run — use DoNotScaleUp (the default): the pods wait until a tier has capacity',
      ],
    );
  });

  it('needs maxAccelerators to hold at least one node', () => {
    expectIssues(
      (d) => {
        h100(d).maxAccelerators = 4;
      },
      [
        'spec.capacityClasses[0].maxAccelerators: 4 is below the 8 accelerators of one a3-highgpu-8g node, so the class could never add a node — set maxAccelerators to at least 8 (a multiple of 8 is used fully)',
      ],
    );
  });

  it('needs a tier for every cluster: a class of only reservations elsewhere is refused', () => {
    expectIssues(
      (d) => {
        h100(d).order = [{ reservation: { name: 'h100-block', zone: 'us-east4-a' } }];
      },
      [
        'spec.capacityClasses[0].order: has no tier for cluster gke-west: every tier is a reservation in another zone — add a tier that is not zonal (onDemand, flexStart, spot or reservation { any: true }), or a reservation in europe-west3-c',
      ],
    );
  });

  it('needs classes when a cluster has no accelerator pools', () => {
    expectIssues(
      (d) => {
        d.platform.spec.capacityClasses = [];
        delete d.service.spec.model.capacityClass;
      },
      [
        'spec.clusters[0].acceleratorPools: cluster gke-west has no accelerator pools and the platform has no capacityClasses: its model servers would have no node to run on — add an acceleratorPools entry to the cluster, or a capacityClasses entry to the platform',
        'spec.clusters[1].acceleratorPools: cluster gke-east has no accelerator pools and the platform has no capacityClasses: its model servers would have no node to run on — add an acceleratorPools entry to the cluster, or a capacityClasses entry to the platform',
      ],
    );
  });
});

describe('capacity classes: warnings (exit 0)', () => {
  it('warns when maxAccelerators is not a whole number of nodes', () => {
    expect(
      warningsAfter((d) => {
        h100(d).maxAccelerators = 20;
      }),
    ).toEqual([
      'spec.capacityClasses[0].maxAccelerators: 20 is not a multiple of the 8 accelerators of one a3-highgpu-8g node: only 16 can be used — set maxAccelerators to 16 or 24',
    ]);
  });

  it('warns when two classes share an accelerator type: GKE limits it per cluster, so their budgets are shared', () => {
    const warnings = warningsAfter((d) => {
      d.platform.spec.capacityClasses.push({
        ...structuredClone(h100(d)),
        name: 'h100-spot',
        order: [{ spot: {} }],
      });
    });
    expect(warnings).toEqual([
      "spec.capacityClasses[0].maxAccelerators: nvidia-h100-80gb is also used by class h100-spot: GKE limits each accelerator type per cluster, so this class's budget is shared and it may grow past 16 while the others leave theirs idle — give each class its own accelerator type if each budget must hold on its own; the total stays within the sum of the budgets",
      expect.stringContaining(
        'spec.capacityClasses[1].maxAccelerators: nvidia-h100-80gb is also used by class h100',
      ),
    ]);
  });

  it('warns about a reservation in a zone no cluster is in', () => {
    expect(
      warningsAfter((d) => {
        h100(d).order[0].reservation.zone = 'us-central1-a';
      }),
    ).toEqual([
      'spec.capacityClasses[0].order[0].reservation.zone: no cluster of the platform is in us-central1-a, so no cluster uses this reservation — name a reservation in a zone of the clusters (europe-west3-c, us-east4-a), or drop the tier',
    ]);
  });

  it('warns about a reservation tier for A3 High with fewer than 8 GPUs (sources disagree)', () => {
    expect(
      warningsAfter((d) => {
        Object.assign(h100(d), {
          machineType: 'a3-highgpu-2g',
          accelerator: { type: 'nvidia-h100-80gb', count: 2 },
          maxAccelerators: 16,
        });
        h100(d).order.splice(1, 1); // no onDemand tier: that is an error
      }),
    ).toEqual([
      "spec.capacityClasses[0].order[0].reservation: a3-highgpu-2g may not come from a reservation: Compute Engine's A3 High page names only Spot and flex-start VMs for it (other sources add reservations) — keep the tier if your reservation holds this machine type (preflight checks it); otherwise use a3-highgpu-8g for reserved capacity",
    ]);
  });

  it('warns about an accelerator pool without spot on A3 High with fewer than 8 GPUs', () => {
    const pool = {
      name: 'h100',
      accelerator: { type: 'nvidia-h100-80gb', count: 2 },
      machineType: 'a3-highgpu-2g',
    };
    // The pool shares the class's accelerator type (a warning of its own, tested above).
    const poolWarnings = (edit: Parameters<typeof warningsAfter>[0]) =>
      warningsAfter(edit).filter((w) => !w.includes('is also used by'));
    expect(
      poolWarnings((d) => {
        d.platform.spec.clusters[0].acceleratorPools = [pool];
      }),
    ).toEqual([
      'spec.clusters[0].acceleratorPools[0].machineType: a3-highgpu-2g is not sold on demand (only as Spot or flex-start VMs), and this pool is not spot: its nodes may never come — set spot: true, use a3-highgpu-8g, or move the cluster to a capacity class with flexStart and spot tiers',
    ]);
    expect(
      poolWarnings((d) => {
        d.platform.spec.clusters[0].acceleratorPools = [{ ...pool, spot: true }];
      }),
    ).toEqual([]);
  });

  it("warns when maxReplicas exceeds the class's budget, and refuses minReplicas beyond it", () => {
    expect(
      warningsAfter((d) => {
        d.service.spec.autoscaling.maxReplicas = 17;
      }),
    ).toEqual([
      "spec.autoscaling.maxReplicas: 17 replicas of 1 accelerator(s) exceed class h100-8's budget of 16 per cluster (16 replicas); GKE adds no node past the budget, so the extra replicas would stay Pending — lower maxReplicas to 16, or raise the class's maxAccelerators",
    ]);
    expectIssues(
      (d) => {
        Object.assign(d.service.spec.autoscaling, { minReplicas: 17, maxReplicas: 17 });
      },
      [
        "spec.autoscaling.minReplicas: 17 replicas of 1 accelerator(s) do not fit in class h100-8's budget of 16 per cluster (16 replicas) — lower minReplicas to 16, or raise the class's maxAccelerators",
      ],
    );
  });
});

describe('capacity classes: service rules', () => {
  it('needs model.capacityClass to name a class of the platform', () => {
    const edit: Edit = (d) => {
      d.service.spec.model.capacityClass = 'h200';
    };
    expectIssues(edit, [
      'spec.model.capacityClass: platform inference-prod has no capacity class h200 — use one of h100-8',
    ]);
    expectAt(edit, 'h200');
  });

  it("needs a replica's accelerators to fit on one node of the class", () => {
    expectIssues(
      (d) => {
        d.service.spec.model.gpusPerReplica = 16;
      },
      [
        'spec.model.gpusPerReplica: 16 accelerators per replica do not fit on one node of class h100-8 (8 per a3-highgpu-8g) — lower gpusPerReplica to 8, or use a class with more accelerators per node',
      ],
    );
  });

  it('needs accelerator pools in its regions when it names no class', () => {
    expectIssues(
      (d) => {
        delete d.service.spec.model.capacityClass;
      },
      [
        'spec.model: cluster gke-west (europe-west3) has no accelerator pools, and the service names no capacityClass: its model servers would have no node there — set model.capacityClass to one of h100-8, or leave europe-west3 out of regions',
        'spec.model: cluster gke-east (us-east4) has no accelerator pools, and the service names no capacityClass: its model servers would have no node there — set model.capacityClass to one of h100-8, or leave us-east4 out of regions',
      ],
    );
  });
});
