import ipaddr from 'ipaddr.js';
import { formatPath, type Path, type SpecIssue } from './errors.js';
import type { SourceDocument } from './source.js';
import type { PlatformDoc, ServiceDoc } from './schema.js';
import { MIN_GKE_VERSION } from './schema.js';
import {
  checkAccelerator,
  compareVersions,
  kvMetricForVersion,
  parseGkeVersion,
  regionOf,
  vllmVersionOf,
} from './catalog.js';
import { checkProjectId, checkRfc1035, checkRfc1123, derivePoolName, type NameCheck } from './names.js';
import { checkCapacityClasses, checkServiceClass } from './capacity-rules.js';

/** A document whose shape is valid, with its typed, defaulted value. */
export interface Typed<T> {
  doc: SourceDocument;
  value: T;
}

/** Smallest proxy-only subnet Google accepts (/26); /23 is recommended. */
export const MAX_PROXY_PREFIX = 26;

/** Collects located issues: each names the field path and its position in the file. */
export class Reporter {
  readonly issues: SpecIssue[] = [];
  report(doc: SourceDocument, path: Path, message: string, hint: string, key = false) {
    this.issues.push({ file: doc.file, ...doc.locate(path, { key }), path: formatPath(path), message, hint });
  }
  name(doc: SourceDocument, path: Path, check: NameCheck) {
    if (!check.ok) this.report(doc, path, check.message, check.hint);
  }
}

/** Rules that relate fields to each other, across every document of a spec. */
export function checkRules(
  platforms: Typed<PlatformDoc>[],
  services: Typed<ServiceDoc>[],
  /** Platforms in the files whose YAML or shape errors are already reported: services naming them are not checked against them. */
  invalidPlatformNames: readonly string[] = [],
): SpecIssue[] {
  const r = new Reporter();
  checkUnique(r, platforms, (p) => p.metadata.name, 'InferencePlatform');
  checkUnique(r, services, (s) => `${s.metadata.namespace}/${s.metadata.name}`, 'InferenceService');
  for (const platform of platforms) checkPlatform(r, platform);
  for (const service of services) {
    const platform = platforms.find((p) => p.value.metadata.name === service.value.spec.platform);
    if (!platform && invalidPlatformNames.includes(service.value.spec.platform)) {
      checkService(r, service, undefined, [], true);
      continue;
    }
    checkService(
      r,
      service,
      platform?.value,
      platforms.map((p) => p.value.metadata.name),
    );
  }
  checkSharedNames(r, services);
  checkOneFleetPerProject(r, platforms);
  return r.issues;
}

function checkUnique<T extends { metadata: { name: string } }>(
  r: Reporter,
  items: Typed<T>[],
  key: (v: T) => string,
  kind: string,
) {
  const seen = new Map<string, Typed<T>>();
  for (const item of items) {
    const k = key(item.value);
    const first = seen.get(k);
    if (first) {
      r.report(
        item.doc,
        ['metadata', 'name'],
        `a second ${kind} named ${k} (the first is at ${first.doc.file}:${first.doc.locate(['metadata', 'name']).line})`,
        'rename one of them',
      );
    } else seen.set(k, item);
  }
}

