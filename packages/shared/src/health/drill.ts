import type { Cloud } from '../cloud/clients.js';
import { clusterClient } from '../engine/kube-handler.js';
import { engineContext } from '../engine/types.js';
import type { Service, Spec } from '../spec/model.js';
import { readCounters, scrapeSettleMs, servedSince } from './counters.js';
import type { Check } from './model.js';
import { completionRequest } from './verify.js';

/**
 * `verify --failover-drill --yes`: takes the preferred region's model servers away (replicas 0,
 * which also pauses its HPA, as Kubernetes does), checks that the other regions serve through the
 * same gateway address, restores them, and reports the time to fail over and to recover.
 *
 * Who served is read as on GKE, whose gateway does not name a region in its answers: from the
 * model servers' request counters in Cloud Monitoring (counters.ts), after each test completion.
 * Failed over: a completion succeeds, another region's counter grows and the preferred regions'
 * do not. Recovered: after the restore, a completion makes a preferred region's counter grow.
 */
export const DRILL_MANAGER = 'spillway-failover-drill';

export interface DrillOptions {
  cloud: Cloud;
  /** Bound on each phase (fail over, recover). */
  phaseTimeoutMs: number;
  pollMs: number;
}

export async function failoverDrill(
  spec: Spec,
  service: Service,
  address: string,
  options: DrillOptions,
): Promise<Check[]> {
  const ctx = engineContext(spec, options.cloud);
  const preferred = service.clusters.filter((c) => service.balancing.preferredRegions.includes(c.region));
  if (!preferred.length)
    return [
      {
        name: 'failover drill',
        ok: false,
        detail: `${service.name} prefers no region: there is nothing to fail over from`,
      },
    ];
  const host = address.includes(':') ? address : `${address}:${service.gateway.port}`;
  const ref = (ns: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: service.pool.name, namespace: ns },
  });
  const clients = await Promise.all(preferred.map((c) => clusterClient(ctx, c.name)));
  const saved: number[] = [];
  for (const [i, client] of clients.entries()) {
    const live = await client!.read(ref(service.namespace));
    saved[i] = Number(live?.spec?.replicas ?? 1);
  }
  const scale = async (replicas: (i: number) => number) => {
    for (const [i, client] of clients.entries()) {
      await client!.apply(
        { ...ref(service.namespace), spec: { replicas: replicas(i) } },
        DRILL_MANAGER,
        true,
      );
    }
  };
  const checks: Check[] = [];
  const regions = preferred.map((c) => c.region).join(', ');
  const isPreferred = (region: string) => preferred.some((c) => c.region === region);
  const started = Date.now();
  try {
    await scale(() => 0);
    const away = await until(
      service,
      host,
      options,
      (served) => !Object.keys(served).some(isPreferred) && Object.keys(served).length > 0,
    );
    checks.push({
      name: 'failover: other regions serve',
      ok: !!away.found,
      detail: away.found
        ? `with ${regions} down, ${Object.keys(away.found.served).join(', ')} served in ${((away.found.answeredAt - started) / 1000).toFixed(1)} s`
        : `no other region served within ${Math.round(options.phaseTimeoutMs / 1000)} s${away.why} — check the other regions' model servers and the GCPBackendPolicy`,
    });
  } finally {
    const restoredAt = Date.now();
    await scale((i) => saved[i]!);
    const back = await until(service, host, options, (served) => Object.keys(served).some(isPreferred));
    checks.push({
      name: 'failover: preferred region recovers',
      ok: !!back.found,
      detail: back.found
        ? `${regions} served again ${((back.found.answeredAt - restoredAt) / 1000).toFixed(1)} s after its model servers were restored`
        : `${regions} did not serve again within ${Math.round(options.phaseTimeoutMs / 1000)} s${back.why} — check its Deployment and node pool`,
    });
  }
  return checks;
}

/** Sends one completion through the gateway; whether it got a 200 within `timeoutMs`. */
async function answer(service: Service, host: string, timeoutMs: number): Promise<boolean> {
  const { body, headers } = completionRequest(service);
  try {
    const response = await fetch(`http://${host}/v1/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/**
 * Probes until a completion succeeds and the counters say who served it in a way `done` accepts:
 * read the counters, send a completion, then wait for the counters to show it (scrapes lag).
 * Who served is never taken from the answer: GKE's gateway does not name a region.
 */
async function until(
  service: Service,
  host: string,
  options: DrillOptions,
  done: (served: Record<string, number>) => boolean,
): Promise<{ found?: { served: Record<string, number>; answeredAt: number }; why: string }> {
  const deadline = Date.now() + options.phaseTimeoutMs;
  let answered = false;
  let readable = false;
  while (Date.now() < deadline) {
    const before = await readCounters(service, options.cloud);
    if (before) {
      readable = true;
      // The GCPBackendPolicy's timeout bounds a completion; the phase bounds the probe.
      const timeoutMs = Math.min(service.gateway.timeoutSec * 1000 + 5_000, deadline - Date.now());
      if (await answer(service, host, Math.max(1_000, timeoutMs))) {
        answered = true;
        const answeredAt = Date.now();
        const seen = await servedSince(service, options.cloud, before, 1, {
          pollMs: options.pollMs,
          settleMs: Math.min(scrapeSettleMs(options.cloud), Math.max(0, deadline - Date.now())),
        });
        if (done(seen.byRegion)) return { found: { served: seen.byRegion, answeredAt }, why: '' };
      }
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  const why = !readable
    ? " (the model servers' request counters could not be read from Cloud Monitoring)"
    : !answered
      ? ' (no completion succeeded through the gateway)'
      : '';
  return { why };
}
