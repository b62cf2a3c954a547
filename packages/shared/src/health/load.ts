import type { Cloud } from '../cloud/clients.js';
import type { Service } from '../spec/model.js';
import { readCounters, scrapeSettleMs, servedSince } from './counters.js';
import { SERVED_REGION_HEADER, type Check } from './model.js';
import { completionRequest } from './verify.js';

/**
 * `verify --load-test`: ramps load on the gateway in steps, records each region's share of the
 * traffic and its KV-cache utilization per step, and checks the policy: below the threshold the
 * preferred region serves everything; other regions get traffic only once it is at the threshold;
 * nothing fails. Bounded in requests and time.
 */
export interface LoadStep {
  concurrency: number;
  requests: number;
  ok: number;
  failed: number;
  /** Requests served per region. */
  byRegion: Record<string, number>;
  /** Highest KV-cache utilization seen per region during the step. */
  peakUtilization: Record<string, number>;
  /** Failed requests by why: `HTTP <status>`, `timeout`, `error` or `not sent` (at the step's deadline). */
  failures?: Record<string, number>;
}

export interface LoadReport {
  steps: LoadStep[];
  checks: Check[];
  svg: string;
  mermaid: string;
}

export interface LoadOptions {
  cloud: Cloud;
  /** host:port (or IP) of the gateway address to load. */
  address: string;
  steps?: number[];
  requestsPerStep?: number;
  /** Where each region's share comes from: the response (sandbox) when it says, or Monitoring's counters. */
  attribution?: 'auto' | 'monitoring';
  /** Wall seconds a step may take before its open requests are abandoned. */
  stepTimeoutSeconds?: number;
}

