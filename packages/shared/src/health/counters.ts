import type { Cloud } from '../cloud/clients.js';
import type { Service } from '../spec/model.js';

/**
 * Which region served: on GKE the gateway's answers do not say, but the model servers count what
 * they serve (vLLM's request_success_total) and Managed Prometheus scrapes it into Cloud
 * Monitoring, labelled with the cluster. The load test and the failover drill read it here.
 *
 * Counters are read per series (a pod, a finish reason) rather than summed, so a model server that
 * restarts (its counter back at zero), appears or goes away never reads as negative traffic.
 */
export interface Counters {
  /** By the series' labels: its region and its value. */
  series: Map<string, { region: string; value: number }>;
}

/** The service's model servers' request counters, per series; undefined when Monitoring cannot be read. */
export async function readCounters(service: Service, cloud: Cloud): Promise<Counters | undefined> {
  const clusters = service.clusters.map((c) => c.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const promql = `vllm:request_success_total{cluster=~"${clusters}",namespace="${service.namespace}"}`;
  try {
    const result = await cloud
      .rest('monitoring')
      .request(
        'GET',
        `/v1/projects/${service.platform.projectId}/location/global/prometheus/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
    if (result?.status !== undefined && result.status !== 'success') return undefined;
    const series = new Map<string, { region: string; value: number }>();
    for (const r of result?.data?.result ?? []) {
      const cluster = service.clusters.find((c) => c.name === r.metric?.cluster);
      const value = Number(r.value?.[1]);
      if (!cluster || !Number.isFinite(value)) continue;
      const labels = Object.entries(r.metric as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1));
      series.set(JSON.stringify(labels), { region: cluster.region, value });
    }
    return { series };
  } catch {
    return undefined;
  }
}

/** Requests served per region between two readings (regions that served none are left out). */
export function servedBetween(before: Counters, after: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, { region, value }] of after.series) {
    const was = before.series.get(key)?.value ?? 0;
    // A counter below its earlier value was reset (the pod restarted): all of it is new.
    const served = value >= was ? value - was : value;
    if (served > 0) out[region] = (out[region] ?? 0) + served;
  }
  return out;
}

/** Wall ms after which a reading still missing requests is taken as it is. */
export function scrapeSettleMs(cloud: Cloud): number {
  // Managed Prometheus scrapes every 5 s (the PodMonitoring's interval) and ingests within seconds.
  return cloud.emulated ? 2_000 : 60_000;
}

/**
 * Waits until the counters account for at least `answered` requests more than `before` (scrapes
 * lag the answers), polling every `pollMs` until `settleMs` has passed; returns what was seen.
 */
export async function servedSince(
  service: Service,
  cloud: Cloud,
  before: Counters,
  answered: number,
  options: { pollMs: number; settleMs: number },
): Promise<{ byRegion: Record<string, number>; readable: boolean }> {
  const deadline = Date.now() + options.settleMs;
  let byRegion: Record<string, number> = {};
  let readable = false;
  for (;;) {
    const after = await readCounters(service, cloud);
    if (after) {
      readable = true;
      byRegion = servedBetween(before, after);
      const total = Object.values(byRegion).reduce((n, v) => n + v, 0);
      if (total >= answered) return { byRegion, readable };
    }
    if (Date.now() >= deadline) return { byRegion, readable };
    await new Promise((r) => setTimeout(r, Math.min(options.pollMs, Math.max(1, deadline - Date.now()))));
  }
}
