/**
 * Compute's state: projects with their networks, subnetworks and region operations, as plain
 * (persistable) data; the `default` auto-mode network; operations settled lazily.
 */
import { ApiError } from '../rest.js';
import { copy, iso, numericId, type RememberedRequest } from './common.js';
import { createCapacityState, type CapacityState } from './compute-capacity.js';
import {
  AUTO_RANGES,
  LINK,
  PROXY_PURPOSES,
  autoRangeFor,
  checkSubnet,
  gatewayAddress,
  parseCidr,
  type Cidr,
} from './compute-subnets.js';

export type Phase = 'creating' | 'ready' | 'deleting';

export interface StoredSubnet {
  resource: Record<string, any>;
  phase: Phase;
}

export interface ComputeOperation {
  kind: 'compute#operation';
  id: string;
  name: string;
  operationType: 'insert' | 'delete';
  targetLink: string;
  targetId: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  user: string;
  progress: number;
  insertTime: string;
  startTime: string;
  endTime?: string;
  selfLink: string;
  region: string;
  error?: { errors: { code: string; message: string }[] };
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
}

export interface PendingOperation {
  operation: ComputeOperation;
  doneAt: number;
  /** `region/name` of the subnet. */
  subnet: string;
  failure?: { code: string; message: string };
}

export interface ComputeProject {
  networks: Record<string, Record<string, any>>;
  /** Keyed `region/name`. */
  subnetworks: Record<string, StoredSubnet>;
  /** Keyed `region/name`. */
  operations: Record<string, PendingOperation>;
  /**
   * `region/requestId` → the operation (`region/name`) an insert or delete with that requestId
   * started, and when (simulated seconds); forgotten after an hour of simulated time.
   */
  requestIds?: Record<string, RememberedRequest>;
}

export interface ComputeState {
  projects: Record<string, ComputeProject>;
  /** Regions where the auto-mode `default` network has a subnet. */
  regions: string[];
  /** Quotas, accelerator types per zone and reservations (absent in states saved before them). */
  capacity?: CapacityState;
}

export function createComputeState(regions: string[] = Object.keys(AUTO_RANGES)): ComputeState {
  return { projects: {}, regions: [...regions], capacity: createCapacityState() };
}

/** The project's state, created with its `default` network on first use. */
export function computeProject(state: ComputeState, project: string): ComputeProject {
  let p = state.projects[project];
  if (p) return p;
  p = state.projects[project] = { networks: {}, subnetworks: {}, operations: {}, requestIds: {} };
  const now = Date.now();
  p.networks.default = {
    kind: 'compute#network',
    id: numericId(),
    creationTimestamp: iso(now),
    name: 'default',
    description: 'Default network for the project',
    selfLink: `${LINK}projects/${project}/global/networks/default`,
    autoCreateSubnetworks: true,
    routingConfig: { routingMode: 'REGIONAL' },
    networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
  };
  const taken: Cidr[] = [];
  for (const region of state.regions) {
    const range = autoRangeFor(region, taken);
    taken.push(parseCidr(range)!);
    p.subnetworks[`${region}/default`] = {
      resource: subnetResource(
        project,
        region,
        'default',
        { ipCidrRange: range, purpose: 'PRIVATE' },
        p.networks.default.selfLink,
        now,
      ),
      phase: 'ready',
    };
  }
  return p;
}

export function subnetResource(
  project: string,
  region: string,
  name: string,
  input: Record<string, any>,
  network: string,
  nowMs: number,
) {
  const proxy = PROXY_PURPOSES.includes(input.purpose);
  return {
    kind: 'compute#subnetwork',
    id: numericId(),
    creationTimestamp: iso(nowMs),
    name,
    ...(input.description ? { description: input.description } : {}),
    network,
    ipCidrRange: input.ipCidrRange,
    ...(proxy ? {} : { gatewayAddress: gatewayAddress(parseCidr(input.ipCidrRange)!) }),
    region: `${LINK}projects/${project}/regions/${region}`,
    selfLink: `${LINK}projects/${project}/regions/${region}/subnetworks/${name}`,
    privateIpGoogleAccess: Boolean(input.privateIpGoogleAccess),
    ...(input.secondaryIpRanges ? { secondaryIpRanges: copy(input.secondaryIpRanges) } : {}),
    fingerprint: Buffer.from(numericId()).toString('base64').slice(0, 12),
    purpose: input.purpose,
    ...(proxy ? { role: input.role, state: 'READY' } : {}),
    stackType: 'IPV4_ONLY',
  } as Record<string, any>;
}