function checkPlatform(r: Reporter, { doc, value }: Typed<PlatformDoc>) {
  const spec = value.spec;
  r.name(doc, ['metadata', 'name'], checkRfc1035(value.metadata.name, 63));
  r.name(doc, ['spec', 'projectId'], checkProjectId(spec.projectId));
  r.name(doc, ['spec', 'network'], checkRfc1035(spec.network, 63));

  const version = parseGkeVersion(spec.gkeVersion);
  if (!version) {
    r.report(
      doc,
      ['spec', 'gkeVersion'],
      `${JSON.stringify(spec.gkeVersion)} is not a GKE version`,
      `write it as GKE does, e.g. ${MIN_GKE_VERSION}`,
    );
  } else if (compareVersions(version, parseGkeVersion(MIN_GKE_VERSION)!) < 0) {
    r.report(
      doc,
      ['spec', 'gkeVersion'],
      `${spec.gkeVersion} is older than ${MIN_GKE_VERSION}, the first with multi-cluster Inference Gateway`,
      `use ${MIN_GKE_VERSION} or later`,
    );
  }

  if (spec.clusters.length < 2) {
    r.report(
      doc,
      ['spec', 'clusters'],
      `has ${spec.clusters.length} cluster; a cross-region gateway needs clusters in at least two regions`,
      'add a cluster in another region',
    );
  }
  checkCapacityClasses(r, doc, spec);
  const configClusters = spec.clusters.flatMap((c, i) => (c.configCluster ? [i] : []));
  if (configClusters.length === 0) {
    r.report(
      doc,
      ['spec', 'clusters'],
      'no cluster is the config cluster',
      'set configCluster: true on exactly one cluster (it hosts the Gateway)',
    );
  }
  for (const i of configClusters.slice(1)) {
    r.report(
      doc,
      ['spec', 'clusters', i, 'configCluster'],
      `a second config cluster (the first is ${spec.clusters[configClusters[0]!]!.name}); a fleet has exactly one`,
      'remove configCluster from all but one cluster',
    );
  }

  const clusterNames = new Map<string, number>();
  const regions = new Map<string, number>();
  const subnets: { i: number; cidr: [ipaddr.IPv4, number] }[] = [];
  spec.clusters.forEach((cluster, i) => {
    const at = (...rest: Path) => ['spec', 'clusters', i, ...rest];
    r.name(doc, at('name'), checkRfc1035(cluster.name, 40, 'GKE cluster names'));
    const twin = clusterNames.get(cluster.name);
    if (twin !== undefined)
      r.report(
        doc,
        at('name'),
        `cluster name ${cluster.name} is used twice (also clusters[${twin}])`,
        'give each cluster its own name',
      );
    else clusterNames.set(cluster.name, i);

    const region = regionOf(cluster.location);
    if (!region) {
      r.report(
        doc,
        at('location'),
        `${JSON.stringify(cluster.location)} is neither a zone nor a region`,
        'write a zone like europe-west3-c or a region like us-east4',
      );
    } else {
      const other = regions.get(region);
      if (other !== undefined) {
        r.report(
          doc,
          at('location'),
          `region ${region} already has cluster ${spec.clusters[other]!.name}; each cluster must be in a different region`,
          'move this cluster to another region, or remove it',
        );
      } else regions.set(region, i);
    }

    if (cluster.acceleratorPools.length === 0 && spec.capacityClasses.length === 0)
      r.report(
        doc,
        at('acceleratorPools'),
        `cluster ${cluster.name} has no accelerator pools and the platform has no capacityClasses: its model servers would have no node to run on`,
        'add an acceleratorPools entry to the cluster, or a capacityClasses entry to the platform',
      );
    const poolNames = new Set<string>();
    cluster.acceleratorPools.forEach((pool, j) => {
      const atPool = (...rest: Path) => at('acceleratorPools', j, ...rest);
      r.name(doc, atPool('name'), checkRfc1035(pool.name, 40, 'GKE node pool names'));
      if (poolNames.has(pool.name))
        r.report(
          doc,
          atPool('name'),
          `node pool name ${pool.name} is used twice in cluster ${cluster.name}`,
          'give each pool its own name',
        );
      poolNames.add(pool.name);
      const acc = checkAccelerator(pool.machineType, pool.accelerator.type, pool.accelerator.count);
      if (!acc.ok) {
        const field = acc.field === 'machineType' ? atPool('machineType') : atPool('accelerator', acc.field);
        r.report(doc, field, acc.message, acc.hint);
      }
      const { initial, min, max } = pool.nodes;
      if (min > max)
        r.report(
          doc,
          atPool('nodes', 'min'),
          `min (${min}) is above max (${max})`,
          'make min ≤ initial ≤ max',
        );
      else if (initial < min || initial > max) {
        r.report(
          doc,
          atPool('nodes', 'initial'),
          `initial (${initial}) is outside min..max (${min}..${max})`,
          'make min ≤ initial ≤ max',
        );
      }
    });

    const cidr = parseCidr(cluster.proxySubnet.cidr);
    if (typeof cidr === 'string') {
      r.report(doc, at('proxySubnet', 'cidr'), cidr, 'write an IPv4 range like 10.0.0.0/23');
    } else if (cidr[1] > MAX_PROXY_PREFIX) {
      r.report(
        doc,
        at('proxySubnet', 'cidr'),
        `/${cidr[1]} is too small for a proxy-only subnet (the smallest is /${MAX_PROXY_PREFIX})`,
        'use a /23 as Google recommends, or at least /26',
      );
    } else {
      subnets.push({ i, cidr });
    }
  });
  for (let a = 0; a < subnets.length; a++) {
    for (let b = a + 1; b < subnets.length; b++) {
      const x = subnets[a]!;
      const y = subnets[b]!;
      if (overlaps(x.cidr, y.cidr)) {
        r.report(
          doc,
          ['spec', 'clusters', y.i, 'proxySubnet', 'cidr'],
          `${spec.clusters[y.i]!.proxySubnet.cidr} overlaps ${spec.clusters[x.i]!.proxySubnet.cidr} of cluster ${spec.clusters[x.i]!.name}`,
          'give each region a range of its own',
        );
      }
    }
  }
}

