import { describeCallError, toCallError } from '../cloud/errors.js';
import type { KubeClient } from '../cloud/kube.js';
import type { CapacityTier, RegionHealth } from './model.js';

/**
 * Which capacity tier a region's model servers run on, read from their nodes' labels (as GKE sets
 * them: `cloud.google.com/reservation-name`, `cloud.google.com/gke-provisioning` spot or
 * flex-start, `cloud.google.com/gke-spot`, `cloud.google.com/gke-flex-start`), and the tiers the
 * cluster autoscaler found unavailable (its FailedScaleUp and NotTriggerScaleUp events on the
 * servers' pods). Read only for servers that select a ComputeClass.
 */
export const CAPACITY_TIERS: CapacityTier[] = ['reservation', 'on-demand', 'flex-start', 'spot'];
const COMPUTE_CLASS = 'cloud.google.com/compute-class';
const SCALE_UP_FAILURES = new Set(['FailedScaleUp', 'NotTriggerScaleUp']);

export function tierOfNode(labels: Record<string, string> | undefined): CapacityTier {
  if (
    labels?.['cloud.google.com/reservation-name'] ||
    labels?.['cloud.google.com/reservation-affinity'] === 'specific'
  )
    return 'reservation';
  const provisioning = labels?.['cloud.google.com/gke-provisioning'];
  if (provisioning === 'spot' || labels?.['cloud.google.com/gke-spot'] === 'true') return 'spot';
  if (provisioning === 'flex-start' || labels?.['cloud.google.com/gke-flex-start'] === 'true')
    return 'flex-start';
  return 'on-demand';
}

/** The tier an autoscaler event is about, when its message names one: `… (on-demand a3-highgpu-2g) …`. */
function tierOfMessage(message: string): CapacityTier | undefined {
  return /\((reservation|on-demand|flex-start|spot)\b/.exec(message)?.[1] as CapacityTier | undefined;
}

type CheckFn = (name: string, ok: boolean, detail: string) => void;

export async function readCapacity(deployment: any, kube: KubeClient, region: RegionHealth, check: CheckFn) {
  const className = deployment?.spec?.template?.spec?.nodeSelector?.[COMPUTE_CLASS];
  if (!className) return;
  try {
    await readClassCapacity(deployment, className, kube, region, check);
  } catch (error) {
    // Where the reader may not see nodes or events, the tier is unknown; the region still serves.
    const e = toCallError(error);
    if (e.status !== 403) throw error;
    check(
      'capacity',
      true,
      `unknown (ComputeClass ${className}): ${describeCallError(e)} — the tier is read from the servers' nodes and events; allow get on nodes and list on events to see it`,
    );
  }
}

async function readClassCapacity(
  deployment: any,
  className: string,
  kube: KubeClient,
  region: RegionHealth,
  check: CheckFn,
) {
  const ns = deployment.metadata.namespace;
  const name = deployment.metadata.name;
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const [pods, events] = await Promise.all([
    kube.list('v1', 'Pod', ns, selector),
    kube.list('v1', 'Event', ns),
  ]);
  const tiers: Partial<Record<CapacityTier, number>> = {};
  const nodeNames = [...new Set(pods.map((p) => p.spec?.nodeName).filter(Boolean))] as string[];
  const nodes = new Map(
    await Promise.all(
      nodeNames.map(
        async (n) => [n, await kube.read({ apiVersion: 'v1', kind: 'Node', metadata: { name: n } })] as const,
      ),
    ),
  );
  for (const pod of pods) {
    const node = pod.spec?.nodeName && nodes.get(pod.spec.nodeName);
    if (!node || pod.status?.phase !== 'Running') continue;
    const tier = tierOfNode(node.metadata?.labels);
    tiers[tier] = (tiers[tier] ?? 0) + 1;
  }
  const unavailable = events
    .filter(
      (e) =>
        SCALE_UP_FAILURES.has(e.reason) &&
        e.involvedObject?.kind === 'Pod' &&
        String(e.involvedObject?.name ?? '').startsWith(`${name}-`),
    )
    .map((e) => {
      const tier = tierOfMessage(String(e.message ?? ''));
      return {
        ...(tier ? { tier } : {}),
        reason: String(e.reason),
        message: String(e.message ?? ''),
        at: String(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? ''),
      };
    })
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  region.capacity = { computeClass: className, tiers, unavailable };
  const pending = pods.filter((p) => p.status?.phase === 'Pending').length;
  const running = CAPACITY_TIERS.filter((t) => tiers[t])
    .map((t) => `${tiers[t]} on ${t}`)
    .join(', ');
  const skipped = CAPACITY_TIERS.filter((t) => unavailable.some((u) => u.tier === t));
  check(
    'capacity',
    pending === 0,
    pending
      ? `${pending} model server(s) Pending for ComputeClass ${className}: ${unavailable.find((u) => u.reason === 'NotTriggerScaleUp')?.message ?? 'no node yet'} — wait for capacity, or add a tier to the class`
      : `${running || 'no model server'} (ComputeClass ${className})${skipped.length ? `; unavailable: ${skipped.join(', ')}` : ''}`,
  );
}

/** The tiers a region's model servers run on, for a table: `on-demand`, `spot 1 + on-demand 1`. */
export function capacityTierOf(region: RegionHealth): string | undefined {
  const tiers = region.capacity?.tiers;
  if (!tiers) return undefined;
  const used = CAPACITY_TIERS.filter((t) => tiers[t]);
  if (used.length === 0) return region.capacity!.unavailable.length ? 'none (unavailable)' : undefined;
  return used.length === 1 ? used[0] : used.map((t) => `${t} ${tiers[t]}`).join(' + ');
}