export async function loadTest(service: Service, options: LoadOptions): Promise<LoadReport> {
  const steps = options.steps ?? [2, 4, 8, 16, 24];
  const perStep = Math.min(options.requestsPerStep ?? 60, 500);
  const host = options.address.includes(':') ? options.address : `${options.address}:${service.gateway.port}`;
  const { body, headers } = completionRequest(service);
  const results: LoadStep[] = [];
  for (const concurrency of steps) {
    const before = await readCounters(service, options.cloud);
    const step: LoadStep = {
      concurrency,
      requests: perStep,
      ok: 0,
      failed: 0,
      byRegion: {},
      peakUtilization: {},
    };
    const deadline = Date.now() + (options.stepTimeoutSeconds ?? 60) * 1000;
    const fail = (why: string) => {
      step.failed++;
      step.failures = { ...step.failures, [why]: (step.failures?.[why] ?? 0) + 1 };
    };
    let sent = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const [region, value] of Object.entries(await utilizationByRegion(service, options.cloud))) {
          step.peakUtilization[region] = Math.max(step.peakUtilization[region] ?? 0, value);
        }
        // Often enough to catch a replica at its peak: real requests last seconds, the sandbox's milliseconds.
        await new Promise((r) => setTimeout(r, options.cloud.emulated ? 10 : 500));
      }
    })();
    const worker = async () => {
      while (sent < perStep && Date.now() < deadline) {
        sent++;
        try {
          const response = await fetch(`http://${host}/v1/completions`, {
            method: 'POST',
            headers,
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
          });
          await response.arrayBuffer();
          if (response.status !== 200) {
            fail(`HTTP ${response.status}`);
            continue;
          }
          step.ok++;
          const region =
            options.attribution === 'monitoring' ? null : response.headers.get(SERVED_REGION_HEADER);
          if (region) step.byRegion[region] = (step.byRegion[region] ?? 0) + 1;
        } catch (error) {
          fail((error as Error).name === 'TimeoutError' ? 'timeout' : 'error');
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    sampling = false;
    await sampler;
    for (let i = sent; i < perStep; i++) fail('not sent');
    if (Object.keys(step.byRegion).length === 0 && step.ok > 0 && before) {
      // Real GKE does not say which region answered: the model servers' own counters do, once
      // scraped; poll until they account for this step's answers or the scrapes should have landed.
      const seen = await servedSince(service, options.cloud, before, step.ok, {
        pollMs: options.cloud.emulated ? 10 : 2_000,
        settleMs: scrapeSettleMs(options.cloud),
      });
      step.byRegion = seen.byRegion;
    }
    results.push(step);
  }
  return {
    steps: results,
    checks: policyChecks(service, results),
    svg: shareSvg(service, results),
    mermaid: shareMermaid(service, results),
  };
}

/** KV-cache utilization per region, from Cloud Monitoring's Prometheus API. */
async function utilizationByRegion(service: Service, cloud: Cloud): Promise<Record<string, number>> {
  return byRegion(service, cloud, `avg by (cluster) (${service.model.kvCacheMetric})`);
}

/** One value per region from an instant query grouped by cluster; empty when Monitoring cannot be read. */
async function byRegion(service: Service, cloud: Cloud, promql: string): Promise<Record<string, number>> {
  try {
    const query = encodeURIComponent(promql);
    const result = await cloud
      .rest('monitoring')
      .request(
        'GET',
        `/v1/projects/${service.platform.projectId}/location/global/prometheus/api/v1/query?query=${query}`,
      );
    const out: Record<string, number> = {};
    for (const r of result?.data?.result ?? []) {
      const cluster = service.clusters.find((c) => c.name === r.metric?.cluster);
      if (cluster) out[cluster.region] = Number(r.value[1]);
    }
    return out;
  } catch {
    return {};
  }
}

/** Slack on the threshold: the load balancer reads a sampled metric, so it may spill a little early. */
const TOLERANCE = 0.15;

function policyChecks(service: Service, steps: LoadStep[]): Check[] {
  const preferred = service.balancing.preferredRegions;
  const threshold =
    service.balancing.mode === 'CUSTOM_METRICS' ? service.balancing.maxUtilizationPercent / 100 : undefined;
  const failed = steps.reduce((n, s) => n + s.failed, 0);
  const checks: Check[] = [
    {
      name: 'load: nothing fails',
      ok: failed === 0,
      detail:
        failed === 0
          ? `${steps.reduce((n, s) => n + s.ok, 0)} completions, all HTTP 200`
          : `${failed} request(s) failed (${failureSummary(steps)}) — the fleet is out of capacity or a region is unhealthy`,
    },
  ];
  if (!preferred.length || threshold === undefined) return checks;
  const spillSteps = steps.filter((s) =>
    Object.entries(s.byRegion).some(([r, n]) => !preferred.includes(r) && n > 0),
  );
  const early = spillSteps.filter(
    (s) => Math.max(...preferred.map((r) => s.peakUtilization[r] ?? 0)) < threshold - TOLERANCE,
  );
  checks.push({
    name: 'load: spills only at the threshold',
    ok: early.length === 0,
    detail: early.length
      ? `traffic left ${preferred.join(', ')} at ${early.map((s) => s.concurrency).join(', ')} concurrent while its KV cache was below ${Math.round(threshold * 100)}% — check the GCPBackendPolicy`
      : spillSteps.length
        ? `spill-over from ${spillSteps[0]!.concurrency} concurrent requests, with ${preferred.join(', ')} at ${Math.round(Math.max(...preferred.map((r) => spillSteps[0]!.peakUtilization[r] ?? 0)) * 100)}% KV cache`
        : `${preferred.join(', ')} served every step without reaching ${Math.round(threshold * 100)}%`,
  });
  const first = steps[0];
  if (first) {
    const stayed = Object.entries(first.byRegion).every(([r, n]) => preferred.includes(r) || n === 0);
    checks.push({
      name: 'load: preferred region first',
      ok: stayed || Math.max(...preferred.map((r) => first.peakUtilization[r] ?? 0)) >= threshold - TOLERANCE,
      detail: stayed
        ? `at ${first.concurrency} concurrent, ${preferred.join(', ')} served everything`
        : `at ${first.concurrency} concurrent, traffic already reached other regions`,
    });
  }
  return checks;
}

function failureSummary(steps: LoadStep[]): string {
  const all: Record<string, number> = {};
  for (const s of steps)
    for (const [why, n] of Object.entries(s.failures ?? {})) all[why] = (all[why] ?? 0) + n;
  return Object.entries(all)
    .map(([why, n]) => `${why} ×${n}`)
    .join(', ');
}

const COLORS = ['#1a73e8', '#e8710a', '#188038', '#d93025', '#9334e6', '#12b5cb'];

/** Each region's share of the traffic against load, as an SVG line chart. */
export function shareSvg(service: Service, steps: LoadStep[]): string {
  const regions = service.regions;
  const w = 560;
  const h = 300;
  const pad = { l: 50, r: 150, t: 30, b: 40 };
  const x = (i: number) => pad.l + (steps.length <= 1 ? 0 : (i * (w - pad.l - pad.r)) / (steps.length - 1));
  const y = (share: number) => pad.t + (1 - share) * (h - pad.t - pad.b);
  const share = (s: LoadStep, region: string) => (s.ok ? (s.byRegion[region] ?? 0) / s.ok : 0);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<text x="${pad.l}" y="18" font-weight="bold">${service.name}: share of traffic per region against load</text>`,
    `<line x1="${pad.l}" y1="${y(0)}" x2="${w - pad.r}" y2="${y(0)}" stroke="#999"/><line x1="${pad.l}" y1="${y(1)}" x2="${pad.l}" y2="${y(0)}" stroke="#999"/>`,
    ...[0, 0.5, 1].map((t) => `<text x="${pad.l - 8}" y="${y(t) + 4}" text-anchor="end">${t * 100}%</text>`),
    ...steps.map(
      (s, i) => `<text x="${x(i)}" y="${h - pad.b + 16}" text-anchor="middle">${s.concurrency}</text>`,
    ),
    `<text x="${(pad.l + w - pad.r) / 2}" y="${h - 6}" text-anchor="middle">concurrent requests</text>`,
  ];
  regions.forEach((region, k) => {
    const color = COLORS[k % COLORS.length];
    const points = steps.map((s, i) => `${x(i).toFixed(1)},${y(share(s, region)).toFixed(1)}`).join(' ');
    const dash = service.balancing.preferredRegions.includes(region) ? '' : ' stroke-dasharray="6 3"';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2.5"${dash} points="${points}"/>`);
    parts.push(
      `<text x="${w - pad.r + 10}" y="${pad.t + 16 * (k + 1)}" fill="${color}">${region}${service.balancing.preferredRegions.includes(region) ? ' (preferred)' : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** The same chart as a Mermaid block, for Markdown job summaries. */
export function shareMermaid(service: Service, steps: LoadStep[]): string {
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "${service.name}: % of traffic per region (${service.regions.join(', ')})"`,
    `  x-axis "concurrent requests" [${steps.map((s) => s.concurrency).join(', ')}]`,
    '  y-axis "% of traffic" 0 --> 100',
  ];
  for (const region of service.regions) {
    lines.push(
      `  line [${steps.map((s) => (s.ok ? Math.round((100 * (s.byRegion[region] ?? 0)) / s.ok) : 0)).join(', ')}]`,
    );
  }
  lines.push('```');
  return lines.join('\n') + '\n';
}
