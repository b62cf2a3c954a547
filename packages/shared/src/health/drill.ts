import type { Cloud } from '../cloud/clients.js';
import { clusterClient } from '../engine/kube-handler.js';
import { engineContext } from '../engine/types.js';
import type { Service, Spec } from '../spec/model.js';
import { SERVED_REGION_HEADER, type Check } from './model.js';
import { completionRequest } from './verify.js';

/**
 * `verify --failover-drill --yes`: takes the preferred region's model servers away (replicas 0,
 * which also pauses its HPA, as Kubernetes does), checks that the other regions serve through the
 * same gateway address, restores them, and reports the time to fail over and to recover.
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
  const started = Date.now();
  try {
    await scale(() => 0);
    const away = await until(
      () => answer(service, host),
      (a) => a.ok && !preferred.some((c) => c.region === a.region),
      options,
    );
    const failoverMs = Date.now() - started;
    checks.push({
      name: 'failover: other regions serve',
      ok: !!away,
      detail: away
        ? `with ${preferred.map((c) => c.region).join(', ')} down, ${away.region ?? 'another region'} served in ${(failoverMs / 1000).toFixed(1)} s`
        : `no other region served within ${Math.round(options.phaseTimeoutMs / 1000)} s — check the other regions' model servers and the GCPBackendPolicy`,
    });
  } finally {
    const restoredAt = Date.now();
    await scale((i) => saved[i]!);
    const back = await until(
      () => answer(service, host),
      (a) => a.ok && (a.region === undefined || preferred.some((c) => c.region === a.region)),
      options,
    );
    checks.push({
      name: 'failover: preferred region recovers',
      ok: !!back,
      detail: back
        ? `${preferred.map((c) => c.region).join(', ')} served again ${((Date.now() - restoredAt) / 1000).toFixed(1)} s after its model servers were restored`
        : `${preferred.map((c) => c.region).join(', ')} did not serve again within ${Math.round(options.phaseTimeoutMs / 1000)} s — check its Deployment and node pool`,
    });
  }
  return checks;
}

async function answer(service: Service, host: string): Promise<{ ok: boolean; region?: string }> {
  const { body, headers } = completionRequest(service);
  try {
    const response = await fetch(`http://${host}/v1/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    await response.arrayBuffer();
    const region = response.headers.get(SERVED_REGION_HEADER) ?? undefined;
    return { ok: response.status === 200, ...(region ? { region } : {}) };
  } catch {
    return { ok: false };
  }
}

async function until<T>(
  probe: () => Promise<T>,
  done: (t: T) => boolean,
  options: DrillOptions,
): Promise<T | undefined> {
  const deadline = Date.now() + options.phaseTimeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  return undefined;
}
