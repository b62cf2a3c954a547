/**
 * Compute subnetwork rules: what `subnetworks.insert` accepts, with Compute's error wording where
 * it is known (proxy-only role, logConfig, overlapping ranges, auto-mode ranges), and the
 * auto-mode ranges of the `default` network.
 */
import { ApiError } from '../rest.js';

export const LINK = 'https://www.googleapis.com/compute/v1/';

/** The auto-mode subnet range of the `default` network per region (as Google allocates them). */
export const AUTO_RANGES: Record<string, string> = {
  'us-central1': '10.128.0.0/20',
  'europe-west1': '10.132.0.0/20',
  'us-west1': '10.138.0.0/20',
  'asia-east1': '10.140.0.0/20',
  'us-east1': '10.142.0.0/20',
  'asia-northeast1': '10.146.0.0/20',
  'asia-southeast1': '10.148.0.0/20',
  'us-east4': '10.150.0.0/20',
  'australia-southeast1': '10.152.0.0/20',
  'europe-west2': '10.154.0.0/20',
  'europe-west3': '10.156.0.0/20',
  'southamerica-east1': '10.158.0.0/20',
  'asia-south1': '10.160.0.0/20',
  'northamerica-northeast1': '10.162.0.0/20',
  'europe-west4': '10.164.0.0/20',
  'europe-north1': '10.166.0.0/20',
  'us-west2': '10.168.0.0/20',
};
export const AUTO_MODE_BLOCK = '10.128.0.0/9';

export const PROXY_PURPOSES = [
  'GLOBAL_MANAGED_PROXY',
  'REGIONAL_MANAGED_PROXY',
  'INTERNAL_HTTPS_LOAD_BALANCER',
];
const PURPOSES = ['PRIVATE', 'PRIVATE_RFC_1918', 'PRIVATE_SERVICE_CONNECT', 'PRIVATE_NAT', ...PROXY_PURPOSES];
const NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: unknown): Cidr | undefined {
  const m =
    typeof text === 'string' ? /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text) : null;
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return { base: octets.reduce((acc, o) => acc * 256 + o, 0), prefix };
}

function masked(address: number, prefix: number): number {
  return prefix === 0 ? 0 : Math.floor(address / 2 ** (32 - prefix));
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return masked(a.base, prefix) === masked(b.base, prefix);
}

function address(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The gateway of a PRIVATE subnet: the range's first usable address. */
export function gatewayAddress(range: Cidr): string {
  return address(range.base + 1);
}

/** A free /20 for an auto-mode region Google's table above does not list. */
export function autoRangeFor(region: string, taken: Cidr[]): string {
  const known = AUTO_RANGES[region];
  if (known) return known;
  for (let base = parseCidr('10.200.0.0/20')!.base; ; base += 4096) {
    const candidate = { base, prefix: 20 };
    if (!taken.some((t) => overlaps(t, candidate))) return `${address(base)}/20`;
  }
}

function invalid(field: string, value: unknown, why: string) {
  const shown = typeof value === 'string' ? value : JSON.stringify(value, null, 1).replace(/\n/g, '');
  return new ApiError(400, `Invalid value for field 'resource.${field}': '${shown}'. ${why}`, 'invalid');
}

export interface ExistingSubnet {
  name: string;
  region: string;
  network: string;
  ipCidrRange: string;
  purpose: string;
  role?: string;
}

export interface SubnetInput {
  name: string;
  ipCidrRange: string;
  purpose: string;
  role?: string;
}

/**
 * Checks an insert's body against the subnets of the same network (all regions) and returns the
 * normalised fields; throws Compute's 400 `invalid` errors.
 */
export function checkSubnet(
  body: any,
  context: { region: string; network: string; autoMode: boolean; existing: ExistingSubnet[] },
): SubnetInput {
  const name = body?.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid('name', name ?? '', "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  }
  const purpose: string = body.purpose ?? 'PRIVATE';
  if (!PURPOSES.includes(purpose))
    throw invalid('purpose', purpose, `Subnetwork purpose must be one of ${PURPOSES.join(', ')}.`);
  const proxy = PROXY_PURPOSES.includes(purpose);
  const range = parseCidr(body.ipCidrRange);
  if (!range)
    throw invalid('ipCidrRange', body.ipCidrRange ?? '', `Invalid IPCidrRange: ${body.ipCidrRange ?? ''}.`);
  if (range.base % 2 ** (32 - range.prefix) !== 0) {
    throw invalid(
      'ipCidrRange',
      body.ipCidrRange,
      `Invalid IPCidrRange: ${body.ipCidrRange} has host bits set.`,
    );
  }
  const widest = proxy ? 26 : 29;
  if (range.prefix > widest)
    throw invalid(
      'ipCidrRange',
      body.ipCidrRange,
      `The prefix length of a ${purpose} subnetwork must be at most /${widest}.`,
    );
  if (proxy && !body.role) {
    throw invalid(
      'role',
      'UNSPECIFIED_ROLE',
      `Subnetwork role must be specified when purpose set to ${purpose}.`,
    );
  }
  if (!proxy && body.role)
    throw invalid(
      'role',
      body.role,
      `Subnetwork role can only be set when purpose is one of ${PROXY_PURPOSES.join(', ')}.`,
    );
  if (body.role && !['ACTIVE', 'BACKUP'].includes(body.role))
    throw invalid('role', body.role, 'Subnetwork role must be ACTIVE or BACKUP.');
  if (proxy && (body.logConfig !== undefined || body.enableFlowLogs !== undefined)) {
    const field = body.logConfig !== undefined ? 'logConfig' : 'enableFlowLogs';
    throw invalid(field, body[field], `Invalid field set in subnetwork with purpose ${purpose}.`);
  }
  if (context.autoMode && overlaps(range, parseCidr(AUTO_MODE_BLOCK)!)) {
    throw invalid(
      'ipCidrRange',
      body.ipCidrRange,
      `Extended subnetworks in auto subnet mode networks cannot overlap with ${AUTO_MODE_BLOCK}.`,
    );
  }
  const sameNetwork = context.existing.filter((s) => s.network === context.network);
  const clash = sameNetwork.find((s) => overlaps(range, parseCidr(s.ipCidrRange)!));
  if (clash) {
    throw invalid(
      'ipCidrRange',
      body.ipCidrRange,
      `Invalid IPCidrRange: ${body.ipCidrRange} conflicts with existing subnetwork '${clash.name}' in region '${clash.region}'.`,
    );
  }
  if (proxy && body.role === 'ACTIVE') {
    const active = sameNetwork.find(
      (s) => s.region === context.region && s.purpose === purpose && s.role === 'ACTIVE',
    );
    if (active) {
      throw invalid(
        'role',
        'ACTIVE',
        `An ACTIVE subnetwork with purpose ${purpose} already exists in region ${context.region} for this network: '${active.name}'. Only one can be active at a time.`,
      );
    }
  }
  return { name, ipCidrRange: body.ipCidrRange, purpose, ...(proxy ? { role: body.role } : {}) };
}