/** Resolves `network` as Compute accepts it: a URL, `projects/P/global/networks/N`, `global/networks/N` or `N`. */
export function networkOf(state: ComputeState, project: string, ref: unknown): Record<string, any> {
  const text = typeof ref === 'string' ? ref : '';
  const full = /(?:^|\/)projects\/([^/]+)\/global\/networks\/([^/]+)$/.exec(text);
  const short = /^(?:global\/networks\/)?([a-z](?:[-a-z0-9]*[a-z0-9])?)$/.exec(text);
  const [owner, name] = full ? [full[1]!, full[2]!] : [project, short?.[1]];
  if (!name)
    throw new ApiError(
      400,
      `Invalid value for field 'resource.network': '${text}'. The network must be set.`,
      'invalid',
    );
  const network = computeProject(state, owner).networks[name];
  if (!network)
    throw new ApiError(
      404,
      `The resource 'projects/${owner}/global/networks/${name}' was not found`,
      'notFound',
    );
  return network;
}

export interface SeedSubnet {
  name: string;
  ipCidrRange: string;
  network?: string;
  purpose?: string;
  role?: string;
  description?: string;
}

/**
 * Adds a subnetwork that exists already, ready, with no operation (e.g. a proxy-only subnet the
 * apply must adopt); the same rules as an insert apply.
 */
export function addSubnetwork(
  state: ComputeState,
  project: string,
  region: string,
  seed: SeedSubnet,
): Record<string, any> {
  const p = computeProject(state, project);
  const network = networkOf(state, project, seed.network ?? 'default');
  const input = checkSubnet(seed, {
    region,
    network: network.selfLink,
    autoMode: network.autoCreateSubnetworks,
    existing: existing(p),
  });
  const resource = subnetResource(
    project,
    region,
    input.name,
    { ...seed, ...input },
    network.selfLink,
    Date.now(),
  );
  p.subnetworks[`${region}/${input.name}`] = { resource, phase: 'ready' };
  return copy(resource);
}

export function existing(p: ComputeProject) {
  return Object.entries(p.subnetworks)
    .filter(([, s]) => s.phase !== 'deleting')
    .map(([key, s]) => ({
      name: s.resource.name,
      network: s.resource.network,
      ipCidrRange: s.resource.ipCidrRange,
      purpose: s.resource.purpose,
      role: s.resource.role,
      region: key.split('/')[0]!,
    }));
}

export function findSubnet(
  p: ComputeProject,
  params: Record<string, string>,
  visible: (s: StoredSubnet) => boolean,
): StoredSubnet {
  const stored = p.subnetworks[`${params.region}/${params.subnetwork}`];
  if (!stored || !visible(stored)) {
    throw new ApiError(
      404,
      `The resource 'projects/${params.project}/regions/${params.region}/subnetworks/${params.subnetwork}' was not found`,
      'notFound',
    );
  }
  return stored;
}

export function networkView(network: Record<string, any>, p: ComputeProject) {
  const subnetworks = Object.values(p.subnetworks)
    .filter((s) => s.phase !== 'creating' && s.resource.network === network.selfLink)
    .map((s) => s.resource.selfLink);
  return { ...copy(network), subnetworks };
}

/** Completes every operation whose time has come (exported so the sandbox can settle before persisting). */
export function settleCompute(state: ComputeState, nowMs: number) {
  for (const p of Object.values(state.projects)) {
    for (const pending of Object.values(p.operations)) {
      const op = pending.operation;
      if (op.status === 'DONE') continue;
      if (nowMs < pending.doneAt) {
        op.status = 'RUNNING';
        continue;
      }
      op.status = 'DONE';
      op.progress = 100;
      op.endTime = iso(nowMs);
      const stored = p.subnetworks[pending.subnet];
      if (pending.failure) {
        op.error = { errors: [{ code: pending.failure.code, message: pending.failure.message }] };
        op.httpErrorStatusCode = 400;
        op.httpErrorMessage = 'BAD REQUEST';
        if (op.operationType === 'insert') delete p.subnetworks[pending.subnet];
        else if (stored) stored.phase = 'ready';
      } else if (op.operationType === 'insert' && stored) stored.phase = 'ready';
      else if (op.operationType === 'delete') delete p.subnetworks[pending.subnet];
    }
  }
}
