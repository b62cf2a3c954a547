/**
 * What the simulated gateway knows about its backends: the current list (re-read from a function,
 * so replicas can come and go), health from checks on an interval, the custom metric from /metrics
 * on an interval, and the requests it has in flight to each.
 *
 * Between polls the utilization estimate moves with the gateway's own requests, at a cost per
 * request learned from the gauge and vllm:num_requests_running, so a burst does not overshoot the
 * threshold. Until a backend has been seen busy its cost is unknown and the estimate is the last
 * polled value; the first request sent to it triggers a poll to learn it.
 */
import { Agent, request as httpRequest } from 'node:http';
import { parsePrometheus, sampleValue } from './metrics.js';
import type { KvCacheMetric } from './model-server.js';
import type { BackendView } from './routing.js';
import { afterRunning } from './running-time.js';

export interface BackendPoolOptions {
  backends: () => { region: string; url: string }[];
  healthCheckPath: string;
  healthCheckIntervalMs: number;
  /** Consecutive failed checks that take a backend out; one success brings it back. */
  unhealthyThreshold: number;
  /** Poll /metrics every so often (the policy may switch to CUSTOM_METRICS at any time); undefined: never. */
  metricsIntervalMs?: number;
  /** The custom metric; by default whichever the backend serves, the new name first. */
  metricName?: KvCacheMetric;
  /** Wall ms a check or poll may take while the process runs (its pauses do not count). */
  checkTimeoutMs: number;
  /** Called when room may have appeared: a backend is healthy again or reported a fresher metric. */
  onRoom: () => void;
}

export interface BackendState {
  readonly url: string;
  readonly region: string;
  healthy: boolean;
  failures: number;
  inFlight: number;
  /** The last polled utilization and the gateway's requests in flight when it arrived. */
  reported?: { utilization: number; gatewayInFlight: number };
  costPerRequest?: number;
  polling: boolean;
  checking: boolean;
}

export interface BackendStatus extends BackendView {
  /** Cost of one request in utilization, once learned. */
  costPerRequest?: number;
}

/**
 * Utilization now: the last report moved by the requests sent or finished since, and never less
 * than what this gateway's own requests in flight cost (a report can lag a burst).
 */
export function estimateUtilization(b: BackendState): number {
  const cost = b.costPerRequest ?? 0;
  const base = b.reported ?? { utilization: 0, gatewayInFlight: 0 };
  return Math.max(0, base.utilization + (b.inFlight - base.gatewayInFlight) * cost, b.inFlight * cost);
}

export class BackendPool {
  private readonly states = new Map<string, BackendState>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  setHealthCheckPath(path: string) {
    this.opts.healthCheckPath = path;
  }

  constructor(private readonly opts: BackendPoolOptions) {
    this.every(opts.healthCheckIntervalMs, (s) => this.checkHealth(s));
    if (opts.metricsIntervalMs !== undefined) this.every(opts.metricsIntervalMs, (s) => this.pollMetrics(s));
    for (const s of this.current()) {
      void this.checkHealth(s);
      if (opts.metricsIntervalMs !== undefined) void this.pollMetrics(s);
    }
  }

  /** The backends listed now, each with the state kept for its URL; unlisted ones are forgotten. */
  current(): BackendState[] {
    const seen = new Set<string>();
    const list: BackendState[] = [];
    for (const { url, region } of this.opts.backends()) {
      const key = url.replace(/\/+$/, '');
      if (seen.has(key)) continue;
      seen.add(key);
      let state = this.states.get(key);
      if (!state) {
        state = {
          url: key,
          region,
          healthy: true,
          failures: 0,
          inFlight: 0,
          polling: false,
          checking: false,
        };
        this.states.set(key, state);
      }
      list.push(state);
    }
    for (const key of this.states.keys()) if (!seen.has(key)) this.states.delete(key);
    return list;
  }

  view(s: BackendState): BackendView {
    return {
      url: s.url,
      region: s.region,
      healthy: s.healthy,
      utilization: estimateUtilization(s),
      inFlight: s.inFlight,
    };
  }

  status(): BackendStatus[] {
    return this.current().map((s) => ({
      ...this.view(s),
      ...(s.costPerRequest === undefined ? {} : { costPerRequest: s.costPerRequest }),
    }));
  }

  acquire(s: BackendState) {
    s.inFlight++;
    if (this.opts.metricsIntervalMs !== undefined && s.costPerRequest === undefined) void this.pollMetrics(s);
  }

  release(s: BackendState) {
    s.inFlight--;
  }

  /** Passive health: a backend that refuses connections is out until a check passes. */
  takeOut(s: BackendState) {
    s.failures = Math.max(s.failures, this.opts.unhealthyThreshold);
    s.healthy = false;
  }

  close() {
    this.closed = true;
    this.timers.forEach(clearInterval);
    this.agent.destroy();
  }

  private every(ms: number, probe: (s: BackendState) => Promise<void>) {
    const timer = setInterval(() => this.current().forEach((s) => void probe(s)), ms);
    timer.unref();
    this.timers.push(timer);
  }

  private setHealth(s: BackendState, ok: boolean) {
    s.failures = ok ? 0 : s.failures + 1;
    const healthy = ok || (s.healthy && s.failures < this.opts.unhealthyThreshold);
    if (healthy === s.healthy) return;
    s.healthy = healthy;
    if (healthy) this.opts.onRoom();
  }

  private get(url: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          cancel();
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      });
      const cancel = afterRunning(this.opts.checkTimeoutMs, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        cancel();
        reject(err);
      });
      req.on('close', cancel);
      req.end();
    });
  }

  private async checkHealth(s: BackendState) {
    if (s.checking || this.closed) return;
    s.checking = true;
    try {
      const { status } = await this.get(s.url + this.opts.healthCheckPath);
      this.setHealth(s, status >= 200 && status < 300);
    } catch {
      this.setHealth(s, false);
    } finally {
      s.checking = false;
    }
  }

  private async pollMetrics(s: BackendState) {
    if (s.polling || this.closed) return;
    s.polling = true;
    try {
      const { status, text } = await this.get(s.url + '/metrics');
      if (status !== 200) return;
      const samples = parsePrometheus(text);
      const name = this.opts.metricName;
      const raw = name
        ? sampleValue(samples, name)
        : (sampleValue(samples, 'vllm:kv_cache_usage_perc') ??
          sampleValue(samples, 'vllm:gpu_cache_usage_perc'));
      if (raw === undefined || Number.isNaN(raw)) return;
      const utilization = Math.min(1, Math.max(0, raw)); // above 1 reads as 100%
      const running = sampleValue(samples, 'vllm:num_requests_running');
      if (running && running > 0 && utilization > 0 && utilization < 1)
        s.costPerRequest = utilization / running;
      s.reported = { utilization, gatewayInFlight: s.inFlight };
      this.opts.onRoom();
    } catch {
      // health checks decide whether the backend is out; a failed poll keeps the last value
    } finally {
      s.polling = false;
    }
  }
}
