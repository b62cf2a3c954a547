import type { Cloud } from '../cloud/clients.js';
import { clusterClient } from '../engine/kube-handler.js';
import { VERIFY_RECORD_PREFIX } from '../engine/orphans.js';
import { engineContext } from '../engine/types.js';
import { FIELD_MANAGER, kubeLabels } from '../render/labels.js';
import type { Service, Spec } from '../spec/model.js';
import { regionState, SERVED_REGION_HEADER, type HealthReport } from './model.js';
import { readHealth, type HealthOptions } from './read.js';
import { completionFromCluster } from './job.js';
import { failoverDrill } from './drill.js';
import { loadTest, type LoadOptions } from './load.js';

/**
 * verify: the health model's checks, plus a test completion through the gateway in every region,
 * sent as the seeds send it (the model or its LoRA adapter, the objective header). The result is
 * kept in the config cluster so status and Backstage can show when the service was last verified.
 */
export interface VerifyOptions {
  cloud: Cloud;
  regionTimeoutMs: number;
  /** cluster: from a Job in the config cluster (the gateway is internal); runner: from here. */
  from: 'cluster' | 'runner';
  /** Report drift per region (see HealthOptions). */
  drift?: HealthOptions['drift'];
  /** How long a completion may take (the GCPBackendPolicy timeout is the natural bound). */
  requestTimeoutMs?: number;
  /** Take the preferred region's model servers away, check the others serve, restore them. */
  failoverDrill?: { phaseTimeoutMs: number };
  /** Ramp load on the preferred region's address and check the spill-over policy. */
  loadTest?: Omit<LoadOptions, 'cloud' | 'address'>;
}

export const LAST_VERIFIED_PREFIX = VERIFY_RECORD_PREFIX;

export async function verifySpec(spec: Spec, options: VerifyOptions): Promise<HealthReport> {
  const report = await readHealth(spec, options);
  for (const region of report.regions) {
    const service = spec.services.find((s) => s.name === region.service)!;
    if (!region.gatewayAddress) {
      region.checks.push({
        name: 'test completion',
        ok: false,
        detail: `no gateway address in ${region.region} to send it to`,
      });
    } else {
      const timeoutMs = options.requestTimeoutMs ?? service.gateway.timeoutSec * 1000;
      if (options.from === 'cluster') {
        const kube = await clusterClient(
          engineContext(spec, options.cloud),
          service.platform.configCluster.name,
        ).catch(() => undefined);
        region.checks.push(
          kube
            ? await completionFromCluster(kube, service, region.gatewayAddress, {
                pollMs: options.cloud.emulated ? 25 : 2_000,
                timeoutMs,
              })
            : {
                name: 'test completion',
                ok: false,
                detail: `the config cluster ${service.platform.configCluster.name} cannot be reached to run the verify Job`,
              },
        );
      } else {
        region.checks.push(await testCompletion(service, region.gatewayAddress, timeoutMs));
      }
    }
    region.state = regionState(region.checks);
  }
  report.ok = report.regions.every((r) => r.state === 'healthy');
  if (options.loadTest && report.ok) {
    report.loadTests = {};
    for (const service of spec.services) {
      const mine = report.regions.filter((r) => r.service === service.name);
      const target = mine.find((r) => r.preferred && r.gatewayAddress) ?? mine.find((r) => r.gatewayAddress);
      if (!target?.gatewayAddress) continue;
      const load = await loadTest(service, {
        ...options.loadTest,
        cloud: options.cloud,
        address: target.gatewayAddress,
      });
      report.loadTests[service.name] = load;
      report.ok &&= load.checks.every((c) => c.ok);
    }
  }
  if (options.failoverDrill && report.ok) {
    report.failoverDrills = {};
    for (const service of spec.services) {
      const address = report.regions.find(
        (r) => r.service === service.name && r.preferred && r.gatewayAddress,
      )?.gatewayAddress;
      if (!address) continue;
      const checks = await failoverDrill(spec, service, address, {
        cloud: options.cloud,
        phaseTimeoutMs: options.failoverDrill.phaseTimeoutMs,
        pollMs: options.cloud.emulated ? 25 : 2_000,
      });
      report.failoverDrills[service.name] = checks;
      report.ok &&= checks.every((c) => c.ok);
    }
  }
  await recordResult(spec, report, options.cloud);
  return report;
}

export function completionRequest(service: Service) {
  return {
    body: {
      model: service.model.loraAdapters[0]?.name ?? service.model.id,
      prompt: 'What is the best pizza in the world?',
      max_tokens: 100,
      temperature: 0,
    },
    headers: {
      'content-type': 'application/json',
      ...(service.objectives[0] ? { 'x-gateway-inference-objective': service.objectives[0].name } : {}),
    },
  };
}

async function testCompletion(service: Service, address: string, timeoutMs: number) {
  const host = address.includes(':') ? address : `${address}:${service.gateway.port}`;
  const { body, headers } = completionRequest(service);
  const started = Date.now();
  try {
    const response = await fetch(`http://${host}/v1/completions`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const ms = Date.now() - started;
    let completion: any;
    try {
      completion = JSON.parse(text);
    } catch {
      completion = undefined;
    }
    const ok = response.status === 200 && completion?.object === 'text_completion';
    const servedBy = response.headers.get(SERVED_REGION_HEADER);
    return {
      name: 'test completion',
      ok,
      detail: ok
        ? `HTTP 200 in ${ms} ms (model ${body.model}${servedBy ? `, served in ${servedBy}` : ''})`
        : `HTTP ${response.status} from http://${host}/v1/completions: ${text.slice(0, 160)} — check the model servers and the gateway's backends`,
    };
  } catch (error) {
    return {
      name: 'test completion',
      ok: false,
      detail: `no answer from http://${host}/v1/completions (${(error as Error).message}) — the gateway is internal: run verify from inside the VPC`,
    };
  }
}

/** The last result, as a ConfigMap per service in the config cluster. */
async function recordResult(spec: Spec, report: HealthReport, cloud: Cloud) {
  const ctx = engineContext(spec, cloud);
  for (const service of spec.services) {
    const mine = report.regions.filter((r) => r.service === service.name);
    const kube = await clusterClient(ctx, service.platform.configCluster.name).catch(() => undefined);
    if (!kube) continue;
    const summary = {
      ok: mine.every((r) => r.state === 'healthy'),
      checkedAt: report.checkedAt,
      failed: mine.flatMap((r) =>
        r.checks.filter((c) => !c.ok).map((c) => `${r.region}: ${c.name}: ${c.detail}`),
      ),
    };
    await kube
      .apply(
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: `${LAST_VERIFIED_PREFIX}${service.name}`,
            namespace: service.namespace,
            labels: kubeLabels({ platform: service.platform.name, service: service.name }),
          } as any,
          data: { result: JSON.stringify(summary) },
        },
        FIELD_MANAGER,
        true,
      )
      .catch(() => undefined);
  }
}