function parseCidr(text: string): [ipaddr.IPv4, number] | string {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return `${JSON.stringify(text)} is not a CIDR range`;
  }
  const [address, prefix] = parsed;
  if (address.kind() !== 'ipv4') return `${text} is IPv6; proxy-only subnets take an IPv4 range`;
  const network = ipaddr.IPv4.networkAddressFromCIDR(text);
  if (network.toString() !== address.toString())
    return `${text} has host bits set (the range starts at ${network.toString()})`;
  return [address as ipaddr.IPv4, prefix];
}

function overlaps(a: [ipaddr.IPv4, number], b: [ipaddr.IPv4, number]): boolean {
  return a[0].match(b[0], Math.min(a[1], b[1]));
}

function checkService(
  r: Reporter,
  { doc, value }: Typed<ServiceDoc>,
  platform: PlatformDoc | undefined,
  platformNames: string[],
  platformInvalid = false,
) {
  const spec = value.spec;
  r.name(doc, ['metadata', 'name'], checkRfc1035(value.metadata.name, 63));
  r.name(doc, ['metadata', 'namespace'], checkRfc1123(value.metadata.namespace, 63));
  if (spec.pool.name !== undefined)
    r.name(
      doc,
      ['spec', 'pool', 'name'],
      checkRfc1035(spec.pool.name, 59, 'the endpoint picker is named POOL-epp'),
    );
  r.name(doc, ['spec', 'gateway', 'name'], checkRfc1123(spec.gateway.name, 63));

  const objectiveNames = new Set<string>();
  spec.objectives.forEach((objective, i) => {
    r.name(doc, ['spec', 'objectives', i, 'name'], checkRfc1123(objective.name, 63));
    if (objectiveNames.has(objective.name))
      r.report(
        doc,
        ['spec', 'objectives', i, 'name'],
        `objective ${objective.name} is listed twice`,
        'give each objective its own name',
      );
    objectiveNames.add(objective.name);
  });
  const adapterNames = new Set<string>();
  spec.model.loraAdapters.forEach((adapter, i) => {
    if (adapterNames.has(adapter.name))
      r.report(
        doc,
        ['spec', 'model', 'loraAdapters', i, 'name'],
        `LoRA adapter ${adapter.name} is listed twice`,
        'give each adapter its own name',
      );
    adapterNames.add(adapter.name);
  });

  checkTokenSource(r, doc, spec.model.huggingFaceToken);
  checkMetric(r, doc, spec.model);
  checkBalancing(r, doc, spec);

  if (platformInvalid) return; // its own issues are reported; checking against it would only echo them
  if (!platform) {
    const known = platformNames.length
      ? `the file defines ${platformNames.join(', ')}`
      : 'no InferencePlatform was given';
    r.report(
      doc,
      ['spec', 'platform'],
      `no InferencePlatform named ${spec.platform} (${known})`,
      'name a platform defined in the files you pass with -f, or pass its spec read-only with --platform FILE',
    );
    return;
  }
  const platformRegions = [
    ...new Set(platform.spec.clusters.map((c) => regionOf(c.location)).filter((x): x is string => !!x)),
  ];
  const regions = spec.regions ?? platformRegions;
  const seen = new Set<string>();
  (spec.regions ?? []).forEach((region, i) => {
    if (seen.has(region))
      r.report(doc, ['spec', 'regions', i], `region ${region} is listed twice`, 'list each region once');
    seen.add(region);
    if (!platformRegions.includes(region)) {
      r.report(
        doc,
        ['spec', 'regions', i],
        `platform ${platform.metadata.name} has no cluster in ${region}`,
        `use regions of the platform: ${platformRegions.join(', ')}`,
      );
    }
  });
  (spec.balancing.preferredRegions ?? []).forEach((region, i) => {
    if (!regions.includes(region)) {
      r.report(
        doc,
        ['spec', 'balancing', 'preferredRegions', i],
        `${region} is not one of the service's regions (${regions.join(', ')})`,
        'prefer a region the service runs in',
      );
    }
  });
  const preferred = new Set(
    (spec.balancing.preferredRegions ?? []).filter((region) => regions.includes(region)),
  );
  if (preferred.size > 0 && preferred.size >= new Set(regions).size) {
    r.report(
      doc,
      ['spec', 'balancing', 'preferredRegions'],
      'every region is preferred, so none is',
      'leave at least one region to spill over to, or drop preferredRegions',
    );
  }
  if (spec.model.capacityClass !== undefined) checkServiceClass(r, doc, spec, platform);
  else checkCapacity(r, doc, spec, platform, regions);
}

