import { describe, expect, it } from '@jest/globals';
import { checkSpec, formatIssue, MIN_GKE_VERSION, type Spec } from '../src/index.js';
import {
  editedExample,
  exampleDocuments,
  issuesAfter,
  issuesIn,
  positionOf,
  specText,
  summarise,
} from './helpers.js';

type Docs = Parameters<Parameters<typeof issuesAfter>[0]>[0];
type Edit = (docs: Docs) => void;

/** The example with `edit` applied must produce exactly these `PATH: message — hint` lines. */
function expectIssues(edit: Edit, expected: string[]) {
  expect(summarise(issuesAfter(edit))).toEqual(expected);
}

/** The example with `edit` applied must be valid. */
function expectValid(edit: Edit) {
  expect(issuesAfter(edit).map(formatIssue)).toEqual([]);
}

/** The single issue of the edited example sits at the first `needle` (after `after`) in its text. */
function expectPosition(edit: Edit, needle: string, after = '') {
  const issues = issuesAfter(edit);
  expect(issues).toHaveLength(1);
  const { line, column } = issues[0]!;
  expect({ line, column }).toEqual(positionOf(editedExample(edit), needle, after));
}

/** The warnings of the edited example (which must be valid), as `PATH: message — hint` lines. */
function warningsAfter(edit: Edit): string[] {
  const result = checkSpec([{ file: 'spec.yaml', text: editedExample(edit) }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return summarise(result.warnings.filter((w) => w.path !== 'spec.pool.inferenceExtension'));
}

/** The resolved spec of the edited example (which must be valid). */
function resolved(edit: Edit): Spec {
  const result = checkSpec([{ file: 'spec.yaml', text: editedExample(edit) }]);
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.spec;
}

const west = (d: Docs) => d.platform.spec.clusters[0];
const east = (d: Docs) => d.platform.spec.clusters[1];
const pool = (d: Docs, cluster = 0) => d.platform.spec.clusters[cluster].acceleratorPools[0];
/** The service runs in europe-west3 only (so a broken gke-east does not echo into it). */
const westOnly = (d: Docs) => {
  d.service.spec.regions = ['europe-west3'];
  delete d.service.spec.balancing.preferredRegions;
};

describe('InferencePlatform', () => {
  describe('clusters', () => {
    it('needs a config cluster', () => {
      expectIssues(
        (d) => {
          west(d).configCluster = false;
        },
        [
          'spec.clusters: no cluster is the config cluster — set configCluster: true on exactly one cluster (it hosts the Gateway)',
        ],
      );
    });

    it('allows only one config cluster, reporting the second at its flag', () => {
      const edit: Edit = (d) => {
        east(d).configCluster = true;
      };
      expectIssues(edit, [
        'spec.clusters[1].configCluster: a second config cluster (the first is gke-west); a fleet has exactly one — remove configCluster from all but one cluster',
      ]);
      // The edit adds the flag last in the last cluster, just before the service document.
      expectPosition(edit, 'true\n---', 'name: gke-east');
    });

    it('needs at least two clusters', () => {
      expectIssues(
        (d) => {
          d.platform.spec.clusters.pop();
          westOnly(d);
        },
        [
          'spec.clusters: has 1 cluster; a cross-region gateway needs clusters in at least two regions — add a cluster in another region',
        ],
      );
    });

    it('needs each cluster in a different region (and lists each platform region once)', () => {
      expectIssues(
        (d) => {
          east(d).location = 'europe-west3-a';
        },
        [
          'spec.clusters[1].location: region europe-west3 already has cluster gke-west; each cluster must be in a different region — move this cluster to another region, or remove it',
          'spec.regions[0]: platform inference-prod has no cluster in us-east4 — use regions of the platform: europe-west3',
        ],
      );
    });

    it('needs a location that is a zone or a region', () => {
      expectIssues(
        (d) => {
          east(d).location = 'us-east';
          westOnly(d);
        },
        [
          'spec.clusters[1].location: "us-east" is neither a zone nor a region — write a zone like europe-west3-c or a region like us-east4',
        ],
      );
      // A region (regional cluster) is as good as a zone.
      expectValid((d) => {
        east(d).location = 'us-east4';
      });
    });

    it('needs distinct cluster names', () => {
      expectIssues(
        (d) => {
          east(d).name = 'gke-west';
        },
        [
          'spec.clusters[1].name: cluster name gke-west is used twice (also clusters[0]) — give each cluster its own name',
        ],
      );
    });

    it('needs distinct node pool names within a cluster', () => {
      expectIssues(
        (d) => {
          west(d).acceleratorPools.push({ ...pool(d), nodes: { initial: 1, min: 1, max: 1 } });
        },
        [
          'spec.clusters[0].acceleratorPools[1].name: node pool name h100 is used twice in cluster gke-west — give each pool its own name',
        ],
      );
    });
  });

  describe('names', () => {
    it('limits cluster names to 40 characters', () => {
      const name41 = `gke-${'x'.repeat(37)}`;
      expectIssues(
        (d) => {
          east(d).name = name41;
        },
        [
          `spec.clusters[1].name: "${name41}" is 41 characters, over the limit of 40 (GKE cluster names) — shorten it to at most 40 characters`,
        ],
      );
      expectValid((d) => {
        east(d).name = name41.slice(1);
      });
    });

    it('needs cluster names to be RFC 1035 labels', () => {
      expectIssues(
        (d) => {
          east(d).name = 'Gke_East';
        },
        [
          'spec.clusters[1].name: "Gke_East" is not an RFC 1035 label (lower-case letters, digits and -, starting with a letter) — use e.g. gke-east',
        ],
      );
    });

    it('limits node pool names to 40 characters', () => {
      const name41 = 'h'.repeat(41);
      expectIssues(
        (d) => {
          pool(d, 1).name = name41;
        },
        [
          `spec.clusters[1].acceleratorPools[0].name: "${name41}" is 41 characters, over the limit of 40 (GKE node pool names) — shorten it to at most 40 characters`,
        ],
      );
    });

    it('needs node pool names to be RFC 1035 labels', () => {
      expectIssues(
        (d) => {
          pool(d, 1).name = '100h';
        },
        [
          'spec.clusters[1].acceleratorPools[0].name: "100h" is not an RFC 1035 label (lower-case letters, digits and -, starting with a letter) — use e.g. h',
        ],
      );
    });

    it('needs the platform name to be an RFC 1035 label of at most 63 characters', () => {
      const rename = (name: string) => (d: Docs) => {
        d.platform.metadata.name = name;
        d.service.spec.platform = name;
      };
      expectIssues(rename('Inference.Prod'), [
        'metadata.name: "Inference.Prod" is not an RFC 1035 label (lower-case letters, digits and -, starting with a letter) — use e.g. inference-prod',
      ]);
      expectIssues(rename('p'.repeat(64)), [
        `metadata.name: "${'p'.repeat(64)}" is 64 characters, over the limit of 63 — shorten it to at most 63 characters`,
      ]);
    });

    it('needs the network name to be an RFC 1035 label', () => {
      expectIssues(
        (d) => {
          d.platform.spec.network = 'projects/p/global/networks/default';
        },
        [
          'spec.network: "projects/p/global/networks/default" is not an RFC 1035 label (lower-case letters, digits and -, starting with a letter) — use e.g. projects-p-global-networks-default',
        ],
      );
    });

    it('needs a Google Cloud project ID, not a project number', () => {
      const edit: Edit = (d) => {
        d.platform.spec.projectId = '123456789012';
      };
      expectIssues(edit, [
        'spec.projectId: "123456789012" is not a Google Cloud project ID — use the project ID (6–30 lower-case letters, digits and -), not its name or number',
      ]);
      expectPosition(edit, '"123456789012"');
    });

    it('limits project IDs to 6–30 characters', () => {
      for (const projectId of ['short', `p${'x'.repeat(30)}`]) {
        expect(
          summarise(issuesAfter((d) => void (d.platform.spec.projectId = projectId))).map(
            (l) => l.split(':')[0],
          ),
        ).toEqual(['spec.projectId']);
      }
    });
  });

  describe('GKE version', () => {
    it('must be written as GKE writes it', () => {
      expectIssues(
        (d) => {
          d.platform.spec.gkeVersion = '1.34';
        },
        ['spec.gkeVersion: "1.34" is not a GKE version — write it as GKE does, e.g. 1.34.1-gke.1127000'],
      );
    });

    it(`must be at least ${MIN_GKE_VERSION}`, () => {
      expectIssues(
        (d) => {
          d.platform.spec.gkeVersion = '1.34.1-gke.1126999';
        },
        [
          'spec.gkeVersion: 1.34.1-gke.1126999 is older than 1.34.1-gke.1127000, the first with multi-cluster Inference Gateway — use 1.34.1-gke.1127000 or later',
        ],
      );
      expectValid((d) => {
        d.platform.spec.gkeVersion = '1.35.0-gke.100';
      });
    });
  });

  describe('accelerators', () => {
    const machine = (machineType: string, type: string, count: number) => (d: Docs) => {
      Object.assign(pool(d), { machineType, accelerator: { type, count } });
    };

    it('needs the accelerator type that the machine type carries', () => {
      const edit = machine('a3-highgpu-2g', 'nvidia-l4', 2);
      expectIssues(edit, [
        'spec.clusters[0].acceleratorPools[0].accelerator.type: a3-highgpu-2g carries nvidia-h100-80gb, not nvidia-l4 — set accelerator.type to nvidia-h100-80gb, or pick a machine type that carries nvidia-l4',
      ]);
      expectPosition(edit, 'nvidia-l4');
    });

    it('needs the count that an a3-highgpu machine carries', () => {
      expectIssues(machine('a3-highgpu-2g', 'nvidia-h100-80gb', 4), [
        'spec.clusters[0].acceleratorPools[0].accelerator.count: a3-highgpu-2g carries 2 × nvidia-h100-80gb, not 4 — set accelerator.count to 2 (or use a3-highgpu-1g for 1, a3-highgpu-2g for 2, a3-highgpu-4g for 4, a3-highgpu-8g for 8)',
      ]);
      expectValid(machine('a3-highgpu-8g', 'nvidia-h100-80gb', 8));
    });

    it('needs 8 × H100 Mega on a3-megagpu-8g', () => {
      expectIssues(machine('a3-megagpu-8g', 'nvidia-h100-mega-80gb', 4), [
        'spec.clusters[0].acceleratorPools[0].accelerator.count: a3-megagpu-8g carries 8 × nvidia-h100-mega-80gb, not 4 — set accelerator.count to 8',
      ]);
      expectIssues(machine('a3-megagpu-8g', 'nvidia-h100-80gb', 8), [
        'spec.clusters[0].acceleratorPools[0].accelerator.type: a3-megagpu-8g carries nvidia-h100-mega-80gb, not nvidia-h100-80gb — set accelerator.type to nvidia-h100-mega-80gb, or pick a machine type that carries nvidia-h100-80gb',
      ]);
    });

    it('tells A100 40GB (a2-highgpu) from A100 80GB (a2-ultragpu)', () => {
      expectIssues(machine('a2-highgpu-2g', 'nvidia-a100-80gb', 2), [
        'spec.clusters[0].acceleratorPools[0].accelerator.type: a2-highgpu-2g carries nvidia-tesla-a100, not nvidia-a100-80gb — set accelerator.type to nvidia-tesla-a100, or pick a machine type that carries nvidia-a100-80gb',
      ]);
      expectIssues(machine('a2-ultragpu-4g', 'nvidia-a100-80gb', 2), [
        'spec.clusters[0].acceleratorPools[0].accelerator.count: a2-ultragpu-4g carries 4 × nvidia-a100-80gb, not 2 — set accelerator.count to 4 (or use a2-ultragpu-1g for 1, a2-ultragpu-2g for 2, a2-ultragpu-4g for 4, a2-ultragpu-8g for 8)',
      ]);
      expectValid(machine('a2-highgpu-2g', 'nvidia-tesla-a100', 2));
    });

    it('needs the L4 count of a g2-standard machine', () => {
      const issues = summarise(issuesAfter(machine('g2-standard-24', 'nvidia-l4', 1)));
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatch(
        /^spec\.clusters\[0\]\.acceleratorPools\[0\]\.accelerator\.count: g2-standard-24 carries 2 × nvidia-l4, not 1 — set accelerator\.count to 2 \(or use g2-standard-4 for 1, /,
      );
      expectValid(machine('g2-standard-48', 'nvidia-l4', 4));
    });

    it('refuses a machine type without GPUs, suggesting those for the accelerator', () => {
      const edit: Edit = (d) => {
        pool(d).machineType = 'e2-standard-8';
      };
      expectIssues(edit, [
        'spec.clusters[0].acceleratorPools[0].machineType: e2-standard-8 is not a GPU machine type — for nvidia-h100-80gb use a3-highgpu-1g, a3-highgpu-2g, a3-highgpu-4g, a3-highgpu-8g',
      ]);
      expectPosition(edit, 'e2-standard-8');
      expectIssues(machine('e2-standard-8', 'nvidia-tesla-t4', 1), [
        'spec.clusters[0].acceleratorPools[0].machineType: e2-standard-8 is not a GPU machine type — use an accelerator-optimized machine type (a3-highgpu-*, a3-megagpu-8g, a2-*, g2-*)',
      ]);
    });

    it('attaches to n1 machines only the GPUs and counts they take', () => {
      expectIssues(machine('n1-standard-8', 'nvidia-tesla-t4', 3), [
        'spec.clusters[0].acceleratorPools[0].accelerator.count: nvidia-tesla-t4 attaches in counts of 1, 2, 4, not 3 — set accelerator.count to one of 1, 2, 4',
      ]);
      expectIssues(machine('n1-standard-8', 'nvidia-h100-80gb', 2), [
        'spec.clusters[0].acceleratorPools[0].accelerator.type: nvidia-h100-80gb cannot be attached to n1-standard-8 — use one of nvidia-tesla-t4, nvidia-tesla-v100, nvidia-tesla-p100, nvidia-tesla-p4, or a GPU machine type (a3-highgpu-*, a2-*, g2-*)',
      ]);
      expectValid(machine('n1-standard-8', 'nvidia-tesla-t4', 2));
    });
  });

  describe('node counts', () => {
    it('needs min ≤ max', () => {
      const edit: Edit = (d) => {
        pool(d).nodes = { initial: 12, min: 12, max: 11 };
      };
      expectIssues(edit, [
        'spec.clusters[0].acceleratorPools[0].nodes.min: min (12) is above max (11) — make min ≤ initial ≤ max',
      ]);
      expectPosition(edit, '12', 'min:');
    });

    it('needs initial within min..max', () => {
      for (const initial of [0, 11]) {
        expectIssues(
          (d) => {
            pool(d).nodes = { initial, min: 1, max: 10 };
          },
          [
            `spec.clusters[0].acceleratorPools[0].nodes.initial: initial (${initial}) is outside min..max (1..10) — make min ≤ initial ≤ max`,
          ],
        );
      }
    });
  });

  describe('proxy-only subnets', () => {
    const cidr = (value: string) => (d: Docs) => {
      east(d).proxySubnet.cidr = value;
    };
    const HINT = 'write an IPv4 range like 10.0.0.0/23';

    it('needs a CIDR range', () => {
      expectIssues(cidr('10.5.0.0'), [
        `spec.clusters[1].proxySubnet.cidr: "10.5.0.0" is not a CIDR range — ${HINT}`,
      ]);
      expectPosition(cidr('10.5.0.0'), '10.5.0.0');
    });

    it('refuses host bits, naming where the range starts', () => {
      expectIssues(cidr('10.5.1.0/23'), [
        `spec.clusters[1].proxySubnet.cidr: 10.5.1.0/23 has host bits set (the range starts at 10.5.0.0) — ${HINT}`,
      ]);
    });

    it('refuses a range smaller than /26', () => {
      expectIssues(cidr('10.5.0.0/27'), [
        'spec.clusters[1].proxySubnet.cidr: /27 is too small for a proxy-only subnet (the smallest is /26) — use a /23 as Google recommends, or at least /26',
      ]);
      expectValid(cidr('10.5.0.0/26'));
    });

    it('refuses IPv6', () => {
      expectIssues(cidr('fd00::/64'), [
        `spec.clusters[1].proxySubnet.cidr: fd00::/64 is IPv6; proxy-only subnets take an IPv4 range — ${HINT}`,
      ]);
    });

    it('refuses overlapping ranges, at the later cluster', () => {
      expectIssues(cidr('10.0.1.0/24'), [
        'spec.clusters[1].proxySubnet.cidr: 10.0.1.0/24 overlaps 10.0.0.0/23 of cluster gke-west — give each region a range of its own',
      ]);
      expectIssues(cidr('10.0.0.0/8'), [
        'spec.clusters[1].proxySubnet.cidr: 10.0.0.0/8 overlaps 10.0.0.0/23 of cluster gke-west — give each region a range of its own',
      ]);
      expectValid(cidr('10.0.2.0/23'));
    });
  });
});

describe('InferenceService', () => {
  describe('platform and regions', () => {
    it('needs the platform it names', () => {
      const edit: Edit = (d) => {
        d.service.spec.platform = 'inference-dev';
      };
      expectIssues(edit, [
        'spec.platform: no InferencePlatform named inference-dev (the file defines inference-prod) — name a platform defined in the files you pass with -f, or pass its spec read-only with --platform FILE',
      ]);
      expectPosition(edit, 'inference-dev');
    });

    it('does not call an invalid platform missing', () => {
      // The platform has a shape error; only that error is reported, not a missing platform.
      expectIssues(
        (d) => {
          west(d).nmae = 'x';
        },
        ['spec.clusters[0].nmae: unknown field nmae — did you mean name?'],
      );
    });

    it('needs its regions to be regions of the platform', () => {
      expectIssues(
        (d) => {
          d.service.spec.regions = ['us-east4', 'asia-east1'];
        },
        [
          'spec.regions[1]: platform inference-prod has no cluster in asia-east1 — use regions of the platform: europe-west3, us-east4',
        ],
      );
    });

    it('needs each region once', () => {
      expectIssues(
        (d) => {
          d.service.spec.regions = ['us-east4', 'europe-west3', 'us-east4'];
        },
        ['spec.regions[2]: region us-east4 is listed twice — list each region once'],
      );
    });

    it("needs preferred regions among the service's regions", () => {
      expectIssues(
        (d) => {
          d.service.spec.regions = ['europe-west3'];
          d.service.spec.balancing.preferredRegions = ['us-east4'];
        },
        [
          "spec.balancing.preferredRegions[0]: us-east4 is not one of the service's regions (europe-west3) — prefer a region the service runs in",
        ],
      );
      // Without spec.regions, the service runs in all the platform's regions.
      expectValid((d) => {
        delete d.service.spec.regions;
        d.service.spec.balancing.preferredRegions = ['europe-west3'];
      });
    });

    it('refuses preferring every region', () => {
      const message =
        'spec.balancing.preferredRegions: every region is preferred, so none is — leave at least one region to spill over to, or drop preferredRegions';
      expectIssues(
        (d) => {
          d.service.spec.balancing.preferredRegions = ['us-east4', 'europe-west3'];
        },
        [message],
      );
      expectIssues(
        (d) => {
          delete d.service.spec.regions;
          d.service.spec.balancing.preferredRegions = ['europe-west3', 'us-east4'];
        },
        [message],
      );
      // Naming one region twice does not prefer them all.
      expectValid((d) => {
        d.service.spec.balancing.preferredRegions = ['us-east4', 'us-east4'];
      });
    });
  });

  describe('balancing', () => {
    it('refuses maxInFlightRequestsPerEndpoint in CUSTOM_METRICS mode', () => {
      const edit: Edit = (d) => {
        d.service.spec.balancing.maxInFlightRequestsPerEndpoint = 100;
      };
      expectIssues(edit, [
        'spec.balancing.maxInFlightRequestsPerEndpoint: belongs to mode IN_FLIGHT, but mode is CUSTOM_METRICS (the two are mutually exclusive) — remove it, or set mode: IN_FLIGHT',
      ]);
      expectPosition(edit, '100', 'maxInFlightRequestsPerEndpoint');
    });

    it('refuses maxUtilizationPercent in IN_FLIGHT mode', () => {
      expectIssues(
        (d) => {
          d.service.spec.balancing.mode = 'IN_FLIGHT';
        },
        [
          'spec.balancing.maxUtilizationPercent: belongs to mode CUSTOM_METRICS, but mode is IN_FLIGHT (the two are mutually exclusive) — remove it, or set mode: CUSTOM_METRICS',
        ],
      );
    });
  });

  describe('autoscaling', () => {
    it.each([0, 1, 1.5, -0.25])('needs targetUtilization inside (0, 1): %p', (target) => {
      expectIssues(
        (d) => {
          d.service.spec.autoscaling.targetUtilization = target;
        },
        [
          `spec.autoscaling.targetUtilization: ${target} is outside (0, 1); the KV-cache metric is a fraction and above 1 reads as 100% — use a fraction such as 0.5`,
        ],
      );
    });

    it("needs targetUtilization below the load balancer's threshold", () => {
      const edit: Edit = (d) => {
        d.service.spec.balancing.maxUtilizationPercent = 50;
      };
      expectIssues(edit, [
        "spec.autoscaling.targetUtilization: 0.5 is not below the load balancer's threshold of 0.5 (balancing.maxUtilizationPercent), so traffic would spill to other regions before this one scales out — use a target below 0.5, e.g. 0.3",
      ]);
      expectPosition(edit, '0.5', 'targetUtilization');
    });

    it('compares with the default threshold of 80% when maxUtilizationPercent is omitted', () => {
      const target = (value: number) => (d: Docs) => {
        delete d.service.spec.balancing.maxUtilizationPercent;
        d.service.spec.autoscaling.targetUtilization = value;
      };
      expectIssues(target(0.8), [
        "spec.autoscaling.targetUtilization: 0.8 is not below the load balancer's threshold of 0.8 (balancing.maxUtilizationPercent), so traffic would spill to other regions before this one scales out — use a target below 0.8, e.g. 0.48",
      ]);
      expectValid(target(0.79));
    });

    it('has no threshold to stay below in IN_FLIGHT mode', () => {
      expectValid((d) => {
        d.service.spec.balancing = { mode: 'IN_FLIGHT', preferredRegions: ['us-east4'] };
        d.service.spec.autoscaling.targetUtilization = 0.9;
      });
    });

    it('needs minReplicas ≤ maxReplicas', () => {
      expectIssues(
        (d) => {
          Object.assign(d.service.spec.autoscaling, { minReplicas: 5, maxReplicas: 3 });
        },
        [
          'spec.autoscaling.minReplicas: minReplicas (5) is above maxReplicas (3) — make minReplicas ≤ maxReplicas',
        ],
      );
    });
  });

  describe('capacity', () => {
    /** gke-west holds 40 one-GPU replicas, gke-east 20. */
    const biggerWest = (d: Docs) => {
      pool(d, 0).nodes.max = 20;
    };

    it("needs a replica's GPUs to fit on one node", () => {
      expectIssues(
        (d) => {
          d.service.spec.model.gpusPerReplica = 4;
        },
        [
          'spec.model.gpusPerReplica: 4 GPUs per replica do not fit on one node of cluster gke-west (at most 2) — lower gpusPerReplica to 2, or use a machine type with more GPUs',
        ],
      );
    });

    it('warns, and does not refuse, when maxReplicas exceeds the pools of a cluster of the service', () => {
      const edit = (d: Docs) => {
        biggerWest(d);
        d.service.spec.autoscaling.maxReplicas = 21;
      };
      expectValid(edit);
      expect(warningsAfter(edit)).toEqual([
        "spec.autoscaling.maxReplicas: 21 replicas of 1 GPU(s) do not fit in cluster gke-east, whose pools hold at most 20; the extra replicas would stay Pending while the load spills to other regions — lower maxReplicas to 20, raise the pools' nodes.max, or run the service on a capacity class",
      ]);
      // Two GPUs per replica: a3-highgpu-2g nodes hold one replica each.
      expect(
        warningsAfter((d) => {
          d.service.spec.model.gpusPerReplica = 2;
          d.service.spec.autoscaling.maxReplicas = 11;
        }).map((w) => w.split(';')[0]),
      ).toEqual([
        'spec.autoscaling.maxReplicas: 11 replicas of 2 GPU(s) do not fit in cluster gke-west, whose pools hold at most 10',
        'spec.autoscaling.maxReplicas: 11 replicas of 2 GPU(s) do not fit in cluster gke-east, whose pools hold at most 10',
      ]);
    });

    it('needs minReplicas to fit in the pools (an error), maxReplicas beyond them a warning', () => {
      const edit = (d: Docs) => {
        biggerWest(d);
        Object.assign(d.service.spec.autoscaling, { minReplicas: 25, maxReplicas: 30 });
      };
      expectIssues(edit, [
        "spec.autoscaling.minReplicas: 25 replicas of 1 GPU(s) do not fit in cluster gke-east, whose pools hold at most 20 — lower minReplicas to 20, or raise the pools' nodes.max",
      ]);
    });

    it('counts only whole replicas per node', () => {
      // 4 GPUs per node hold one replica of 3 GPUs (not 1⅓): 10 nodes, 10 replicas.
      const fourGpuNodes = (d: Docs) => {
        for (const cluster of [0, 1])
          Object.assign(pool(d, cluster), {
            machineType: 'a3-highgpu-4g',
            accelerator: { type: 'nvidia-h100-80gb', count: 4 },
          });
        d.service.spec.model.gpusPerReplica = 3;
      };
      expect(
        warningsAfter((d) => {
          fourGpuNodes(d);
          d.service.spec.autoscaling.maxReplicas = 11;
        }).map((w) => w.split(';')[0]),
      ).toEqual([
        'spec.autoscaling.maxReplicas: 11 replicas of 3 GPU(s) do not fit in cluster gke-west, whose pools hold at most 10',
        'spec.autoscaling.maxReplicas: 11 replicas of 3 GPU(s) do not fit in cluster gke-east, whose pools hold at most 10',
      ]);
      expect(
        warningsAfter((d) => {
          fourGpuNodes(d);
          d.service.spec.autoscaling.maxReplicas = 10;
        }),
      ).toEqual([]);
    });

    it("ignores clusters outside the service's regions", () => {
      expectValid((d) => {
        pool(d, 0).nodes = { initial: 1, min: 1, max: 1 };
        d.service.spec.regions = ['us-east4'];
        delete d.service.spec.balancing.preferredRegions;
      });
    });
  });

  describe('names', () => {
    it('needs the service name to be an RFC 1035 label', () => {
      expectIssues(
        (d) => {
          d.service.metadata.name = 'Food_Review';
        },
        [
          'metadata.name: "Food_Review" is not an RFC 1035 label (lower-case letters, digits and -, starting with a letter) — use e.g. food-review',
        ],
      );
    });

    it('needs the namespace to be an RFC 1123 label', () => {
      expectIssues(
        (d) => {
          d.service.metadata.namespace = 'My NS';
        },
        [
          'metadata.namespace: "My NS" is not an RFC 1123 label (lower-case letters, digits and -) — use e.g. my-ns',
        ],
      );
    });

    it('limits the pool name to 59 characters (the endpoint picker adds -epp)', () => {
      const name60 = `vllm-${'x'.repeat(55)}`;
      expectIssues(
        (d) => {
          d.service.spec.pool.name = name60;
        },
        [
          `spec.pool.name: "${name60}" is 60 characters, over the limit of 59 (the endpoint picker is named POOL-epp) — shorten it to at most 59 characters`,
        ],
      );
      expectValid((d) => {
        d.service.spec.pool.name = name60.slice(1);
      });
    });

    it('needs the pool name to be an RFC 1035 label', () => {
      expectIssues(
        (d) => {
          d.service.spec.pool.name = '8b-pool';
        },
        [
          'spec.pool.name: "8b-pool" is not an RFC 1035 label (lower-case letters, digits and -, starting with a letter) — use e.g. b-pool',
        ],
      );
    });

    it('needs the gateway name to be an RFC 1123 label', () => {
      expectIssues(
        (d) => {
          d.service.spec.gateway.name = 'Cross_Region';
        },
        [
          'spec.gateway.name: "Cross_Region" is not an RFC 1123 label (lower-case letters, digits and -) — use e.g. cross-region',
        ],
      );
    });

    it('needs objective names to be RFC 1123 labels', () => {
      expectIssues(
        (d) => {
          d.service.spec.objectives[0].name = 'Food Review';
        },
        [
          'spec.objectives[0].name: "Food Review" is not an RFC 1123 label (lower-case letters, digits and -) — use e.g. food-review',
        ],
      );
    });

    it('needs objective names to be unique', () => {
      expectIssues(
        (d) => {
          d.service.spec.objectives.push({ name: 'food-review', priority: 1 });
        },
        ['spec.objectives[1].name: objective food-review is listed twice — give each objective its own name'],
      );
    });

    it('needs LoRA adapter names to be unique', () => {
      expectIssues(
        (d) => {
          d.service.spec.model.loraAdapters.push({ name: 'food-review-1', source: 'someone/else' });
        },
        [
          'spec.model.loraAdapters[1].name: LoRA adapter food-review-1 is listed twice — give each adapter its own name',
        ],
      );
    });
  });

  describe('Hugging Face token', () => {
    const token = (d: Docs) => d.service.spec.model.huggingFaceToken;
    const ONE_SOURCE =
      'set exactly one of fromEnv (an environment variable) or secretManager (projects/P/secrets/S/versions/V)';

    it('needs a token source', () => {
      expectIssues(
        (d) => {
          delete token(d).fromEnv;
        },
        [`spec.model.huggingFaceToken: no token source is set — ${ONE_SOURCE}`],
      );
    });

    it('refuses two token sources', () => {
      expectIssues(
        (d) => {
          token(d).secretManager = 'projects/my-project/secrets/hf/versions/latest';
        },
        [`spec.model.huggingFaceToken: both fromEnv and secretManager are set — ${ONE_SOURCE}`],
      );
    });

    it('needs a Secret Manager version name', () => {
      const secretManager = (value: string) => (d: Docs) => {
        delete token(d).fromEnv;
        token(d).secretManager = value;
      };
      expectIssues(secretManager('projects/my-project/secrets/hf'), [
        'spec.model.huggingFaceToken.secretManager: "projects/my-project/secrets/hf" is not a secret version name — write projects/PROJECT/secrets/NAME/versions/latest (or a version number)',
      ]);
      expectValid(secretManager('projects/my-project/secrets/hf/versions/3'));
    });

    it('needs fromEnv to be an environment variable name', () => {
      expectIssues(
        (d) => {
          token(d).fromEnv = '$HF_TOKEN';
        },
        [
          'spec.model.huggingFaceToken.fromEnv: "$HF_TOKEN" is not an environment variable name — name the variable that holds the token, e.g. HF_TOKEN',
        ],
      );
    });

    it('needs the Secret name to be an RFC 1123 label', () => {
      expectIssues(
        (d) => {
          token(d).secretName = 'HF_TOKEN';
        },
        [
          'spec.model.huggingFaceToken.secretName: "HF_TOKEN" is not an RFC 1123 label (lower-case letters, digits and -) — use e.g. hf-token',
        ],
      );
    });
  });

  describe('image and KV-cache metric', () => {
    const image = (value: string, kvCacheMetric?: string) => (d: Docs) => {
      d.service.spec.model.image = value;
      if (kvCacheMetric) d.service.spec.model.kvCacheMetric = kvCacheMetric;
    };

    it.each([
      'vllm/vllm-openai:latest',
      'vllm/vllm-openai',
      'localhost:5000/vllm-openai',
      `vllm/vllm-openai@sha256:${'a'.repeat(64)}`,
    ])('needs model.kvCacheMetric when the image does not pin a version: %s', (unpinned) => {
      expectIssues(image(unpinned), [
        `spec.model.image: the tag of ${unpinned} does not pin a vLLM version, so the KV-cache metric name is unknown — pin the image (e.g. vllm/vllm-openai:v0.10.2), or set model.kvCacheMetric to vllm:kv_cache_usage_perc (v0.10.2+) or vllm:gpu_cache_usage_perc`,
      ]);
      expectValid(image(unpinned, 'vllm:kv_cache_usage_perc'));
    });

    it('refuses a kvCacheMetric that contradicts the pinned version', () => {
      expectIssues(image('vllm/vllm-openai:v0.10.2', 'vllm:gpu_cache_usage_perc'), [
        'spec.model.kvCacheMetric: vLLM 0.10.2 exports vllm:kv_cache_usage_perc, not vllm:gpu_cache_usage_perc — remove kvCacheMetric (it follows the image) or set it to vllm:kv_cache_usage_perc',
      ]);
      expectIssues(image('vllm/vllm-openai:v0.8.5', 'vllm:kv_cache_usage_perc'), [
        'spec.model.kvCacheMetric: vLLM 0.8.5 exports vllm:gpu_cache_usage_perc, not vllm:kv_cache_usage_perc — remove kvCacheMetric (it follows the image) or set it to vllm:gpu_cache_usage_perc',
      ]);
      expectValid(image('vllm/vllm-openai:v0.8.5', 'vllm:gpu_cache_usage_perc'));
    });
  });
});

describe('across documents', () => {
  /** The example plus a second service made by `edit` from a copy of the first. */
  const withSecondService = (edit: (service: Record<string, any>) => void) => {
    const { platform, service } = exampleDocuments();
    const second = structuredClone(service);
    second.metadata.name = 'food-review-2';
    second.spec.model.huggingFaceToken.secretName = 'hf-token-2';
    second.spec.objectives = [{ name: 'food-review-2', priority: 10 }];
    edit(second);
    return summarise(issuesIn(specText(platform, service, second)));
  };

  it('refuses two services in one namespace claiming the same pool', () => {
    expect(
      withSecondService((s) => {
        s.spec.gateway.name = 'gateway-2';
      }),
    ).toEqual([
      "spec.pool.name: pool vllm-llama3-8b-instruct in namespace default is already service food-review's — give this service its own pool name",
    ]);
  });

  it('refuses two services in one namespace claiming the same derived pool name', () => {
    const { platform, service } = exampleDocuments();
    delete service.spec.pool.name;
    const second = structuredClone(service);
    second.metadata.name = 'food-review-2';
    second.spec.gateway.name = 'gateway-2';
    second.spec.model.huggingFaceToken.secretName = 'hf-token-2';
    second.spec.objectives = [];
    expect(summarise(issuesIn(specText(platform, service, second)))).toEqual([
      "spec.pool.name: pool vllm-llama-3-1-8b-instruct in namespace default is already service food-review's — give this service its own pool name",
    ]);
  });

  it('refuses two services in one namespace claiming the same gateway', () => {
    expect(
      withSecondService((s) => {
        s.spec.pool.name = 'pool-2';
      }),
    ).toEqual([
      "spec.gateway.name: gateway cross-region-gateway in namespace default is already service food-review's — give this service its own gateway name",
    ]);
  });

  it('lets services in different namespaces use the same names', () => {
    expect(
      withSecondService((s) => {
        s.metadata.name = 'food-review';
        s.metadata.namespace = 'team-b';
      }),
    ).toEqual([]);
  });

  it('refuses two services with the same namespace and name', () => {
    expect(
      withSecondService((s) => {
        s.metadata.name = 'food-review';
        s.spec.pool.name = 'pool-2';
        s.spec.gateway.name = 'gateway-2';
      }),
    ).toEqual([
      expect.stringMatching(
        /^metadata\.name: a second InferenceService named default\/food-review \(the first is at spec\.yaml:\d+\) — rename one of them$/,
      ),
    ]);
  });

  it('refuses two platforms with the same name, pointing at the first', () => {
    const { platform, service } = exampleDocuments();
    const text = specText(platform, service, platform);
    const issues = issuesIn(text);
    expect(summarise(issues)).toEqual([
      'metadata.name: a second InferencePlatform named inference-prod (the first is at spec.yaml:4) — rename one of them',
    ]);
    expect(issues[0]!.line).toBe(positionOf(text, 'name: inference-prod', 'kind: InferenceService').line);
  });
});

describe('unknown fields', () => {
  it('suggests the nearest field for a misspelling (nmae → name)', () => {
    const edit: Edit = (d) => {
      pool(d, 1).nmae = 'x';
    };
    expectIssues(edit, [
      'spec.clusters[1].acceleratorPools[0].nmae: unknown field nmae — did you mean name?',
    ]);
    expectPosition(edit, 'nmae');
  });

  it('suggests configCluster for configCluser', () => {
    expectIssues(
      (d) => {
        delete west(d).configCluster;
        west(d).configCluser = true;
      },
      ['spec.clusters[0].configCluser: unknown field configCluser — did you mean configCluster?'],
    );
  });

  it('suggests the full name for a truncated one (seed 002 writes maxUtilization)', () => {
    expectIssues(
      (d) => {
        delete d.service.spec.balancing.maxUtilizationPercent;
        d.service.spec.balancing.maxUtilization = 60;
      },
      ['spec.balancing.maxUtilization: unknown field maxUtilization — did you mean maxUtilizationPercent?'],
    );
  });

  it('lists the known fields when no field is near', () => {
    expectIssues(
      (d) => {
        east(d).labels = { team: 'ml' };
      },
      [
        'spec.clusters[1].labels: unknown field labels — remove it; the known fields here are name, location, configCluster, machineType, diskType, proxySubnet, acceleratorPools',
      ],
    );
  });

  it('explains that network is set once per platform, not per cluster', () => {
    expectIssues(
      (d) => {
        east(d).network = 'other-vpc';
      },
      [
        'spec.clusters[1].network: unknown field network — every cluster shares one VPC network: set spec.network once for the platform',
      ],
    );
  });

  it('suggests the nearest field at the top of a document', () => {
    expectIssues(
      (d) => {
        d.service.metdata = d.service.metadata;
        delete d.service.metadata;
      },
      ['metadata: is required — add metadata', 'metdata: unknown field metdata — did you mean metadata?'],
    );
  });
});

describe('shape', () => {
  it('needs required fields', () => {
    expectIssues(
      (d) => {
        delete d.service.spec.model.id;
      },
      ['spec.model.id: is required — add id'],
    );
  });

  it('refuses an empty string', () => {
    expectIssues(
      (d) => {
        east(d).location = '';
      },
      ['spec.clusters[1].location: must not be empty — give location a value'],
    );
  });

  it('needs at least one accelerator pool per cluster when the platform has no capacity classes', () => {
    expectIssues(
      (d) => {
        east(d).acceleratorPools = [];
      },
      [
        'spec.clusters[1].acceleratorPools: cluster gke-east has no accelerator pools and the platform has no capacityClasses: its model servers would have no node to run on — add an acceleratorPools entry to the cluster, or a capacityClasses entry to the platform',
      ],
    );
  });

  it('needs whole numbers in range', () => {
    expectIssues(
      (d) => {
        d.service.spec.pool.targetPort = 65536;
        d.service.spec.balancing.maxUtilizationPercent = 80.5;
      },
      [
        'spec.pool.targetPort: is 65536, above the maximum of 65535 — use a value of at most 65535',
        'spec.balancing.maxUtilizationPercent: must be an int, not number 80.5 — write an int',
      ],
    );
  });

  it('suggests the nearest allowed value of an enumeration', () => {
    expectIssues(
      (d) => {
        west(d).diskType = 'pd-balance';
      },
      [
        'spec.clusters[0].diskType: "pd-balance" is not allowed — did you mean pd-balanced? (one of "pd-standard", "pd-balanced", "pd-ssd", "hyperdisk-balanced")',
      ],
    );
  });

  it('needs the health check path to start with /', () => {
    expectIssues(
      (d) => {
        d.service.spec.gateway.healthCheckPath = 'health';
      },
      ['spec.gateway.healthCheckPath: Invalid string: must start with "/" — fix the value'],
    );
  });
});

describe('resolved defaults', () => {
  it('gives IN_FLIGHT 1000 requests per endpoint', () => {
    const spec = resolved((d) => {
      d.service.spec.balancing = { mode: 'IN_FLIGHT' };
    });
    expect(spec.services[0]!.balancing).toEqual({
      mode: 'IN_FLIGHT',
      maxInFlightRequestsPerEndpoint: 1000,
      preferredRegions: [],
    });
  });

  it('gives CUSTOM_METRICS a threshold of 80%', () => {
    const spec = resolved((d) => {
      delete d.service.spec.balancing;
    });
    expect(spec.services[0]!.balancing).toEqual({
      mode: 'CUSTOM_METRICS',
      maxUtilizationPercent: 80,
      preferredRegions: [],
    });
  });

  it('derives the pool name from the model id', () => {
    const spec = resolved((d) => {
      delete d.service.spec.pool;
    });
    expect(spec.services[0]!.pool).toEqual({
      name: 'vllm-llama-3-1-8b-instruct',
      targetPort: 8000,
      inferenceExtension: 'v1.0.1',
    });
  });

  it('reads the old metric name from an old vLLM image (v0.8.5)', () => {
    const spec = resolved((d) => {
      d.service.spec.model.image = 'vllm/vllm-openai:v0.8.5';
    });
    expect(spec.services[0]!.model).toMatchObject({
      kvCacheMetric: 'vllm:gpu_cache_usage_perc',
      exportName: 'kv-cache-old',
    });
  });

  it('takes the metric from kvCacheMetric when the image is not pinned', () => {
    const spec = resolved((d) => {
      d.service.spec.model.image = 'vllm/vllm-openai:latest';
      d.service.spec.model.kvCacheMetric = 'vllm:gpu_cache_usage_perc';
    });
    expect(spec.services[0]!.model).toMatchObject({
      kvCacheMetric: 'vllm:gpu_cache_usage_perc',
      exportName: 'kv-cache-old',
    });
  });

  it('fills in the rest: regions, namespace, token Secret, gateway, cluster and node defaults', () => {
    const spec = resolved((d) => {
      delete d.service.spec.regions;
      delete d.service.metadata.namespace;
      delete d.service.spec.model.huggingFaceToken.secretName;
      delete d.service.spec.model.image;
      delete d.service.spec.gateway;
      delete d.platform.spec.network;
      delete d.platform.spec.gkeVersion;
      delete east(d).machineType;
      delete east(d).diskType;
      pool(d, 1).nodes = { max: 10 };
    });
    const service = spec.services[0]!;
    expect(service.regions).toEqual(['europe-west3', 'us-east4']);
    expect(service.namespace).toBe('default');
    expect(service.model.huggingFaceToken.secretName).toBe('hf-token');
    expect(service.model).toMatchObject({
      image: 'vllm/vllm-openai:v0.10.2',
      kvCacheMetric: 'vllm:kv_cache_usage_perc',
      exportName: 'kv-cache',
    });
    expect(service.gateway).toEqual({
      name: 'cross-region-gateway',
      port: 80,
      healthCheckPath: '/health',
      timeoutSec: 100,
    });
    const platform = spec.platforms[0]!;
    expect([platform.network, platform.gkeVersion]).toEqual(['default', MIN_GKE_VERSION]);
    const gkeEast = platform.clusters[1]!;
    expect(gkeEast).toMatchObject({
      machineType: 'c2-standard-16',
      diskType: 'pd-standard',
      region: 'us-east4',
      zonal: true,
      configCluster: false,
    });
    expect(gkeEast.acceleratorPools[0]!.nodes).toEqual({ initial: 1, min: 0, max: 10 });
    expect(gkeEast.acceleratorPools[0]!.spot).toBe(true);
  });
});

describe('names shared across documents', () => {
  const secondService = (edit: (service: Record<string, any>) => void) => {
    const { platform, service } = exampleDocuments();
    const other = structuredClone(service);
    other.metadata.name = 'chat';
    other.spec.pool.name = 'pool-chat';
    other.spec.gateway.name = 'gateway-chat';
    other.spec.model.huggingFaceToken.secretName = 'hf-token-chat';
    other.spec.objectives = [{ name: 'chat', priority: 1 }];
    edit(other);
    return issuesIn(specText(platform, service, other), 'spec.yaml');
  };

  it('accepts two services in one namespace with names of their own', () => {
    expect(secondService(() => {})).toEqual([]);
  });

  it('refuses a second service claiming the same token secret in the namespace', () => {
    expect(summarise(secondService((s) => (s.spec.model.huggingFaceToken.secretName = 'hf-token')))).toEqual([
      "spec.model.huggingFaceToken.secretName: token secret hf-token in namespace default is already service food-review's — give this service its own token secret name",
    ]);
  });

  it('refuses a second service claiming the same objective name in the namespace', () => {
    expect(
      summarise(secondService((s) => (s.spec.objectives = [{ name: 'food-review', priority: 1 }]))),
    ).toEqual([
      "spec.objectives[0].name: objective food-review in namespace default is already service food-review's — give this service its own objective name",
    ]);
  });

  it('refuses two platforms in one project', () => {
    const { platform, service } = exampleDocuments();
    const other = structuredClone(platform);
    other.metadata.name = 'inference-staging';
    expect(summarise(issuesIn(specText(platform, other, service), 'spec.yaml'))).toEqual(
      expect.arrayContaining([
        "spec.projectId: project my-project already holds platform inference-prod; a project's fleet has one config cluster — put the clusters in one platform, or use another project",
      ]),
    );
  });
});
