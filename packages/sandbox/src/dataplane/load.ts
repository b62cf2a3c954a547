/**
 * A bounded load generator for the data plane: a fixed number of requests, a fixed concurrency,
 * a deadline, loopback addresses only. The sandbox tests use it, and so can `verify --load-test`
 * against the sandbox (CONTRACT.md). Given the sandbox's clock, the deadline is in simulated
 * seconds and the process's pauses do not count (running-time.ts), so a busy machine cannot cut a
 * run short that the simulation would have finished.
 */
import { setMaxListeners } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import type { Clock } from '../clock.js';
import { isLoopback } from './http.js';
import { afterRunning } from './running-time.js';

export interface LoadOptions {
  /** Full URL, e.g. `http://127.0.0.1:PORT/v1/completions`. Loopback only. */
  url: string;
  concurrency: number;
  requests: number;
  /**
   * Seconds for the whole run; requests still open then are aborted and count as failed. Wall
   * seconds, or simulated seconds when `clock` is given.
   */
  timeoutSeconds: number;
  /** The sandbox's clock: `timeoutSeconds` and `rampSeconds` are simulated, pauses of the process left out. */
  clock?: Clock;
  /** JSON body; when given the method defaults to POST. */
  body?: object;
  headers?: Record<string, string>;
  method?: string;
  /** Seconds over which the workers start one after another (default 0: all at once). */
  rampSeconds?: number;
  /** Count answers by the value of this response header (e.g. BACKEND_REGION_HEADER). */
  countByHeader?: string;
}

export interface LoadResult {
  /** Answers with a 2xx status. */
  ok: number;
  /** Everything else: other statuses, network errors, requests aborted or never sent at the deadline. */
  failed: number;
  /** Latency of each ok answer, in completion order. */
  latenciesMs: number[];
  /** By status code, plus `error` (network) and `aborted` (deadline). */
  statuses: Record<string, number>;
  /** By the value of `countByHeader`, for ok answers (`(none)` when absent). */
  byHeader: Record<string, number>;
  /** Whether the deadline cut the run short. */
  timedOut: boolean;
  elapsedMs: number;
}

/** Upper bounds that keep a mistaken call from turning into a flood. */
export const LOAD_LIMITS = { requests: 100_000, concurrency: 1_000, timeoutSeconds: 3_600 };

function validate(opts: LoadOptions): URL {
  const url = new URL(opts.url);
  if (url.protocol !== 'http:') throw new Error(`runLoad: only http:// URLs, got ${url.protocol}`);
  if (!isLoopback(url.hostname)) throw new Error(`runLoad: loopback addresses only, got ${url.hostname}`);
  const check = (name: keyof typeof LOAD_LIMITS, value: number, min: number) => {
    if (!Number.isFinite(value) || value < min || value > LOAD_LIMITS[name]) {
      throw new Error(`runLoad: ${name} must be between ${min} and ${LOAD_LIMITS[name]}, got ${value}`);
    }
  };
  check('requests', opts.requests, 0);
  check('concurrency', opts.concurrency, 1);
  check('timeoutSeconds', opts.timeoutSeconds, 0);
  return url;
}

/** The p-th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = validate(opts);
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const method = opts.method ?? (payload ? 'POST' : 'GET');
  const headers: Record<string, string> = {
    ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
    ...opts.headers,
  };
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const abort = new AbortController();
  setMaxListeners(opts.concurrency + 10, abort.signal); // one listener per open request
  const started = Date.now();
  const result: LoadResult = {
    ok: 0,
    failed: 0,
    latenciesMs: [],
    statuses: {},
    byHeader: {},
    timedOut: false,
    elapsedMs: 0,
  };
  const bump = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);
  const wallMs = (seconds: number) => (opts.clock ? opts.clock.wallMs(seconds) : seconds * 1000);
  const afterMs = (ms: number, fire: () => void): (() => void) => {
    if (opts.clock) return afterRunning(ms, fire);
    const timer = setTimeout(fire, ms);
    return () => clearTimeout(timer);
  };
  const cancelDeadline = afterMs(wallMs(opts.timeoutSeconds), () => {
    result.timedOut = true;
    abort.abort();
  });

  function one(): Promise<void> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const settle = (status: string, ok: boolean) => {
        if (settled) return;
        settled = true;
        bump(result.statuses, status);
        if (ok) result.ok++;
        else result.failed++;
        resolve();
      };
      const fail = () => settle(abort.signal.aborted ? 'aborted' : 'error', false);
      const req = httpRequest(url, { method, headers, agent, signal: abort.signal }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          if (ok && !settled) {
            result.latenciesMs.push(performance.now() - t0);
            if (opts.countByHeader)
              bump(result.byHeader, String(res.headers[opts.countByHeader.toLowerCase()] ?? '(none)'));
          }
          settle(String(status), ok);
        });
        res.on('error', () => undefined); // 'close' below settles it
        res.on('close', () => {
          if (!res.complete) fail();
        });
      });
      req.on('error', fail);
      req.end(payload);
    });
  }

  let next = 0;
  async function worker(index: number) {
    const delayMs = opts.concurrency > 1 ? (wallMs(opts.rampSeconds ?? 0) * index) / opts.concurrency : 0;
    if (delayMs > 0) await new Promise<void>((r) => void afterMs(delayMs, r));
    while (next < opts.requests && !abort.signal.aborted) {
      next++;
      await one();
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(opts.concurrency, opts.requests) }, (_, i) => worker(i)));
  } finally {
    cancelDeadline();
    agent.destroy();
  }
  if (next < opts.requests) {
    result.failed += opts.requests - next; // never sent: the deadline came first
    result.statuses['not sent'] = opts.requests - next;
  }
  result.elapsedMs = Date.now() - started;
  return result;
}