function checkTokenSource(
  r: Reporter,
  doc: SourceDocument,
  token: ServiceDoc['spec']['model']['huggingFaceToken'],
) {
  const at = ['spec', 'model', 'huggingFaceToken'];
  const sources = [token.fromEnv, token.secretManager].filter((s) => s !== undefined);
  if (sources.length !== 1) {
    r.report(
      doc,
      at,
      sources.length ? 'both fromEnv and secretManager are set' : 'no token source is set',
      'set exactly one of fromEnv (an environment variable) or secretManager (projects/P/secrets/S/versions/V)',
    );
  }
  if (
    token.secretManager !== undefined &&
    !/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/.test(token.secretManager)
  ) {
    r.report(
      doc,
      [...at, 'secretManager'],
      `${JSON.stringify(token.secretManager)} is not a secret version name`,
      'write projects/PROJECT/secrets/NAME/versions/latest (or a version number)',
    );
  }
  if (token.fromEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(token.fromEnv)) {
    r.report(
      doc,
      [...at, 'fromEnv'],
      `${JSON.stringify(token.fromEnv)} is not an environment variable name`,
      'name the variable that holds the token, e.g. HF_TOKEN',
    );
  }
  r.name(doc, [...at, 'secretName'], checkRfc1123(token.secretName, 63));
}

function checkMetric(r: Reporter, doc: SourceDocument, model: ServiceDoc['spec']['model']) {
  const version = vllmVersionOf(model.image);
  if (!version) {
    if (!model.kvCacheMetric) {
      r.report(
        doc,
        ['spec', 'model', 'image'],
        `the tag of ${model.image} does not pin a vLLM version, so the KV-cache metric name is unknown`,
        'pin the image (e.g. vllm/vllm-openai:v0.10.2), or set model.kvCacheMetric to vllm:kv_cache_usage_perc (v0.10.2+) or vllm:gpu_cache_usage_perc',
      );
    }
    return;
  }
  const expected = kvMetricForVersion(version);
  if (model.kvCacheMetric && model.kvCacheMetric !== expected) {
    r.report(
      doc,
      ['spec', 'model', 'kvCacheMetric'],
      `vLLM ${version.join('.')} exports ${expected}, not ${model.kvCacheMetric}`,
      `remove kvCacheMetric (it follows the image) or set it to ${expected}`,
    );
  }
}

function checkBalancing(r: Reporter, doc: SourceDocument, spec: ServiceDoc['spec']) {
  const b = spec.balancing;
  const at = ['spec', 'balancing'];
  if (b.mode === 'CUSTOM_METRICS' && b.maxInFlightRequestsPerEndpoint !== undefined) {
    r.report(
      doc,
      [...at, 'maxInFlightRequestsPerEndpoint'],
      'belongs to mode IN_FLIGHT, but mode is CUSTOM_METRICS (the two are mutually exclusive)',
      'remove it, or set mode: IN_FLIGHT',
    );
  }
  if (b.mode === 'IN_FLIGHT' && b.maxUtilizationPercent !== undefined) {
    r.report(
      doc,
      [...at, 'maxUtilizationPercent'],
      'belongs to mode CUSTOM_METRICS, but mode is IN_FLIGHT (the two are mutually exclusive)',
      'remove it, or set mode: CUSTOM_METRICS',
    );
  }
  const target = spec.autoscaling.targetUtilization;
  const atTarget = ['spec', 'autoscaling', 'targetUtilization'];
  if (!(target > 0 && target < 1)) {
    r.report(
      doc,
      atTarget,
      `${target} is outside (0, 1); the KV-cache metric is a fraction and above 1 reads as 100%`,
      'use a fraction such as 0.5',
    );
  } else if (b.mode === 'CUSTOM_METRICS') {
    const threshold = (b.maxUtilizationPercent ?? DEFAULT_MAX_UTILIZATION) / 100;
    if (target >= threshold) {
      r.report(
        doc,
        atTarget,
        `${target} is not below the load balancer's threshold of ${threshold} (balancing.maxUtilizationPercent), so traffic would spill to other regions before this one scales out`,
        `use a target below ${threshold}, e.g. ${Math.round(threshold * 60) / 100}`,
      );
    }
  }
  const { minReplicas, maxReplicas } = spec.autoscaling;
  if (minReplicas > maxReplicas) {
    r.report(
      doc,
      ['spec', 'autoscaling', 'minReplicas'],
      `minReplicas (${minReplicas}) is above maxReplicas (${maxReplicas})`,
      'make minReplicas ≤ maxReplicas',
    );
  }
}

export const DEFAULT_MAX_UTILIZATION = 80;
export const DEFAULT_MAX_IN_FLIGHT = 1000;

/**
 * Without a capacity class, every region needs accelerator pools, each replica's GPUs must fit on
 * one node, and the pools must hold minReplicas (maxReplicas beyond them is a warning: warnings.ts).
 */
function checkCapacity(
  r: Reporter,
  doc: SourceDocument,
  spec: ServiceDoc['spec'],
  platform: PlatformDoc,
  regions: string[],
) {
  const gpus = spec.model.gpusPerReplica;
  for (const cluster of platform.spec.clusters) {
    const region = regionOf(cluster.location);
    if (!region || !regions.includes(region)) continue;
    if (cluster.acceleratorPools.length === 0) {
      // Without classes the platform's own rule already says the cluster has no pools.
      if (platform.spec.capacityClasses.length === 0) continue;
      r.report(
        doc,
        ['spec', 'model'],
        `cluster ${cluster.name} (${region}) has no accelerator pools, and the service names no capacityClass: its model servers would have no node there`,
        `set model.capacityClass to one of ${platform.spec.capacityClasses.map((c) => c.name).join(', ')}, or leave ${region} out of regions`,
        true,
      );
      continue;
    }
    const perNode = Math.max(...cluster.acceleratorPools.map((p) => p.accelerator.count));
    if (gpus > perNode) {
      r.report(
        doc,
        ['spec', 'model', 'gpusPerReplica'],
        `${gpus} GPUs per replica do not fit on one node of cluster ${cluster.name} (at most ${perNode})`,
        `lower gpusPerReplica to ${perNode}, or use a machine type with more GPUs`,
      );
      return;
    }
    const capacity = cluster.acceleratorPools.reduce(
      (sum, p) => sum + Math.floor(p.accelerator.count / gpus) * p.nodes.max,
      0,
    );
    if (spec.autoscaling.minReplicas > capacity) {
      r.report(
        doc,
        ['spec', 'autoscaling', 'minReplicas'],
        `${spec.autoscaling.minReplicas} replicas of ${gpus} GPU(s) do not fit in cluster ${cluster.name}, whose pools hold at most ${capacity}`,
        `lower minReplicas to ${capacity}, or raise the pools' nodes.max`,
      );
    }
  }
}

/** A project has one fleet and one multi-cluster ingress config cluster, so one platform. */
function checkOneFleetPerProject(r: Reporter, platforms: Typed<PlatformDoc>[]) {
  const byProject = new Map<string, string>();
  for (const { doc, value } of platforms) {
    const first = byProject.get(value.spec.projectId);
    if (first === value.metadata.name) continue; // a duplicate platform, reported as such
    if (first) {
      r.report(
        doc,
        ['spec', 'projectId'],
        `project ${value.spec.projectId} already holds platform ${first}; a project's fleet has one config cluster`,
        'put the clusters in one platform, or use another project',
      );
    } else byProject.set(value.spec.projectId, value.metadata.name);
  }
}

/** Two services in one namespace must not render the same object names. */
function checkSharedNames(r: Reporter, services: Typed<ServiceDoc>[]) {
  const claims = new Map<string, string>();
  for (const { doc, value } of services) {
    const ns = value.metadata.namespace;
    const pool = value.spec.pool.name ?? derivePoolName(value.spec.model.id);
    const own = [
      { key: `pool/${ns}/${pool}`, path: ['spec', 'pool', 'name'], what: 'pool', name: pool },
      {
        key: `gateway/${ns}/${value.spec.gateway.name}`,
        path: ['spec', 'gateway', 'name'],
        what: 'gateway',
        name: value.spec.gateway.name,
      },
      {
        key: `secret/${ns}/${value.spec.model.huggingFaceToken.secretName}`,
        path: ['spec', 'model', 'huggingFaceToken', 'secretName'],
        what: 'token secret',
        name: value.spec.model.huggingFaceToken.secretName,
      },
      ...value.spec.objectives.map((o, i) => ({
        key: `objective/${ns}/${o.name}`,
        path: ['spec', 'objectives', i, 'name'],
        what: 'objective',
        name: o.name,
      })),
    ];
    for (const claim of own) {
      const owner = claims.get(claim.key);
      // Repeats inside one service are the per-service rules' to report.
      if (owner === value.metadata.name) continue;
      if (owner)
        r.report(
          doc,
          claim.path,
          `${claim.what} ${claim.name} in namespace ${ns} is already service ${owner}'s`,
          `give this service its own ${claim.what} name`,
        );
      else claims.set(claim.key, value.metadata.name);
    }
  }
}
